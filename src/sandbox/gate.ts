import type { CommandClass, ProjectConfig } from '../core/config.js';
import { commandEnv, type ProcessResult, runShell } from '../nodes/run-process.js';

/**
 * The one gate every command taskgraph runs passes through (DESIGN.md §9): `command` nodes,
 * verify checks, `commands.setup`, the baseline, `init`'s probe of the detected commands, and
 * agent CLIs later. It decides the environment (scrubbed: see {@link commandEnv}), the
 * confinement (sandbox, network per command class from `policy.safety`) and the bounds (timeout,
 * output limit, abort), then runs the shell line. Callers never spawn commands themselves.
 */

/** Options of {@link runGated}. */
export interface GateOptions {
  /** which kind of command: picks the network setting (`policy.safety.network`) */
  kind: CommandClass;
  /** directory the command runs in (the run's worktree, else the project directory) */
  cwd: string;
  /** the project's configuration (policy.safety, envAllowlist, outputLimit, commandTimeoutMs) */
  config: ProjectConfig;
  /** the user's checkout; kept read-only inside the sandbox when it is not `cwd` */
  projectDir: string;
  /** ms; default `policy.commandTimeoutMs` */
  timeoutMs?: number;
  /** more environment variable names passed through (a `command` node's `config.env`) */
  envNames?: readonly string[];
  /** variables set by taskgraph itself for this command (e.g. a reporter flag); never secrets */
  env?: Readonly<Record<string, string>>;
  /** characters of output kept per stream; default `policy.outputLimit` */
  limit?: number;
  signal?: AbortSignal;
  /** where running process groups are listed, so a resume can kill orphans (engine/orphans.ts) */
  pidDir?: string;
  /** progress line for observers */
  log?: (message: string) => void;
}

/**
 * Runs one shell line through the gate. Never rejects for a non-zero exit: the caller decides
 * what a failure is (`ProcessResult.exitCode`, `timedOut`).
 * @throws Error only when the shell cannot be spawned
 */
export function runGated(command: string, options: GateOptions): Promise<ProcessResult> {
  const policy = options.config.policy;
  return runShell(command, {
    cwd: options.cwd,
    timeoutMs: options.timeoutMs ?? policy.commandTimeoutMs,
    env: { ...commandEnv([...policy.envAllowlist, ...(options.envNames ?? [])]), ...(options.env ?? {}) },
    limit: options.limit ?? policy.outputLimit,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pidDir ? { pidDir: options.pidDir } : {}),
  });
}
