import { spawn } from 'node:child_process';
import { forgetProcessGroup, recordProcessGroup } from '../engine/orphans.js';
import { trimMiddle } from '../engine/refine.js';

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

/** Options for {@link runShell}. */
export interface RunShellOptions {
  cwd: string;
  /** ms; the whole process group is killed with SIGKILL after it */
  timeoutMs: number;
  /** variables passed to the process (the caller applies the allowlist) */
  env: NodeJS.ProcessEnv;
  /** characters kept per stream (head 40% + tail 60%) */
  limit: number;
  signal?: AbortSignal;
  /** directory listing running process groups, so a resume can kill orphans (see engine/orphans.ts) */
  pidDir?: string;
}

/**
 * Runs a shell command (`/bin/sh -c`) in its own process group, with a timeout and abort, and
 * captures output with bounded memory (at most ~4 × `limit` characters per stream are held).
 * Never rejects for a non-zero exit: the caller decides what a failure is.
 * @throws Error only when the shell itself cannot be spawned
 */
export function runShell(command: string, options: RunShellOptions): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, { cwd: options.cwd, env: options.env, shell: true, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (options.pidDir && child.pid) recordProcessGroup(options.pidDir, child.pid);
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
    let timedOut = false;
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = () => kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (options.pidDir && child.pid) forgetProcessGroup(options.pidDir, child.pid);
      options.signal?.removeEventListener('abort', onAbort);
      const text = (b: typeof out) => trimMiddle(b.total <= cap ? b.head : `${b.head}\n[...]\n${b.tail}`, options.limit);
      resolve({
        exitCode,
        signal,
        output: text(all),
        stdout: text(out),
        stderr: text(err),
        timedOut,
        durationMs: Date.now() - started,
      });
    });
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
