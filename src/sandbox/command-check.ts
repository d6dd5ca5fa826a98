import { userInfo } from 'node:os';
import type { ProjectConfig } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { type CommandOrigin, type CommandVerdict, judgeCommand } from './command-policy.js';

/**
 * Acts on the command policy's verdict (`command-policy.ts`) for the gate (`gate.ts`), before
 * anything is spawned: a denied line throws, an unlisted one runs or throws as the policy says.
 * Refusals and unlisted lines allowed are appended to the audit log first ("write, then act"):
 * a refused line is audited before the error reaches the engine, which then records the node's
 * failure in its own transaction — a process killed between the two leaves an audit entry and a
 * node that runs (and is refused, and audited) again on resume, so no refusal goes unrecorded; an
 * unlisted line is audited before it starts, and is not run when the entry cannot be written.
 */

/** Where audit entries of the gate go: the run's store and id. */
export interface GateAudit {
  store: Pick<Store, 'appendAudit'>;
  /** absent outside a run */
  runId?: string;
}

/**
 * Judges `command` and audits the decision.
 * @param command the shell line
 * @param options `config`: the project's configuration; `cwd`: absolute directory it runs in;
 *   `origin`: `graph` for a `command` node's line; `audit`: where entries go (none: not audited);
 *   `log`: progress line for an unlisted line allowed by `--yes-commands`
 * @returns the verdict (allowed or unlisted-and-allowed) when the line may run
 * @throws TaskgraphError COMMAND_DENIED (denylist, or a line that cannot be parsed) or
 *   COMMAND_NEEDS_APPROVAL (unlisted, `unlisted: refuse`, no `--yes-commands`); neither retryable
 * @throws TaskgraphError STORE_ERROR when the audit entry of an unlisted line cannot be written (the line is not run)
 */
export async function checkCommand(
  command: string,
  options: { config: ProjectConfig; cwd: string; origin?: CommandOrigin; audit?: GateAudit; log?: (message: string) => void },
): Promise<CommandVerdict> {
  const policy = options.config.policy.safety.commands;
  const verdict = judgeCommand(command, options.config, { cwd: options.cwd, ...(options.origin ? { origin: options.origin } : {}) });
  const who = policy.by ?? currentUser();
  if (verdict.verdict === 'denied') {
    const error = new TaskgraphError('COMMAND_DENIED', `command refused: \`${command}\` runs \`${verdict.command}\`, denied by rule ${verdict.rule}: ${verdict.reason}`, {
      details: { command, rule: verdict.rule, matched: verdict.command, reason: verdict.reason },
      hint: deniedHint(verdict.rule),
    });
    await append(options.audit, { who, kind: 'command-refused', subject: command, reason: `rule ${verdict.rule}: ${verdict.reason}`, details: { rule: verdict.rule, matched: verdict.command } });
    throw error;
  }
  if (verdict.verdict === 'allowed') return verdict;
  if (!policy.yes && policy.unlisted === 'refuse') {
    await append(options.audit, {
      who,
      kind: 'command-refused',
      subject: command,
      reason: 'not in policy.safety.commands.allow and policy.safety.commands.unlisted is refuse',
      details: { rule: 'unlisted', unlisted: verdict.commands },
    });
    throw new TaskgraphError('COMMAND_NEEDS_APPROVAL', `command needs approval: \`${command}\` runs ${verdict.commands.map((c) => `\`${c}\``).join(', ')}, which policy.safety.commands.allow does not list`, {
      details: { command, unlisted: verdict.commands },
      hint: `add a pattern for it to policy.safety.commands.allow in taskgraph.yaml (e.g. allow: ["${firstWords(verdict.commands[0]!)}"]), or pass --yes-commands to run unlisted commands this session (each one audited)`,
    });
  }
  const reason = policy.yes ? '--yes-commands' : 'policy.safety.commands.unlisted is allow';
  await append(options.audit, { who, kind: 'command-allowed-unlisted', subject: command, reason, details: { unlisted: verdict.commands } });
  if (policy.yes) options.log?.(`command not in policy.safety.commands.allow, run (--yes-commands, audited): ${command}`);
  return verdict;
}

async function append(audit: GateAudit | undefined, entry: { who: string; kind: 'command-refused' | 'command-allowed-unlisted'; subject: string; reason: string; details: Record<string, string | string[]> }): Promise<void> {
  if (!audit) return;
  await audit.store.appendAudit({ ...(audit.runId ? { runId: audit.runId } : {}), at: Date.now(), ...entry });
}

function deniedHint(rule: string): string {
  if (rule === 'unparsable') return 'write the line without here-documents and with balanced quotes, or move it into a script file in the repository and run that';
  if (rule.startsWith('deny: ')) return 'remove the pattern from policy.safety.commands.deny in taskgraph.yaml if the command should run';
  if (rule === 'pipe-to-shell') return 'download the script into the repository and review it instead, or set policy.safety.commands.defaults: false in taskgraph.yaml (turns the whole default denylist off)';
  return 'if it must run, add a pattern matching it to policy.safety.commands.allow in taskgraph.yaml (an allow pattern lifts the default rule for the commands it matches), or set policy.safety.commands.defaults: false';
}

/** The first two words of a command, as a pattern suggestion. */
function firstWords(command: string): string {
  return command.split(' ').slice(0, 2).join(' ').replace(/"/g, '');
}

/** `$USER`, else the OS account name, else `unknown`. */
export function currentUser(): string {
  const fromEnv = process.env['USER'] ?? process.env['LOGNAME'];
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
