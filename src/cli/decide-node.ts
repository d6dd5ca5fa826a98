import type { Json } from '../core/json.js';
import { TaskgraphError } from '../core/errors.js';
import { RunLeaseHolder } from '../engine/run-lease.js';
import { answerProblems, HumanConfigSchema } from '../nodes/human-answer.js';
import { COMMAND_KINDS } from '../engine/decision-pickup.js';
import { latestRequest, type PendingApproval } from '../safety/pending-approval.js';
import type { AuditInput } from '../store/audit.js';
import type { DecisionRecord, RunRecord } from '../store/store.js';
import type { BudgetFlags } from './budget-options.js';
import { resumeLeased } from './resume-command.js';
import type { CommonOptions } from './run-common.js';
import { safeJson, safeText } from './safe-text.js';
import type { ProjectHandle } from './wiring.js';

/**
 * Deciding a waiting node (`taskgraph approve|reject RUN NODE`, `taskgraph answer RUN NODE` for a
 * `human` node), safe under concurrency (issue 11). For an `apply` node waiting for the approval
 * of its edit, the decision binds to the diff it showed (its hash, `DecisionRecord.subject`) and
 * its audit entry carries the diff's risk; for a node waiting for the approval of an unlisted
 * command line (`safety/command-approval.ts`), it binds to that line (its sha256) likewise:
 * - the decision and its audit entry are one transaction (`Store.decide`); a node decided
 *   already is refused, so two processes deciding the same node cannot both win;
 * - when this process can take the run's lease it resumes the run (unless `--no-resume`);
 * - when a live process holds the lease, the decision is recorded and handed to it through the
 *   store: the command returns at once and the live run picks it up (`engine/decision-pickup.ts`).
 *   The lease is tried again after the write, so a holder that finished in between is never
 *   missed: either this process gets the lease, or the holder releases it after the write and
 *   then sees the decision.
 */

/** What a person decided. */
export interface NodeDecision {
  decision: DecisionRecord['decision'];
  /** `--by`, default `$USER` */
  by: string;
  /** why (approve/reject `--comment`) */
  comment?: string;
  /** the answer of a `human` node: the text, or the `--json` value */
  answer?: Json;
}

/** What {@link recordDecision} did after writing the decision. */
export interface RecordedDecision {
  /** the run as it is after the write */
  run: RunRecord;
  /** the run's lease, when this process could take it: the caller resumes the run under it, or releases it */
  holder?: RunLeaseHolder;
  /** when a live process holds the run: who (it picks the decision up; `null` when the lease vanished meanwhile) */
  handedTo?: { pid: number; host: string } | null;
}

/**
 * Checks that `nodeId` of run `runId` waits for this kind of decision and records it with its
 * audit entry (one transaction), then tries the run's lease: the CLI ({@link decideNode}) and the
 * HTTP API (`POST /approvals`, `POST /answers`) both decide through here.
 * @returns the run, and either the lease (the caller must resume under it or release it) or who holds the run
 * @throws TaskgraphError NOT_FOUND (run or node), RUN_STATE (not waiting; decided already;
 *   wrong command for the node kind), ANSWER_INVALID (problems listed in the message and
 *   `details.problems`), RUN_LOCKED (a live process holds the run and the node is not waiting) —
 *   nothing is recorded in each case
 */
