import { readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProjectConfig } from '../core/config.js';
import type { ErrorRecord } from '../core/errors.js';
import type { ProcessResult } from '../nodes/run-process.js';
import type { GateAudit } from '../sandbox/command-check.js';
import { runGated } from '../sandbox/gate.js';
import { gitText } from '../workspace/git-run.js';
import { firstFailingLines } from './failure-lines.js';

/**
 * `commands.setup` in a worktree (`npm ci`, `pip install -e .`, `cargo fetch`): the command run
 * through the gate as a `setup` command, the identity of the worktree it prepared, and a marker
 * of the last setup kept in the worktree's own git directory (`<git dir>/taskgraph-setup.json`,
 * outside the working tree, so no commit and no test ever sees it). `verify` compares the marker
 * with the dependency files and runs setup again when a task changed them.
 */

/** What the marker records: the command and the dependency-file hash it installed from. */
export interface SetupMarker {
  command: string;
  /** {@link dependencyHash} of the worktree when setup last succeeded */
  dependencies: string;
  /** ISO time */
  at: string;
}

/** File name of the marker inside the worktree's git directory. */
export const SETUP_MARKER_FILE = 'taskgraph-setup.json';

/**
 * The identity of a worktree: its real path plus the device, inode and birth time (ns) of its
 * `.git` entry, which `git worktree add` creates anew. A worktree removed and added again at the
 * same path is a new worktree; a resume in the same one keeps its identity. Read-only.
 * @param dir the worktree directory
 * @returns an opaque string (`<path>#missing` when the directory or its `.git` is gone)
 */
export async function worktreeIdentity(dir: string): Promise<string> {
  const path = await realpath(dir).catch(() => dir);
  try {
    const s = await stat(join(path, '.git'), { bigint: true });
    return `${path}#${s.dev}:${s.ino}:${s.birthtimeNs || s.ctimeNs}`;
  } catch {
    return `${path}#missing`;
  }
}

async function markerPath(dir: string): Promise<string | undefined> {
  try {
    return join(await gitText(dir, ['rev-parse', '--absolute-git-dir']), SETUP_MARKER_FILE);
  } catch {
    return undefined;
  }
}

/** The marker of the worktree's last successful setup, or `undefined` when setup never ran there. */
export async function readSetupMarker(dir: string): Promise<SetupMarker | undefined> {
  const path = await markerPath(dir);
  if (!path) return undefined;
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<SetupMarker>;
    return typeof value.command === 'string' && typeof value.dependencies === 'string' ? { command: value.command, dependencies: value.dependencies, at: String(value.at ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the marker (best effort: a worktree without a git directory keeps none). */
export async function writeSetupMarker(dir: string, marker: SetupMarker): Promise<void> {
  const path = await markerPath(dir);
  if (path) await writeFile(path, `${JSON.stringify(marker)}\n`, 'utf8').catch(() => undefined);
}

/** Options of {@link runSetup}. */
export interface SetupRunOptions {
  /** the worktree */
  cwd: string;
  config: ProjectConfig;
  projectDir: string;
  /** the dependency-file hash the worktree has now (recorded in the marker on success) */
  dependencies: string;
  /** ms; default policy.commandTimeoutMs */
  timeoutMs?: number;
  signal?: AbortSignal;
  pidDir?: string;
  log?: (message: string) => void;
  /** where the command policy audits a refusal or an unlisted line allowed (`sandbox/command-check.ts`) */
  audit?: GateAudit;
}

/** What {@link runSetup} did: the process result and, when it failed, the error to record. */
export interface SetupRun {
  result: ProcessResult;
  error?: ErrorRecord;
}

/**
 * Runs the setup command in the worktree through the gate (`kind: 'setup'`, whose network is
 * `policy.safety.network.setup`) and, when it succeeds, writes the marker.
 * @param command the project's `commands.setup`
 * @returns the result; `error` (COMMAND_FAILED with command, exit code, trimmed output and the
 *   first failing lines) when it exited non-zero or timed out
 * @throws Error only when the shell cannot be spawned
 */
export async function runSetup(command: string, options: SetupRunOptions): Promise<SetupRun> {
  options.log?.(`setup: ${command}`);
  const result = await runGated(command, {
    kind: 'setup',
    cwd: options.cwd,
    config: options.config,
    projectDir: options.projectDir,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pidDir ? { pidDir: options.pidDir } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
  });
  if (result.exitCode === 0) {
    await writeSetupMarker(options.cwd, { command, dependencies: options.dependencies, at: new Date().toISOString() });
    return { result };
  }
  const why = result.timedOut ? `timed out after ${options.timeoutMs ?? options.config.policy.commandTimeoutMs} ms` : `exit code ${result.exitCode ?? result.signal}`;
  const missing = result.exitCode === 127 || /command not found|: not found/.test(result.output);
  return {
    result,
    error: {
      code: 'COMMAND_FAILED',
      message: `setup failed: \`${command}\` (${why})`,
      retryable: false,
      details: { command, exitCode: result.exitCode, output: result.output, timedOut: result.timedOut, firstLines: firstFailingLines(result.output) },
      hint: missing
        ? 'the setup command is not installed here: install it, or change commands.setup in taskgraph.yaml'
        : 'fix commands.setup in taskgraph.yaml (installs need the package registry: policy.safety.network.setup must be host), then `taskgraph resume RUN`',
    },
  };
}
