import { userInfo } from 'node:os';
import type { ProjectConfig } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { commandApproval, commandHash, UNLISTED_REASON } from '../safety/command-approval.js';
import type { AuditInput } from '../store/audit.js';
import type { Store } from '../store/store.js';
import { type CommandOrigin, type CommandVerdict, judgeCommand } from './command-policy.js';

/**
 * Acts on the command policy's verdict (`command-policy.ts`) for the gate (`gate.ts`), before
 * anything is spawned: a denied line throws; an unlisted one runs, throws, or waits for a
 * person's approval as `policy.safety.commands.unlisted` says (`ask`: `safety/command-approval.ts`).
 *
 * Audit ("every refused command ... is appended in the same transaction as its effect"): inside a
 * run node (the gate knows `audit.nodeId`) a refusal's `command-refused` entry, and an approval
 * request's `approval-requested` entry, travel with the error (`TaskgraphError.audit`) and the
 * engine writes them with the node's failed or suspended attempt in ONE store transaction: the
 * entry exists iff the outcome is recorded, and a process killed in between leaves neither (the
 * node runs, and is refused and audited, again on resume). Outside a run node there is no outcome
 * to record, so the entry is appended before the error is thrown. An unlisted line that runs is
 * audited (`command-allowed-unlisted`) before it starts, and is not run when the entry cannot be written.
 */

/** Where audit entries of the gate go: the run's store and id, and the node that runs the line. */
export interface GateAudit {
  /** `getDecision` and `listAudit` are needed for `unlisted: ask` (with `nodeId`) */
  store: Pick<Store, 'appendAudit'> & Partial<Pick<Store, 'getDecision' | 'listAudit'>>;
  /** absent outside a run */
  runId?: string;
  /**
   * the run node running the line: with it (and `runId`), refusals travel with the error for
   * the engine to record atomically, and `unlisted: ask` asks a person; without it, refusals are
   * appended at once and `ask` refuses like `refuse`
   */
  nodeId?: string;
}

/**
 * Judges `command` and audits the decision.
 * @param command the shell line
 * @param options `config`: the project's configuration; `cwd`: absolute directory it runs in;
 *   `origin`: `graph` for a `command` node's line; `audit`: where entries go (none: not audited);
 *   `log`: progress line for an unlisted line allowed by `--yes-commands`
 * @returns the verdict (allowed or unlisted-and-allowed) when the line may run
 * @throws TaskgraphError COMMAND_DENIED (denylist, or a line that cannot be parsed) or
 *   COMMAND_NEEDS_APPROVAL (unlisted, `unlisted: refuse`, or `ask` without a run node; no
 *   `--yes-commands`); neither retryable. Inside a run node the error carries its
 *   `command-refused` entry (`TaskgraphError.audit`) instead of it being appended here.
 * @throws TaskgraphError COMMAND_NEEDS_APPROVAL with `details.awaitingApproval` (the node
 *   suspends) or COMMAND_DECLINED (a person rejected the line): `unlisted: ask` in a run node,
 *   see {@link commandApproval}
 * @throws TaskgraphError STORE_ERROR when an audit entry cannot be written (the line is not run)
 */
export async function checkCommand(
  command: string,
  options: { config: ProjectConfig; cwd: string; origin?: CommandOrigin; audit?: GateAudit; log?: (message: string) => void },
): Promise<CommandVerdict> {
  const policy = options.config.policy.safety.commands;
  const verdict = judgeCommand(command, options.config, { cwd: options.cwd, ...(options.origin ? { origin: options.origin } : {}) });
  const who = policy.by ?? currentUser();
  const audit = options.audit;
  if (verdict.verdict === 'denied') {
    const entry = { who, kind: 'command-refused', subject: command, reason: `rule ${verdict.rule}: ${verdict.reason}`, details: { rule: verdict.rule, matched: verdict.command } } as const;
    throw await refusal(audit, entry, (carried) =>
      new TaskgraphError('COMMAND_DENIED', `command refused: \`${command}\` runs \`${verdict.command}\`, denied by rule ${verdict.rule}: ${verdict.reason}`, {
        details: { command, rule: verdict.rule, matched: verdict.command, reason: verdict.reason },
        hint: deniedHint(verdict.rule),
        audit: carried,
      }),
    );
  }
  if (verdict.verdict === 'allowed') return verdict;
  const { getDecision, listAudit } = audit?.store ?? {};
  const node =
    audit?.runId !== undefined && audit.nodeId !== undefined && getDecision && listAudit
      ? { store: { getDecision: getDecision.bind(audit.store), listAudit: listAudit.bind(audit.store) }, runId: audit.runId, nodeId: audit.nodeId }
      : undefined;
  if (!policy.yes && (policy.unlisted === 'refuse' || (policy.unlisted === 'ask' && !node))) {
    const entry = {
      who,
      kind: 'command-refused',
      subject: command,
      reason: `not in policy.safety.commands.allow and policy.safety.commands.unlisted is ${policy.unlisted}${policy.unlisted === 'ask' ? ', with no run node here to ask a person about it' : ''}`,
      details: { rule: 'unlisted', unlisted: verdict.commands },
    } as const;
    throw await refusal(audit, entry, (carried) =>
      new TaskgraphError('COMMAND_NEEDS_APPROVAL', `command needs approval: \`${command}\` runs ${verdict.commands.map((c) => `\`${c}\``).join(', ')}, which policy.safety.commands.allow does not list`, {
        details: { command, unlisted: verdict.commands },
        hint: `add a pattern for it to policy.safety.commands.allow in taskgraph.yaml (e.g. allow: ["${firstWords(verdict.commands[0]!)}"]), or pass --yes-commands to run unlisted commands this session (each one audited)`,
        audit: carried,
      }),
    );
  }
  if (!policy.yes && policy.unlisted === 'ask') {
    const approval = await commandApproval(command, verdict.commands, node!);
    await append(audit, { who: approval.by, kind: 'command-allowed-unlisted', subject: command, reason: `approved by ${approval.by} (${UNLISTED_REASON})`, details: { unlisted: verdict.commands, node: node!.nodeId, commandHash: commandHash(command) } });
    return verdict;
  }
  const reason = policy.yes ? '--yes-commands' : 'policy.safety.commands.unlisted is allow';
  await append(audit, { who, kind: 'command-allowed-unlisted', subject: command, reason, details: { unlisted: verdict.commands } });
  if (policy.yes) options.log?.(`command not in policy.safety.commands.allow, run (--yes-commands, audited): ${command}`);
  return verdict;
}

/** An audit entry of the gate, before its run and time are filled in. */
type GateEntry = { who: string; kind: 'command-refused' | 'command-allowed-unlisted'; subject: string; reason: string; details: Record<string, string | string[]> };

/**
 * The refusal error with its audit entry: carried by the error inside a run node (the engine
 * writes it with the failure), else appended first.
 */
async function refusal(audit: GateAudit | undefined, entry: GateEntry, error: (carried: AuditInput[]) => TaskgraphError): Promise<TaskgraphError> {
  if (audit?.runId !== undefined && audit.nodeId !== undefined) return error([{ runId: audit.runId, at: Date.now(), ...entry, details: { ...entry.details, node: audit.nodeId } }]);
  await append(audit, entry);
  return error([]);
}

async function append(audit: GateAudit | undefined, entry: GateEntry): Promise<void> {
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