export async function recordDecision(project: ProjectHandle, runId: string, nodeId: string, decided: NodeDecision): Promise<RecordedDecision> {
  const store = project.store;
  const known = await store.getRun(runId);
  if (!known) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
  let holder: RunLeaseHolder | undefined;
  let locked: TaskgraphError | undefined;
  try {
    holder = await RunLeaseHolder.acquire(store, runId);
  } catch (error) {
    if (!(error instanceof TaskgraphError && error.code === 'RUN_LOCKED')) throw error;
    locked = error;
  }
  try {
    const run = (await store.getRun(runId)) ?? known;
    const question = await checkWaiting(project, run, nodeId, decided, locked);
    // an `apply` node's approval binds to the diff it showed (issue 11 "diff-scoped approval"), a
    // command's to the line it asked about (`safety/command-approval.ts`)
    const kind = run.graph.nodes.find((n) => n.id === nodeId)?.kind;
    const isApply = kind === 'apply';
    const pending = isApply || (kind !== undefined && COMMAND_KINDS.has(kind)) ? await latestRequest(store, runId, nodeId) : undefined;
    if (isApply && !pending) {
      throw new TaskgraphError('RUN_STATE', `node ${nodeId} is not waiting for an approval of its edit`, { hint: `see \`taskgraph status ${runId}\`` });
    }
    const at = new Date();
    await store.decide(
      {
        runId,
        nodeId,
        decision: decided.decision,
        by: decided.by,
        at: at.toISOString(),
        ...(decided.comment !== undefined ? { comment: decided.comment } : {}),
        ...(decided.decision === 'answered' ? { answer: decided.answer ?? null } : {}),
        ...(pending ? { subject: pending.subject } : {}),
      },
      auditOf(runId, nodeId, decided, question, at.getTime(), pending),
    );
    if (!holder) holder = await tryLease(runId, project); // written first, leased after: see the file comment
    const after = (await store.getRun(runId)) ?? run;
    if (holder) return { run: after, holder };
    const lease = await store.getRunLease(runId);
    return { run: after, handedTo: lease ? { pid: lease.pid, host: lease.host } : null };
  } catch (error) {
    await holder?.release();
    throw error;
  }
}

/**
 * `taskgraph approve|reject|answer`: {@link recordDecision}, then resumes the run under the lease
 * (unless `--no-resume`) or says which live process picks the decision up.
 * @param command recorded for the resumed session: `approve`, `reject`, `answer`
 * @returns the exit code: of the resumed session (0, 1, 3), or 0 when only recorded / handed over
 * @throws TaskgraphError see {@link recordDecision}
 */
export async function decideNode(
  project: ProjectHandle,
  runId: string,
  nodeId: string,
  decided: NodeDecision,
  opts: CommonOptions & BudgetFlags & { resume?: boolean },
  command: string,
): Promise<number> {
  const { run, holder, handedTo } = await recordDecision(project, runId, nodeId, decided);
  if (!holder) {
    const who = handedTo ? `process ${handedTo.pid} on ${handedTo.host}` : 'another process';
    if (opts.json) process.stdout.write(`${safeJson({ runId, nodeId, decision: decided.decision, handedTo: handedTo ?? null })}\n`);
    else process.stdout.write(`${safeText(`${decided.decision} ${runId} ${nodeId}: run ${runId} is live (${who}); it picks the decision up`)}\n`);
    return 0;
  }
  let resuming = false;
  try {
    if (!opts.json) process.stdout.write(`${safeText(`${decided.decision} ${runId} ${nodeId}`)}\n`);
    if (opts.resume === false) return 0;
    resuming = true;
    return await resumeLeased(project, { run, holder }, opts, command);
  } finally {
    if (!resuming) await holder.release();
  }
}

/** The lease, or undefined when a live process holds it. */
async function tryLease(runId: string, project: ProjectHandle): Promise<RunLeaseHolder | undefined> {
  try {
    return await RunLeaseHolder.acquire(project.store, runId);
  } catch (error) {
    if (error instanceof TaskgraphError && error.code === 'RUN_LOCKED') return undefined;
    throw error;
  }
}

/**
 * Refuses a decision the node does not wait for; for a `human` node checks the answer.
 * @returns the node's question (for the audit entry), '' when it has none
 */
