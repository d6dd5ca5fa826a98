import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { confinedArgv, type SandboxTooling } from './confine.js';

/**
 * Which sandbox tool works on this machine, found once per process (per `PATH`) by running a
 * probe command inside it: bubblewrap (`bwrap`) first, else `unshare` (util-linux; directly as
 * root, else in a user namespace with `--user --map-root-user`), else none.
 */

/** The result of {@link sandboxStatus}. */
export interface SandboxStatus {
  /** the tool commands are confined with; `none` when no tool passed its probe */
  tool: 'bwrap' | 'unshare' | 'none';
  /** why no tool (or not the preferred one) is used: what was missing or how its probe failed */
  reason?: string;
  /** how to invoke the tool; present unless `tool` is `none` */
  tooling?: SandboxTooling;
}

/** ms a probe may take before it counts as failed */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * What the probe runs inside the sandbox: the cwd is writable, the checkout above it is not, and
 * the shell is one of the first two processes of a new PID namespace. Shell builtins only, so it
 * does not depend on what else is on `PATH`.
 */
const PROBE_COMMAND = ': > ./probe && ! (: > ../probe) 2>/dev/null && [ "$$" -le 2 ]';

const cache = new Map<string, SandboxStatus>();

/**
 * The sandbox available to commands whose `PATH` is `path` (default: this process's `PATH`).
 * The probe runs once per distinct `path` and process (about 15 ms with bwrap); later calls
 * return the cached result. Never throws: a tool that fails its probe is reported in `reason`.
 */
export function sandboxStatus(path: string = process.env['PATH'] ?? ''): SandboxStatus {
  const known = cache.get(path);
  if (known) return known;
  const status = detect(path);
  cache.set(path, status);
  return status;
}

/**
 * The absolute path of an executable named `name` in the `PATH` string `path`, like `which`.
 * @returns undefined when no directory of `path` holds an executable file of that name
 */
export function findExecutable(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue; // relative PATH entries would depend on the cwd
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function detect(path: string): SandboxStatus {
  if (process.platform !== 'linux') return { tool: 'none', reason: `no sandbox on ${process.platform} (bubblewrap and unshare are Linux tools)` };
  const failures: string[] = [];
  const bwrap = findExecutable('bwrap', path);
  if (bwrap) {
    const tooling: SandboxTooling = { tool: 'bwrap', bwrap };
    const failed = probe(tooling, path);
    if (!failed) return { tool: 'bwrap', tooling };
    failures.push(`bwrap: ${failed}`);
  } else failures.push('bwrap not found');
  const unshare = findExecutable('unshare', path);
  const mount = findExecutable('mount', path);
  if (unshare && mount) {
    const ip = findExecutable('ip', path);
    const setpriv = findExecutable('setpriv', path);
    const root = process.getuid?.() === 0;
    const variants: SandboxTooling[] = [];
    for (const userns of root ? [false, true] : [true]) {
      const base = { tool: 'unshare' as const, unshare, mount, userns, ...(ip ? { ip } : {}) };
      if (setpriv) variants.push({ ...base, setpriv });
      variants.push(base);
    }
    for (const tooling of variants) {
      const failed = probe(tooling, path);
      if (!failed) return { tool: 'unshare', tooling, reason: failures.join('; ') };
      failures.push(`${describe(tooling)}: ${failed}`);
    }
  } else failures.push(unshare ? 'mount not found (needed with unshare)' : 'unshare not found');
  return { tool: 'none', reason: failures.join('; ') };
}

function describe(tooling: SandboxTooling): string {
  if (tooling.tool === 'bwrap') return 'bwrap';
  return [tooling.setpriv ? 'setpriv --pdeathsig' : '', 'unshare', tooling.userns ? '--user --map-root-user' : ''].filter(Boolean).join(' ');
}

/**
 * Runs {@link PROBE_COMMAND} confined by `tooling` in a fresh temp directory (a read-only
 * "checkout" with a writable "worktree" inside, no network).
 * @returns undefined when it worked, else a one-line reason
 */
function probe(tooling: SandboxTooling, path: string): string | undefined {
  const project = mkdtempSync(join(tmpdir(), 'tg-sandbox-probe-'));
  try {
    const cwd = join(project, 'worktree');
    mkdirSync(cwd);
    const [program, ...args] = confinedArgv(tooling, PROBE_COMMAND, { cwd, projectDir: project, network: 'none' });
    const r = spawnSync(program!, args, { cwd, env: { PATH: path }, encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) return r.error.message;
    if (r.status === 0) return undefined;
    const said = `${r.stderr}`.trim().split('\n')[0]?.slice(0, 200);
    return `probe exited with ${r.status ?? r.signal}${said ? `: ${said}` : ''}`;
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
