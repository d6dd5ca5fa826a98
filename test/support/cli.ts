import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './build.js';
import { GIT_IDENTITY_ENV } from './project.js';

/** What a finished CLI process left behind. */
export interface CliResult {
  /** exit code; null when killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli} / {@link startCli}. */
export interface CliOptions {
  /** environment overrides; a value `undefined` removes the variable */
  env?: Record<string, string | undefined>;
  /** working directory of the process (default: the repository root) */
  cwd?: string;
  /** kill the process (SIGKILL) after this many ms; default 60 000 */
  timeoutMs?: number;
}

/**
 * The environment the CLI runs with: the test's environment without model API keys, plus a fixed
 * git identity, `CI=1` (plain progress lines instead of a redrawn frame), `NO_COLOR=1` and
 * `XDG_CACHE_HOME` = the test file's temporary cache directory (test/support/cache-home.ts), so
 * run worktrees go there and never into the real `~/.cache`.
 * @throws Error when the test file has no temporary cache directory (the setup file did not run)
 */
export function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const cacheHome = process.env['XDG_CACHE_HOME'];
  if (!cacheHome || !cacheHome.includes('taskgraph-cache-')) {
    throw new Error('XDG_CACHE_HOME is not a temporary test directory: run the tests with vitest.config.ts (setupFiles: test/support/cache-home.ts)');
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_IDENTITY_ENV, CI: '1', NO_COLOR: '1', XDG_CACHE_HOME: cacheHome };
  delete env['OPENAI_API_KEY'];
  delete env['ANTHROPIC_API_KEY'];
  delete env['FORCE_COLOR'];
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A running CLI process with its output so far. */
export interface CliProcess {
  child: ChildProcess;
  /** stdout so far */
  readonly stdout: string;
  /** stderr so far (progress lines go here) */
  readonly stderr: string;
  /** resolves when the process has exited and its pipes are closed */
  done: Promise<CliResult>;
  /** resolves once `predicate(stdout + stderr)` holds (checked on every chunk); rejects if the process exits first */
  waitFor(predicate: (output: string) => boolean): Promise<void>;
}

/**
 * Starts `node dist/cli/main.js ARGS` asynchronously (never spawnSync: a fake model server in the
 * test process must keep answering while the CLI runs).
 */
export function startCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ predicate: (o: string) => boolean; resolve: () => void; reject: (e: Error) => void }> = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.predicate(stdout + stderr)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    check();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of watchers.splice(0)) {
        w.reject(new Error(`taskgraph ${args.join(' ')} exited (${code ?? signal}) before the awaited output\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    waitFor: (predicate) =>
      new Promise<void>((resolve, reject) => {
        if (predicate(stdout + stderr)) return resolve();
        if (child.exitCode !== null || child.signalCode !== null) {
          return reject(new Error(`taskgraph ${args.join(' ')} already exited`));
        }
        watchers.push({ predicate, resolve, reject });
      }),
  };
}

/** Runs the CLI to completion: `{ code, signal, stdout, stderr }`. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Runs `taskgraph -C DIR ...` and parses stdout as JSON (the command must get `--json`). */
export async function cliJson<T = any>(dir: string, args: readonly string[], options: CliOptions = {}): Promise<T> {
  const r = await runCli(['-C', dir, ...args], options);
  if (r.code !== 0) throw new Error(`taskgraph ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Formats a result for assertion messages. */
export function describeResult(r: CliResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
