import { TaskgraphError } from '../core/errors.js';
import { Serial } from '../core/serial.js';
import { execInHelper } from './exec-helper.js';

/**
 * Environment variables that point git at a particular repository, index or object store. They
 * are removed before every git call so a caller's environment (e.g. taskgraph started from a git
 * hook, which sets `GIT_DIR` and `GIT_INDEX_FILE`) cannot redirect our commands to the user's
 * checkout. The list is `git rev-parse --local-env-vars` of git 2.39, minus the three config
 * variables (`GIT_CONFIG`, `GIT_CONFIG_PARAMETERS`, `GIT_CONFIG_COUNT`), which users set on purpose.
 */
const REPOSITORY_ENV = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
] as const;

/** Largest stdout/stderr a git call may produce, in bytes (256 MiB). */
const MAX_BUFFER_BYTES = 256 * 1024 * 1024;

/** Options of {@link runGit}. */
export interface RunGitOptions {
  /** extra environment variables (applied after the repository variables are removed) */
  env?: Record<string, string>;
  /** exit codes that are not errors; default `[0]` */
  okCodes?: number[];
  /**
   * text written to git's stdin (UTF-8), then stdin is closed; for data that must not go through
   * argv, such as a commit message (`commit -F -`: argv has a per-argument limit, 128 KiB on Linux)
   */
  input?: string;
}

/** What a git call printed. */
export interface GitOutput {
  stdout: string;
  stderr: string;
  /** process exit code */
  code: number;
}

/**
 * Runs `git <args>` in `cwd` like `execFile` (no shell, so paths and messages are never
 * interpolated into a command line), from the exec helper process (`exec-helper.ts`). Output is
 * decoded as UTF-8.
 * @param cwd directory to run in (absolute)
 * @param args git arguments, e.g. `['rev-parse', 'HEAD']`
 * @throws TaskgraphError GIT_ERROR when git is missing, or exits with a code not in `okCodes`;
 *   the message holds git's stderr, `details` holds `{ args, cwd, exitCode, stderr }`
 */
export function runGit(cwd: string, args: string[], options: RunGitOptions = {}): Promise<GitOutput> {
  return readsWorktreeList(args) ? worktreeAdmin.run(() => runGitNow(cwd, args, options)) : runGitNow(cwd, args, options);
}

/**
 * Git subcommands that walk the repository's list of worktrees (`.git/worktrees/*`): `worktree`
 * (add, remove, prune, list) and those that refuse a branch checked out in another worktree
 * (`branch`, `checkout`, `switch`). Run at the same time as a `worktree add` they can read a
 * worktree's administrative files half written ("failed to read .git/worktrees/T3/commondir"),
 * so this process runs them one at a time (with task worktrees, tasks open and close together).
 */
const WORKTREE_LIST_READERS = new Set(['worktree', 'branch', 'checkout', 'switch']);

function readsWorktreeList(args: readonly string[]): boolean {
  let i = 0;
  while (args[i] === '-c') i += 2; // `-c name=value` options before the subcommand
  return WORKTREE_LIST_READERS.has(args[i] ?? '');
}

const worktreeAdmin = new Serial();

function runGitNow(cwd: string, args: string[], options: RunGitOptions): Promise<GitOutput> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of REPOSITORY_ENV) delete env[name];
  Object.assign(env, { GIT_TERMINAL_PROMPT: '0' }, options.env ?? {});
  const okCodes = options.okCodes ?? [0];
  return execInHelper('git', args, { cwd, env, maxBuffer: MAX_BUFFER_BYTES, ...(options.input !== undefined ? { input: options.input } : {}) }).then(({ error, stdout, stderr }) => {
    if (!error) return { stdout, stderr, code: 0 };
    if (error.code === 'ENOENT') {
      throw new TaskgraphError('GIT_ERROR', `cannot run git in ${cwd}: ${error.message}`, {
        details: { args, cwd },
        hint: 'install git (2.25 or newer) and make sure it is on PATH, and that the directory exists',
      });
    }
    const code = typeof error.code === 'number' ? error.code : -1;
    if (okCodes.includes(code)) return { stdout, stderr, code };
    const text = stderr.trim() || stdout.trim() || error.message;
    throw new TaskgraphError('GIT_ERROR', `git ${args.join(' ')} failed (exit ${code}) in ${cwd}: ${text}`, {
      details: { args, cwd, exitCode: code, stderr: stderr.trim() },
    });
  });
}

/** Runs git and returns its stdout with the trailing newline removed. @see runGit */
export async function gitText(cwd: string, args: string[], options: RunGitOptions = {}): Promise<string> {
  return (await runGit(cwd, args, options)).stdout.replace(/\r?\n$/, '');
}

/**
 * Rejects a revision argument that git could read as an option (leading `-`) or that is empty.
 * @throws TaskgraphError GIT_ERROR
 */
export function assertRevision(rev: string, what: string): void {
  if (rev.length === 0 || rev.startsWith('-') || /[\s\0]/.test(rev)) {
    throw new TaskgraphError('GIT_ERROR', `${what} "${rev}" is not a valid git revision`, {
      details: { revision: rev },
      hint: 'pass a commit sha, branch or tag name',
    });
  }
}