async function checkWaiting(project: ProjectHandle, run: RunRecord, nodeId: string, decided: NodeDecision, locked: TaskgraphError | undefined): Promise<string> {
  const nodes = await project.store.listRunNodes(run.id);
  const spec = run.graph.nodes.find((n) => n.id === nodeId);
  const node = nodes.find((n) => n.nodeId === nodeId);
  if (!spec && !node) throw new TaskgraphError('NOT_FOUND', `run ${run.id} has no node "${nodeId}"`);
  const waiting = nodes.filter((n) => n.status === 'suspended').map((n) => n.nodeId);
  const kind = spec?.kind;
  const again = async () => asksAgain(kind, node?.status, (await project.store.listAttempts(run.id, nodeId)).map((a) => a.status));
  if (node?.status !== 'suspended' && !(locked && (await again()))) {
    if (locked) throw locked; // the live process works on it: nothing to hand over
    throw new TaskgraphError('RUN_STATE', `node ${nodeId} is ${node?.status ?? 'pending'}, not waiting for a decision`, {
      hint: waiting.length > 0 ? `waiting: ${waiting.join(', ')}` : 'no node of this run is waiting',
    });
  }
  const config = spec?.config as Record<string, Json> | undefined;
  if (kind === 'human' && decided.decision !== 'answered') {
    throw new TaskgraphError('RUN_STATE', `node ${nodeId} asks a question; answer it`, { hint: `taskgraph answer ${run.id} ${nodeId} "..." (or --json '...')` });
  }
  if (kind !== 'human' && decided.decision === 'answered') {
    throw new TaskgraphError('RUN_STATE', `node ${nodeId} is a ${kind ?? 'node'} node, not a question`, { hint: `taskgraph approve|reject ${run.id} ${nodeId}` });
  }
  if (kind !== 'human') return typeof config?.['question'] === 'string' ? config['question'] : '';
  const parsed = HumanConfigSchema.parse(config);
  const problems = answerProblems(parsed, decided.answer ?? null);
  if (problems.length > 0) {
    throw new TaskgraphError('ANSWER_INVALID', `answer to ${nodeId} refused, nothing recorded:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      details: { problems },
      hint: parsed.choices ? `answer one of: ${parsed.choices.join(', ')}` : parsed.schema ? `answer with --json '<value>' valid against: ${JSON.stringify(parsed.schema)}` : 'give a non-empty answer',
    });
  }
  return parsed.question;
}

/**
 * Whether a node that is not `suspended` right now still waits for a decision: a live process
 * resumed the run (for another decision, in a parallel branch) and reset the node to ask again
 * (an `approval`, `human` or `apply` node, or one that runs commands: {@link COMMAND_KINDS}),
 * so it is `pending` or `running` and its last finished attempt was `suspended`. The decision is
 * then recorded and the live process picks it up (its executor reads it, or
 * `engine/decision-pickup.ts` finds it). A node never asked yet is not decided in advance.
 * @param kind the node's kind; status its run-node status; attempts its attempts' statuses, oldest first
 */
export function asksAgain(kind: string | undefined, status: string | undefined, attempts: readonly string[]): boolean {
  if (kind !== 'approval' && kind !== 'human' && kind !== 'apply' && !(kind !== undefined && (COMMAND_KINDS as ReadonlySet<string>).has(kind))) return false;
  if (status !== 'pending' && status !== 'running') return false;
  const finished = attempts.filter((a) => a !== 'running');
  return finished.at(-1) === 'suspended';
}

/** The audit entry written with the decision: who, what, the comment or the answer; for an edit's approval the diff hash and its risk. */
function auditOf(runId: string, nodeId: string, decided: NodeDecision, question: string, at: number, pending: PendingApproval | undefined): AuditInput {
  const details: Record<string, Json> = { node: nodeId, question };
  if (decided.decision === 'answered') details['answer'] = decided.answer ?? null;
  if (pending?.commandHash !== undefined) {
    details['command'] = pending.command ?? '';
    details['commandHash'] = pending.commandHash;
    details['reasons'] = pending.reasons;
  } else if (pending) {
    details['diffHash'] = pending.diffHash;
    details['reasons'] = pending.reasons;
    details['stat'] = pending.stat;
  }
  return {
    runId,
    at,
    who: decided.by,
    kind: decided.decision,
    subject: nodeId,
    ...(pending ? { risk: pending.risk } : {}),
    reason: decided.comment ?? (decided.decision === 'answered' ? `answered: ${JSON.stringify(decided.answer ?? null).slice(0, 200)}` : 'no comment'),
    details,
  };
}
