import { execFile, spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs short-lived programs (git) from a small helper process instead of from this one.
 *
 * Starting a child process blocks the calling event loop until the child has exec'd: libuv's
 * `uv_spawn` forks and then waits on a close-on-exec pipe for the exec to succeed (see libuv's
 * `src/unix/process.c`). The fork copies the page tables of the whole parent, so the larger the
 * parent and the busier the machine, the longer the block: measured here, a run with four task
 * worktrees spends about 9.7 s of its 25 s blocked in `child_process` starting ~570 git
 * processes. A helper — a bare `node -e` with a small heap, started once — does the spawning
 * and sends each result back over an IPC channel, so the engine's event loop never blocks on a
 * fork. The helper ignores SIGINT (the git processes it starts still get the terminal's, as
 * before) and exits when this process goes (the IPC channel closes, also on kill -9).
 *
 * If the helper cannot be started, calls run with `execFile` here, as before. If it dies with
 * calls out, those fail (as a program killed by a signal would: they may or may not have run,
 * so none is run twice) and the next call starts a new helper.
 */

/** What `execFile` gives its callback, carried over the IPC channel. */
export interface ExecResult {
  /** absent when the program exited 0; `code` is the exit code (number) or an errno string such as `ENOENT` */
  error?: { message: string; code?: number | string; signal?: string | null };
  stdout: string;
  stderr: string;
}

/** Options of {@link execInHelper}, as `execFile` takes them. */
export interface ExecOptions {
  /** absolute directory to run in */
  cwd: string;
  /** the program's whole environment */
  env: NodeJS.ProcessEnv;
  /** largest stdout/stderr, bytes */
  maxBuffer: number;
  /** text written to the program's stdin (UTF-8), then stdin is closed */
  input?: string;
}

const HELPER = `
const { execFile } = require('node:child_process');
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  let child;
  try {
    child = execFile(m.file, m.args, { cwd: m.cwd, env: m.env, maxBuffer: m.maxBuffer, encoding: 'utf8' }, (error, stdout, stderr) => {
      const e = error ? { message: error.message, code: error.code, signal: error.signal } : undefined;
      process.send({ id: m.id, error: e, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') });
    });
  } catch (error) {
    process.send({ id: m.id, error: { message: String(error && error.message), code: error && error.code }, stdout: '', stderr: '' });
    return;
  }
  if (m.input !== undefined) {
    child.stdin.on('error', () => {});
    child.stdin.end(m.input, 'utf8');
  }
});
`;

interface Pending {
  resolve: (result: ExecResult) => void;
  file: string;
  args: string[];
}

let helper: ChildProcess | undefined;
let broken = false; // the helper could not be started: run here from now on
let nextId = 1;
const pending = new Map<number, Pending>();

function direct(file: string, args: string[], options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: options.cwd, env: options.env, maxBuffer: options.maxBuffer, encoding: 'utf8' }, (error, stdout, stderr) => {
      const e = error ? { message: error.message, code: (error as { code?: number | string }).code, signal: error.signal ?? null } : undefined;
      resolve({ ...(e ? { error: e } : {}), stdout: String(stdout ?? ''), stderr: String(stderr ?? '') });
    });
    if (options.input !== undefined) {
      child.stdin?.on('error', () => undefined); // the program exiting before reading it all: its exit code tells
      child.stdin?.end(options.input, 'utf8');
    }
  });
}

/**
 * The helper went (killed, crashed) with calls out: they fail as a program killed by a signal
 * would (each may have run or not, so none is run again); the next call starts a new helper.
 */
function orphan(): void {
  helper = undefined;
  const calls = [...pending.values()];
  pending.clear();
  for (const c of calls) c.resolve({ error: { message: `${c.file} ${c.args.join(' ')}: the helper process that ran it exited`, code: -1, signal: 'SIGKILL' }, stdout: '', stderr: '' });
}

function start(): ChildProcess | undefined {
  if (helper || broken) return helper;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['NODE_OPTIONS']; // a profiler or loader of the parent is not the helper's
    const child = spawn(process.execPath, ['-e', HELPER], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env });
    child.on('message', (m: { id: number } & ExecResult) => {
      const call = pending.get(m.id);
      if (!call) return;
      pending.delete(m.id);
      if (pending.size === 0) child.channel?.unref();
      call.resolve({ ...(m.error ? { error: m.error } : {}), stdout: m.stdout, stderr: m.stderr });
    });
    child.on('error', () => {
      if (helper === child) orphan();
    });
    child.on('exit', () => {
      if (helper === child) orphan();
    });
    child.unref();
    child.channel?.unref();
    helper = child;
    return child;
  } catch {
    broken = true;
    return undefined;
  }
}

/**
 * Runs `file args` as `execFile` would (no shell) and resolves with what its callback got; never
 * rejects. Runs in the helper process when it is up (see the module note), else here.
 * @param file the program, looked up on the PATH of `options.env`
 * @param args its arguments
 */
export function execInHelper(file: string, args: string[], options: ExecOptions): Promise<ExecResult> {
  const child = start();
  if (!child?.connected) return direct(file, args, options);
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, { resolve, file, args });
    if (pending.size === 1) child.channel?.ref(); // keep this process alive while a call is out
    child.send({ id, file, args, cwd: options.cwd, env: options.env, maxBuffer: options.maxBuffer, ...(options.input !== undefined ? { input: options.input } : {}) }, (error) => {
      if (!error || !pending.has(id)) return;
      pending.delete(id);
      if (pending.size === 0) child.channel?.unref();
      void direct(file, args, options).then(resolve);
    });
  });
}

/** The helper's process id while it runs, else undefined (for diagnostics and tests). */
export function execHelperPid(): number | undefined {
  return helper?.pid;
}
