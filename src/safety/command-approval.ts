import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { AuditInput } from '../store/audit.js';
import type { DecisionRecord, Store } from '../store/store.js';
import { latestRequest } from './pending-approval.js';
import { scoreRisk } from './risk.js';

/**
 * Approval of an unlisted command line (issue 11 "People in control", `policy.safety.commands.
 * unlisted: ask`, the default). A run node whose shell line is neither allowed nor denied
 * suspends until a person decides that exact line:
 *
 * - no decision about the line yet: the node suspends. The error thrown
 *   ({@link awaitingApproval} tells it) carries an `approval-requested` audit entry (subject: the
 *   node id; details: the line, its sha256, the unlisted commands, risk reasons), which the engine
 *   writes with the suspended attempt in one transaction. `taskgraph approvals` lists it.
 * - `taskgraph approve RUN NODE` binds the decision to the line's sha256 ({@link commandHash},
 *   `DecisionRecord.subject`; the hash, not the text, because stored text has secrets redacted):
 *   the node runs the line when it runs again, audited `command-allowed-unlisted` naming who approved.
 * - `taskgraph reject RUN NODE --comment` fails the node with COMMAND_DECLINED, the comment as
 *   `details.reason` (refinable: for a task's verify it becomes the task note).
 * - a decision about another line does not count: the node asks again (the new request replaces
 *   the old decision row when decided). A node that runs several unlisted lines (verify gates)
 *   asks about each in turn; decisions about its earlier lines are read back from their audit
 *   entries (`approved`/`rejected` with the line's hash), so it does not ask about them again.
 */

/** Where a node's approval of a command is looked up and asked for: the run node that runs it. */
export interface CommandApprovalContext {
  store: Pick<Store, 'getDecision' | 'listAudit'>;
  runId: string;
  nodeId: string;
}

/** sha256 (hex) of a shell line exactly as it would run: what an approval of it binds to. */
export function commandHash(line: string): string {
  return sha256(line);
}

/** The reason the audit entries of a command's approval give. */
export const UNLISTED_REASON = 'command not in policy.safety.commands.allow';

/**
 * Looks up the person's decision about `line` for the node.
 * @param line the exact shell line
 * @param unlisted the commands of the line that no allow pattern matched (for the request)
 * @returns the approval, when a person approved this exact line
 * @throws TaskgraphError COMMAND_DECLINED (not retryable, refinable) when a person rejected this
 *   line: `details.reason` is `rejected by WHO: COMMENT`
 * @throws TaskgraphError COMMAND_NEEDS_APPROVAL with `details.awaitingApproval: true` when no
 *   decision about this line exists: the engine suspends the node and writes the error's
 *   `approval-requested` audit entry with it (none when the node's latest request is for this
 *   line already, e.g. a resumed session)
 */
export async function commandApproval(line: string, unlisted: readonly string[], ctx: CommandApprovalContext): Promise<DecisionRecord> {
  const hash = commandHash(line);
  const latest = await ctx.store.getDecision(ctx.runId, ctx.nodeId);
  const decision = latest?.subject === hash ? latest : await earlierDecision(ctx, hash);
  if (decision?.decision === 'approved') return decision;
  if (decision?.decision === 'rejected') {
    const comment = decision.comment?.trim() || 'no comment given';
    throw new TaskgraphError('COMMAND_DECLINED', `command rejected by ${decision.by} at its approval: \`${line}\`: ${comment}`, {
      details: { command: line, commandHash: hash, reason: `rejected by ${decision.by}: ${comment}`, by: decision.by },
      hint: `add a pattern for the command to policy.safety.commands.allow in taskgraph.yaml if it should run, or change the node's command`,
    });
  }
  const risk = scoreRisk({ commands: [line] });
  const asked = (await latestRequest(ctx.store, ctx.runId, ctx.nodeId))?.commandHash === hash;
  const audit: AuditInput[] = asked
    ? []
    : [
        {
          runId: ctx.runId,
          at: Date.now(),
          who: 'taskgraph',
          kind: 'approval-requested',
          subject: ctx.nodeId,
          risk: risk.score,
          reason: UNLISTED_REASON,
          details: { node: ctx.nodeId, command: line, commandHash: hash, unlisted: [...unlisted], reasons: risk.reasons.map((r) => `${r.message} (+${r.points})`) } satisfies Record<string, Json>,
        },
      ];
  const reason = `approval needed for the command \`${line}\` (${UNLISTED_REASON}); see it with \`taskgraph approvals --run ${ctx.runId}\`, then \`taskgraph approve ${ctx.runId} ${ctx.nodeId}\` or \`taskgraph reject ${ctx.runId} ${ctx.nodeId} --comment "..."\``;
  throw new TaskgraphError('COMMAND_NEEDS_APPROVAL', reason, {
    details: { command: line, commandHash: hash, unlisted: [...unlisted], awaitingApproval: true },
    hint: `taskgraph approve ${ctx.runId} ${ctx.nodeId}, or add a pattern for it to policy.safety.commands.allow in taskgraph.yaml`,
    audit,
  });
}

/**
 * A decision about the line made before the node's latest one (a node that runs several unlisted
 * lines, e.g. verify gates, asks about each in turn; its decision row holds only the latest), read
 * from the audit log: the newest `approved`/`rejected` entry of the node whose details name the
 * line's hash (`Store.decide` writes it with the decision, in one transaction).
 */
async function earlierDecision(ctx: CommandApprovalContext, hash: string): Promise<DecisionRecord | undefined> {
  const entries = await ctx.store.listAudit(ctx.runId);
  for (let k = entries.length - 1; k >= 0; k--) {
    const e = entries[k]!;
    if ((e.kind === 'approved' || e.kind === 'rejected') && e.subject === ctx.nodeId && e.details['commandHash'] === hash) {
      return { runId: ctx.runId, nodeId: ctx.nodeId, decision: e.kind, by: e.who, at: new Date(e.at).toISOString(), comment: e.reason, subject: hash };
    }
  }
  return undefined;
}

/**
 * The suspension reason when `error` is a node's wait for a person's approval of a command
 * ({@link commandApproval}), else undefined: the engine then records the node `suspended` with it.
 */
export function awaitingApproval(error: unknown): string | undefined {
  return error instanceof TaskgraphError && error.code === 'COMMAND_NEEDS_APPROVAL' && error.details['awaitingApproval'] === true ? error.message : undefined;
}
