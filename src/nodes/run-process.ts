import { spawn } from 'node:child_process';
import { forgetProcessGroup, recordProcessGroup } from '../engine/orphans.js';
import { trimMiddle } from '../engine/refine.js';
import { killProcessTree, newTreeCookie, TREE_COOKIE_VAR } from '../sandbox/process-tree.js';

/** What a finished shell command returned. */
export interface ProcessResult {
  /** exit code; null when killed by a signal */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** combined stdout+stderr in arrival order, head and tail kept (see `limit`) */
  output: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** ms */
  durationMs: number;
}

/** Options for {@link runShell} and {@link runProcess}. */
export interface RunShellOptions {
  cwd: string;
  /** ms; after it the whole process tree is killed with SIGKILL and `timedOut` is set */
  timeoutMs: number;
  /** variables passed to the process (the caller applies the allowlist) */
  env: NodeJS.ProcessEnv;
  /** characters kept per stream (head 40% + tail 60%) */
  limit: number;
  /** aborting kills the whole process tree; the promise then resolves with the result so far */
  signal?: AbortSignal;
  /** directory listing running process groups, so a resume can kill orphans (see engine/orphans.ts) */
  pidDir?: string;
  /**
   * the program runs the command in a new PID namespace that dies with it (a sandbox from
   * src/sandbox/confine.ts): killing the process group kills everything the command started, so
   * the `/proc` sweeps for escaped processes (tens of ms on a busy machine) are skipped
   */
  pidNamespace?: boolean;
  /**
   * applied to the captured text before it is trimmed to `limit` (a secret redactor), so a
   * secret cut by the trimming never survives as an unrecognisable fragment
   */
  redact?: (text: string) => string;
  /** text written to the process's stdin, which is then closed; absent: stdin is /dev/null */
  stdin?: string;
}

/**
 * ms the pipes may stay open after the process exited and its tree was killed; past it they are
 * destroyed. Only a process that escaped every net of `killProcessTree` (one that cleared its
 * environment and left the session, outside a sandbox) can hold them that long.
 */
export const PIPE_GRACE_MS = 1_000;

/**
 * Runs a shell command (`/bin/sh -c`): {@link runProcess} with `['/bin/sh', '-c', command]`.
 * @throws Error only when the shell itself cannot be spawned
 */
export function runShell(command: string, options: RunShellOptions): Promise<ProcessResult> {
  return runProcess(['/bin/sh', '-c', command], options);
}

/**
 * Runs `argv` (program first, no shell in between) in its own process group, bounded by its
 * timeout whatever its children do, and captures output with bounded memory (at most ~4 ×
 * `limit` characters per stream are held).
 *
 * The end is the process's *exit*, not the close of its pipes (a `setsid` grandchild can hold
 * them forever): on exit, on timeout and on abort the whole process tree is killed
 * (src/sandbox/process-tree.ts: the group, the descendants, every process carrying this
 * command's {@link TREE_COOKIE_VAR}), then the output still in the pipes is read, and after
 * {@link PIPE_GRACE_MS} the pipes are destroyed. Never rejects for a non-zero exit: the caller
 * decides what a failure is.
 * @throws Error only when the program cannot be spawned (e.g. ENOENT)
 */
export function runProcess(argv: readonly string[], options: RunShellOptions): Promise<ProcessResult> {
  const started = Date.now();
  const [program, ...args] = argv;
  if (!program) return Promise.reject(new Error('runProcess: empty argv'));
  const cookie = newTreeCookie();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...options.env, [TREE_COOKIE_VAR]: cookie },
      detached: true,
      // typed as all pipes so stdout/stderr are non-null; stdin is null when ignored (checked below)
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] as unknown as ['pipe', 'pipe', 'pipe'],
    });
    if (options.stdin !== undefined && child.stdin !== null) {
      // a process that exits without reading all of it closes the pipe: EPIPE is not an error here
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }
    const pid = child.pid;
    if (options.pidDir && pid) recordProcessGroup(options.pidDir, pid, cookie);
    const cap = Math.max(options.limit * 4, 4096);
    const keep = (buf: { head: string; tail: string; total: number }, chunk: string) => {
      buf.total += chunk.length;
      if (buf.head.length < cap) buf.head += chunk.slice(0, cap - buf.head.length);
      buf.tail = (buf.tail + chunk).slice(-cap);
    };
    const out = { head: '', tail: '', total: 0 };
    const err = { head: '', tail: '', total: 0 };
    const all = { head: '', tail: '', total: 0 };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (keep(out, c), keep(all, c)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (keep(err, c), keep(all, c)));
    // a destroyed pipe may report an error; the result is what was read
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);

    let timedOut = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const killTree = (alive: boolean) => {
      if (!pid) return;
      if (options.pidNamespace) killProcessTree({ pid }, false);
      else killProcessTree({ pid, cookie }, alive);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(exited === undefined);
    }, options.timeoutMs);
    const onAbort = () => killTree(exited === undefined);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const cleanUp = () => {
      settled = true;
      clearTimeout(timer);
      if (grace) clearTimeout(grace);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.pidDir && pid) forgetProcessGroup(options.pidDir, pid);
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const settle = () => {
      if (settled) return;
      cleanUp();
      // redacted before trimming; a secret cut where head or tail ends sits in the middle part
      // that the trimming drops (the buffers hold 4 × limit, the trimmed text keeps limit)
      const clean = options.redact ?? ((t: string) => t);
      const text = (b: typeof out) => trimMiddle(b.total <= cap ? clean(b.head) : `${clean(b.head)}\n[...]\n${clean(b.tail)}`, options.limit);
      resolve({
        exitCode: exited?.code ?? null,
        signal: exited?.signal ?? null,
        output: text(all),
        stdout: text(out),
        stderr: text(err),
        timedOut,
        durationMs: Date.now() - started,
      });
    };
    child.on('error', (e) => {
      if (settled) return;
      killTree(false);
      cleanUp();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      clearTimeout(timer);
      killTree(false); // whatever it left behind: background jobs, setsid children, daemons
      grace = setTimeout(settle, PIPE_GRACE_MS);
    });
    child.on('close', settle); // exited and every pipe closed
  });
}

/**
 * The environment a command gets: PATH, HOME, LANG, TERM, SHELL, TMPDIR, CI, NODE_OPTIONS-free,
 * plus the names in `allowlist`. Nothing else leaks in (API keys stay out of test commands).
 * @param allowlist extra variable names to pass through
 */
export function commandEnv(allowlist: readonly string[], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const names = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'SHELL', 'TMPDIR', 'USER', 'CI', ...allowlist];
  const env: NodeJS.ProcessEnv = {};
  for (const name of names) if (base[name] !== undefined) env[name] = base[name];
  return env;
}
