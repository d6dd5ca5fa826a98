import { z } from 'zod';
import { type ProjectConfig, verifyGates } from '../core/config.js';
import { type ErrorRecord, TaskgraphError, toErrorRecord } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { type EditReview, reviewEdit, reviewSummary } from '../safety/edit-review.js';
import { requestApproval } from '../safety/pending-approval.js';
import type { DecisionRecord } from '../store/store.js';
import type { ApplyEditOptions } from '../workspace/workspace.js';

const ApplyConfig = z.object({}).strict();

/** Config of an `apply` node (none yet). */
export type ApplyConfig = z.infer<typeof ApplyConfig>;

/**
 * The edit text carried by an input: a string, or an `llm` output `{ text }`.
 * @throws TaskgraphError EDIT_INVALID when there is no text
 */
export function editText(input: Json | undefined): string {
  if (typeof input === 'string') return input;
  if (isJsonObject(input) && typeof input['text'] === 'string') return input['text'];
  throw new TaskgraphError('EDIT_INVALID', 'apply: input "edit" holds no edit text (expected a string or { text })');
}

/**
 * The checks an edit passes before it is written, from taskgraph.yaml: `policy.maxEditBytes`, and
 * with `policy.protectConfig` (default true) the protected configuration, including the files
 * `commands.test`, `commands.build`, `commands.setup` and the `verify.gates` commands run (a task
 * may not pass a lint gate by editing the lint script).
 */
export function applyOptions(config: ProjectConfig): ApplyEditOptions {
  const { test, build, setup } = config.commands;
  const gates = verifyGates(config).map((g) => g.command);
  return {
    maxEditBytes: config.policy.maxEditBytes,
    ...(config.policy.protectConfig ? { protectConfig: { commands: [test, build, setup, ...gates].filter((c): c is string => typeof c === 'string') } } : {}),
  };
}

/**
 * `apply` nodes (DESIGN.md §4): apply a unified diff, search/replace blocks or whole files to the run's
 * worktree with git, rejecting any path outside it. Output `{ format, files, tree }`. An edit that
 * does not apply, or is refused (a file over `policy.maxEditBytes`, a protected configuration
 * file: see {@link applyOptions}), fails the node (EDIT_REJECTED / EDIT_INVALID /
 * EDIT_PROTECTED / PATH_OUTSIDE_WORKTREE with the reason), which refinement turns into a task
 * note. Cache key adds the edit hash (via the input), the base workspace state (HEAD + tree) and
 * those two policy values; a cache hit restores the resulting worktree (an edit approved once for
 * that exact base and diff is not asked about again).
 *
 * Diff-scoped approval (issue 11, `safety/edit-review.ts`): an edit that touches a
 * `policy.safety.protectedPaths` glob, adds a secret-looking string, or scores at least
 * `policy.safety.approveAbove` suspends BEFORE anything is written, recording the diff, its hash
 * and risk (`safety/pending-approval.ts`), unless its risk is below `autoApproveBelow` (then it is
 * applied and audited `auto-approved`). `taskgraph approve RUN NODE` binds the decision to that
 * diff's hash: the node then applies it (output gains `approval: { by, risk, diffHash }`). A
 * rejection fails the node with EDIT_DECLINED (refinable: the comment becomes the task note of
 * the retry). A decision about another diff (an earlier attempt's) does not count: the node asks
 * again. (An edit read back from the store in a later session has its secrets redacted, so it is
 * another diff, reviewed afresh.)
 */
