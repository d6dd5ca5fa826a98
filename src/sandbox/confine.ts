import { isAbsolute, relative, sep } from 'node:path';

/**
 * The command line that runs one shell command inside a sandbox (pure: no I/O). What is confined
 * (README "Sandbox"):
 * - a new PID namespace with its own `/proc`: the command sees only its own processes, so the
 *   environment of taskgraph and its ancestors (`/proc/<pid>/environ`) is out of reach; when the
 *   namespace's init dies, the kernel kills every process in it;
 * - the sandbox dies with taskgraph (bwrap `--die-with-parent`; `setpriv --pdeathsig KILL` around
 *   `unshare --kill-child`), so after `kill -9` nothing keeps writing into the worktree;
 * - network `none`: an empty network namespace (only a loopback of its own); `host`: shared;
 * - the user's checkout (`projectDir`) read-only unless it is the command's cwd; a cwd inside the
 *   checkout is bound writable again on top; `/tmp` and the rest of the system are unchanged.
 * The sandbox tool is spawned with the scrubbed environment itself, so even the namespace's init
 * (`/proc/1/environ` inside) holds nothing else.
 */

/** A sandbox tool that passed its probe (src/sandbox/detect.ts), with absolute paths. */
export type SandboxTooling =
  | { tool: 'bwrap'; bwrap: string }
  | {
      tool: 'unshare';
      unshare: string;
      /** `mount` (util-linux), for the bind mounts inside the new mount namespace */
      mount: string;
      /** `ip` (iproute2), to bring the loopback up in an empty network namespace; optional */
      ip?: string;
      /** `setpriv` (util-linux), to give unshare a parent-death signal; optional */
      setpriv?: string;
      /** not root: a user namespace mapping the caller to root (`--user --map-root-user`) */
      userns: boolean;
    };

/** Where and how a command runs (absolute, resolved paths). */
export interface ConfineOptions {
  /** the command's working directory (the run's worktree); always writable */
  cwd: string;
  /** the user's checkout: read-only inside unless it equals `cwd`; omit when there is none */
  projectDir?: string;
  network: 'none' | 'host';
}

/** The mounts a command gets: which directory is read-only and which is bound writable on top. */
export interface ConfineLayout {
  readOnly?: string;
  writable?: string;
}

/** True when `child` is `parent` or lies below it (both absolute). */
export function isWithin(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The mount layout for a cwd and a checkout: the checkout read-only unless it is the cwd
 * (`--no-worktree`); a cwd inside the checkout (worktrees under `.taskgraph/`) writable again.
 */
export function confineLayout(options: ConfineOptions): ConfineLayout {
  const project = options.projectDir;
  if (!project || project === options.cwd) return {};
  return { readOnly: project, ...(isWithin(options.cwd, project) ? { writable: options.cwd } : {}) };
}

/**
 * The script the namespace's first process runs under `unshare` before it becomes the command:
 * positional parameters `$1` read-only dir or '', `$2` writable dir or '', `$3` cwd, `$4`
 * network, `$5` command, `$6` mount, `$7` ip or ''. A bind mount made from a read-only mount
 * inherits its read-only flag, hence the explicit `remount,bind,rw` (mount(8)).
 */
export const UNSHARE_SETUP = [
  'set -e',
  'if [ -n "$1" ]; then "$6" --bind "$1" "$1"; "$6" -o remount,bind,ro "$1"; fi',
  'if [ -n "$2" ]; then "$6" --bind "$2" "$2"; "$6" -o remount,bind,rw "$2"; fi',
  'if [ "$4" = none ] && [ -n "$7" ]; then "$7" link set lo up 2>/dev/null || true; fi',
  'cd "$3"',
  'exec /bin/sh -c "$5"',
].join('\n');

/**
 * The argv (program first) that runs `/bin/sh -c command` confined by `tooling`. The command is
 * passed as one argument, never spliced into a shell line.
 */
export function confinedArgv(tooling: SandboxTooling, command: string, options: ConfineOptions): string[] {
  const layout = confineLayout(options);
  if (tooling.tool === 'bwrap') {
    return [
      tooling.bwrap,
      '--dev-bind', '/', '/',
      ...(layout.readOnly ? ['--ro-bind', layout.readOnly, layout.readOnly] : []),
      ...(layout.writable ? ['--bind', layout.writable, layout.writable] : []),
      '--unshare-pid', '--proc', '/proc',
      ...(options.network === 'none' ? ['--unshare-net'] : []),
      '--die-with-parent',
      '--chdir', options.cwd,
      '--', '/bin/sh', '-c', command,
    ];
  }
  return [
    ...(tooling.setpriv ? [tooling.setpriv, '--pdeathsig', 'KILL'] : []),
    tooling.unshare,
    ...(tooling.userns ? ['--user', '--map-root-user'] : []),
    '--mount', '--pid', '--fork', '--mount-proc', '--kill-child',
    ...(options.network === 'none' ? ['--net'] : []),
    '--', '/bin/sh', '-c', UNSHARE_SETUP, 'taskgraph-sandbox',
    layout.readOnly ?? '', layout.writable ?? '', options.cwd, options.network, command, tooling.mount, tooling.ip ?? '',
  ];
}
