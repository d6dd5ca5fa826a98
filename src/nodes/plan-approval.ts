import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { NodeExecutor } from '../engine/node-executor.js';
import { BASELINE_NODE_ID, executedLeaves, isKnownFailuresBaseline, rootPlanNodes } from '../planning/plan-graph.js';
import { isApproved } from '../store/plan-versions.js';

const PlanApprovalConfig = z
  .object({
    /** the plan a person must approve before its tasks run */
    planId: z.string().min(1),
  })
  .strict();

/** Config of a `plan-approval` node. */
export type PlanApprovalConfig = z.infer<typeof PlanApprovalConfig>;

/** Output of a `plan-approval` node: which version was approved, by whom, when (ISO). */
export interface PlanApprovalOutput {
  planId: string;
  version: number;
  by: string;
  at: string;
}

/** Node id of the gate a `do --approve-plan` run waits at (see {@link planApprovalExecutor}). */
export const PLAN_GATE_NODE = 'approve-plan';

/**
 * What a person is told while a run waits at the gate of plan `planId`.
 * @param planId the plan under review
 */
export function planAwaitsApproval(planId: string): string {
  return `plan ${planId} awaits approval: taskgraph plan show ${planId}, edit with taskgraph task add|rm|update|move ${planId} ... (and taskgraph link), then taskgraph plan approve ${planId}`;
}

/**
 * `plan-approval` nodes (issue 11, "Plan review before execution"; README "Safety and
 * approvals"): the gate between planning and execution. With `do --approve-plan` or
 * `policy.approvePlan: true`, the `decompose` node expands into this one node instead of the
 * plan's tasks. It suspends the run (no coder call has been made) until the plan's newest
 * version is approved (`taskgraph plan approve PLAN`, stored with the plan's versions), and only
 * then expands into the task nodes — built from the plan as stored at that moment, i.e. the
 * approved version with every edit made during review. An edit after the approval makes a new,
 * unapproved version, so the gate waits again. Tasks whose status an edit set to `skipped` are
 * left out. Never cached: every run asks again. A forecast (`do --dry-run`) does not execute the
 * gate; it assumes it passes and expands the plan as it stands.
 */
export const planApprovalExecutor: NodeExecutor<PlanApprovalConfig> = {
  kind: 'plan-approval',
  version: 1,
  configSchema: PlanApprovalConfig,
  cacheable: false,
  sideEffects: () => false,
  async execute(config, _inputs, ctx) {
    const versions = await ctx.store.listPlanVersions(config.planId);
    if (versions.length === 0) throw new TaskgraphError('NOT_FOUND', `plan-approval: no plan "${config.planId}"`);
    if (!isApproved(versions)) return { status: 'suspended', reason: planAwaitsApproval(config.planId) };
    const v = versions.at(-1)!;
    const output: PlanApprovalOutput = { planId: v.planId, version: v.version, by: v.approvedBy!, at: v.approvedAt! };
    return { status: 'succeeded', output: output as unknown as Json };
  },
  async expand(output, ctx) {
    // a forecast assumes the gate passes without executing it (its output then names no
    // version): it expands the plan as it stands, which is what would run once approved
    const planId = PlanApprovalConfig.parse(ctx.node.config).planId;
    const approved = isJsonObject(output) && typeof output['version'] === 'number' ? output['version'] : undefined;
    const plan = await ctx.store.getPlan(planId);
    const versions = await ctx.store.listPlanVersions(planId);
    const version = approved === undefined ? versions.at(-1) : versions.find((v) => v.version === approved);
    if (!plan || !version) throw new TaskgraphError('NOT_FOUND', `plan ${planId} version ${approved ?? '(newest)'} is gone`);
    const leaves = executedLeaves(plan.tasks, version.leaves);
    const knownFailures = isKnownFailuresBaseline(ctx.outputOf(BASELINE_NODE_ID));
    return { nodes: rootPlanNodes({ id: plan.id, goal: plan.goal, tasks: plan.tasks, leaves }, { config: ctx.config, knownFailures }), planId: plan.id };
  },
};