export const applyExecutor: NodeExecutor<ApplyConfig> = {
  kind: 'apply',
  version: 1,
  configSchema: ApplyConfig,
  cacheable: true,
  needsWorkspace: true,
  requiredInputs: ['edit'],
  sideEffects: () => true,
  // deterministic and confined to the worktree: a forecast applies the edit in its scratch worktree
  forecastSafe: () => true,
  async keyIngredients(_config, _inputs, ctx) {
    const { maxEditBytes, protectConfig } = ctx.config.policy;
    return { workspace: { ...(await ctx.workspace!.snapshot()) }, limits: { maxEditBytes, protectConfig } };
  },
  async execute(_config, inputs, ctx) {
    const decision = await ctx.store.getDecision(ctx.runId, ctx.node.id);
    const gate = approvalGate(ctx, decision);
    try {
      const result = await ctx.workspace!.applyEdit(editText(inputs['edit']), { ...applyOptions(ctx.config), review: gate.review });
      await rememberEditedFiles(ctx, result.files);
      const output: Record<string, Json> = { format: result.format, files: result.files, tree: result.snapshot.tree };
      if (gate.approved) output['approval'] = { by: decision!.by, risk: gate.approved.risk.score, diffHash: gate.approved.diffHash };
      if (gate.auto) {
        const review = gate.auto;
        const auto = ctx.config.policy.safety.autoApproveBelow;
        await ctx.store.appendAudit({
          runId: ctx.runId, at: Date.now(), who: 'taskgraph', kind: 'auto-approved', subject: ctx.node.id, risk: review.risk.score,
          reason: `risk ${review.risk.score} is below policy.safety.autoApproveBelow (${auto}): ${reviewSummary(review)}`,
          details: { node: ctx.node.id, diffHash: review.diffHash, stat: review.stat },
        });
      }
      return { status: 'succeeded', output };
    } catch (error) {
      if (error === HOLD && gate.held) {
        const { review, decided } = gate.held;
        if (!decided) return { status: 'suspended', reason: await requestApproval(ctx.store, ctx.runId, ctx.node.id, review) };
        return { status: 'failed', error: declined(review, decided) };
      }
      const record = toErrorRecord(error);
      if (record.code === 'INTERNAL' || record.code === 'GIT_ERROR') throw error;
      return { status: 'failed', error: record };
    }
  },
};

/** Thrown by the review hook to stop an edit that waits for a person (nothing is written). */
const HOLD = Symbol('approval needed');

/** What the review hook of one execution saw. */
interface ApprovalGate {
  review: (changes: Parameters<NonNullable<ApplyEditOptions['review']>>[0]) => void;
  /** set when the edit waits for a person, or was rejected (decided: the rejection of this diff) */
  held?: { review: EditReview; decided?: DecisionRecord };
  /** set when a person approved this diff */
  approved?: EditReview;
  /** set when the edit would be asked about but scores below autoApproveBelow */
  auto?: EditReview;
}

/** The hook that reviews the computed changes and throws {@link HOLD} when the edit may not be written yet. */
function approvalGate(ctx: NodeContext, decision: DecisionRecord | undefined): ApprovalGate {
  const gate: ApprovalGate = {
    review: (changes) => {
      const review = reviewEdit(changes, ctx.config.policy.safety);
      if (review.approval === 'none') return;
      if (review.approval === 'auto') {
        gate.auto = review;
        return;
      }
      const decided = decision && decision.subject === review.diffHash ? decision : undefined;
      if (decided?.decision === 'approved') {
        gate.approved = review;
        return;
      }
      gate.held = decided ? { review, decided } : { review };
      throw HOLD;
    },
  };
  return gate;
}

/** The EDIT_DECLINED error of an edit a person rejected; `details.reason` (their comment) becomes the note's `Reason:`. */
function declined(review: EditReview, decided: DecisionRecord): ErrorRecord {
  const comment = decided.comment?.trim() || 'no comment given';
  return {
    code: 'EDIT_DECLINED',
    message: `the edit was rejected by ${decided.by} at its approval (risk ${review.risk.score}/100): ${comment}`,
    retryable: false,
    details: {
      reason: `rejected by ${decided.by}: ${comment}`,
      ...(review.protectedPaths[0] ? { path: review.protectedPaths[0].path } : {}),
      diffHash: review.diffHash,
      risk: review.risk.score,
      reasons: review.risk.reasons.map((r) => r.message),
    },
  };
}

/**
 * Files a task's edits touched become part of the task (its `files`), so a later attempt — or a
 * later run of the plan — puts them into the task's context (DESIGN.md §7 tier "files named by the
 * task or by its earlier edits"). Done by the node that knows them, once per applied edit.
 */
async function rememberEditedFiles(ctx: NodeContext, files: readonly string[]): Promise<void> {
  if (!ctx.planId || !ctx.node.task || files.length === 0) return;
  const task = await ctx.store.getTask(ctx.planId, ctx.node.task);
  if (!task) return;
  const missing = files.filter((f) => !task.files.includes(f));
  if (missing.length > 0) await ctx.store.putTask({ ...task, files: [...task.files, ...missing] });
}
