import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CommandClass, networkFor, type ProjectConfig } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { commandEnv, type ProcessResult, runProcess } from '../nodes/run-process.js';
import { secretRedactor } from '../security/redact.js';
import { checkCommand, type GateAudit } from './command-check.js';
import type { CommandOrigin } from './command-policy.js';
import { confinedArgv } from './confine.js';
import { sandboxStatus, type SandboxStatus } from './detect.js';

/**
 * The one gate every command taskgraph runs passes through (DESIGN.md §9): `command` nodes,
 * verify checks, `commands.setup`, the baseline, `init`'s probe of the detected commands, and
 * agent CLIs (`nodes/agent.ts`). It decides the environment (scrubbed: see {@link commandEnv}), the
 * confinement (sandbox, network per command class from `policy.safety`: src/sandbox/confine.ts)
 * and the bounds (timeout, output limit, abort: {@link runProcess}), then runs the shell line.
 * Before any of that, the command policy (`policy.safety.commands`: `command-policy.ts`) judges
 * the line and refuses it or audits it (`command-check.ts`). Callers never spawn commands themselves.
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
  /**
   * variables set by taskgraph itself for this command (e.g. a reporter flag); never secrets. A
   * `PATH` here also decides where the sandbox tools are looked up.
   */
  env?: Readonly<Record<string, string>>;
  /** characters of output kept per stream; default `policy.outputLimit` */
  limit?: number;
  /** aborting kills the command's whole process tree (the sandbox with everything in it) */
  signal?: AbortSignal;
  /** where running process groups are listed, so a resume can kill orphans (engine/orphans.ts) */
  pidDir?: string;
  /**
   * progress line for observers; gets {@link sandboxNotice}'s line with the first unconfined
   * command of a run (once per `pidDir`, i.e. per run)
   */
  log?: (message: string) => void;
  /** where the line comes from for the command policy: `graph` for a `command` node's line; default `project` */
  origin?: CommandOrigin;
  /** where the command policy's refusals and unlisted lines allowed are audited; none: not audited */
  audit?: GateAudit;
  /** text written to the command's stdin (an agent CLI's prompt); absent: stdin is /dev/null */
  stdin?: string;
}

/** The runs (their `pidDir`, '' without one) whose log already got {@link sandboxNotice}'s line. */
const told = new Set<string>();

/**
 * The one line to print when a run starts and its commands will run unconfined
 * (`policy.safety.sandbox: auto` and no sandbox tool works here), else undefined. The CLI calls
 * it once per run session; {@link runGated} also writes it to the run's log on the run's first
 * unconfined command.
 * @param path `PATH` the sandbox tools are looked up in; default this process's
 */
export function sandboxNotice(config: ProjectConfig, path?: string): string | undefined {
  if (config.policy.safety.sandbox !== 'auto') return undefined;
  const status = sandboxStatus(path);
  if (status.tool !== 'none') return undefined;
  return `warning: no sandbox (${status.reason ?? 'no tool'}): commands run unconfined, with the checkout writable, the host network, and taskgraph's environment readable through /proc; install bubblewrap, or set policy.safety.sandbox: required to refuse`;
}

/**
 * Runs one shell line through the gate: the scrubbed environment, confined by the sandbox
 * ({@link sandboxStatus}) unless `policy.safety.sandbox` is `off`, bounded by its timeout and
 * the abort signal. Never rejects for a non-zero exit: the caller decides what a failure is
 * (`ProcessResult.exitCode`, `timedOut`). The returned `output`, `stdout` and `stderr` are
 * redacted (`security/redact.ts`).
 * @throws TaskgraphError COMMAND_DENIED or COMMAND_NEEDS_APPROVAL when the command policy
 *   (`policy.safety.commands`, {@link checkCommand}) refuses the line; nothing is spawned then
 * @throws TaskgraphError SANDBOX_ERROR when `policy.safety.sandbox` is `required` and no sandbox
 *   tool works here
 * @throws Error only when the shell or sandbox tool cannot be spawned
 */
export async function runGated(command: string, options: GateOptions): Promise<ProcessResult> {
  const policy = options.config.policy;
  // the command policy (policy.safety.commands) decides before anything is spawned
  await checkCommand(command, {
    config: options.config,
    cwd: realDir(options.cwd),
    ...(options.origin ? { origin: options.origin } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const env: NodeJS.ProcessEnv = { ...commandEnv([...policy.envAllowlist, ...(options.envNames ?? [])]), ...(options.env ?? {}) };
  let argv = ['/bin/sh', '-c', command];
  let pidNamespace = false;
  if (policy.safety.sandbox !== 'off') {
    const status = sandboxStatus(env['PATH'] ?? '');
    if (status.tooling) {
      const cwd = realDir(options.cwd);
      const projectDir = existsSync(options.projectDir) ? realDir(options.projectDir) : undefined;
      argv = confinedArgv(status.tooling, command, { cwd, ...(projectDir ? { projectDir } : {}), network: networkFor(policy.safety, options.kind) });
      pidNamespace = true;
    } else if (policy.safety.sandbox === 'required') {
      throw noSandbox(status);
    } else {
      const key = options.pidDir ?? '';
      if (!told.has(key)) {
        told.add(key);
        const notice = sandboxNotice(options.config, env['PATH'] ?? '');
        if (notice) options.log?.(notice);
      }
    }
  }
  // a command that prints a secret it found never hands it to a record, a prompt or the terminal
  const secrets = secretRedactor();
  return runProcess(argv, {
    cwd: options.cwd,
    timeoutMs: options.timeoutMs ?? policy.commandTimeoutMs,
    env,
    limit: options.limit ?? policy.outputLimit,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pidDir ? { pidDir: options.pidDir } : {}),
    pidNamespace,
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    redact: (text) => secrets.redact(text),
  });
}

function noSandbox(status: SandboxStatus): TaskgraphError {
  return new TaskgraphError('SANDBOX_ERROR', `policy.safety.sandbox is "required" but no sandbox works here: ${status.reason ?? 'no tool'}`, {
    details: { reason: status.reason ?? null },
    hint: 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) or util-linux `unshare`, or set policy.safety.sandbox: auto in taskgraph.yaml',
  });
}

/** The resolved real path of a directory (symlinks followed), or its absolute path if it cannot be resolved. */
function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}
