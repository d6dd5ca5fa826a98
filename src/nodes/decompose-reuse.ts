import { TaskgraphError } from '../core/errors.js';
import type { Task } from '../core/task.js';
import type { NodeContext } from '../engine/node-executor.js';
import type { ModelClient } from '../llm/model-client.js';
import { archivedPlans, type ArchivedPlan } from '../planning/plan-archive.js';
import { planIdFor } from '../planning/plan-graph.js';
import { chooseReuse } from '../planning/plan-reuse.js';
import type { ProjectContext } from '../planning/project-context.js';
import { customisable, type EarlierPlan, reusePlan } from '../planning/reuse-plan.js';
import type { Usage } from '../store/store.js';
import type { DecomposeConfig, DecomposeOutput } from './decompose.js';
import { profileOf } from './llm.js';
import { builtinPromptFor } from '../library/prompt-source.js';

/**
 * The `decompose` node's reuse of earlier plans (issue 14, "Reuse in planning"): before the
 * planner plans a goal from scratch, the plan archive (`planning/plan-archive.ts`: the plans of
 * earlier successful runs) is searched for the same or a similar goal. The choice and what it
 * saved are recorded in the node's output (`reuse`), which the report reads.
 */

/** What the `decompose` output records about a reuse. Tokens as counted by the provider, USD. */
export interface ReuseRecord {
  /** the plan started from */
  from: { planId: string; runId: string; goal: string };
  /** similarity of the goals in [0, 1] (`planning/plan-reuse.ts`) */
  score: number;
  /** `identical`: taken as it is, no model call; `customise`: adapted by one planner call */
  mode: 'identical' | 'customise';
  /** what planning the goal from scratch cost when the earlier plan was made */
  fresh: Usage;
  /** `fresh` minus what this reuse cost, never below zero */
  saved: Usage;
}

/** True when this `decompose` node may start from an earlier plan: the node's `reuse`, else `planner.reuse`. */
export function reuseOn(config: DecomposeConfig, ctx: Pick<NodeContext, 'config'>): boolean {
  return !config.task && (config.reuse ?? ctx.config.planner.reuse);
}

/** An archived plan as the reuse code needs it, or undefined when its tasks are gone. */
async function earlierPlan(ctx: NodeContext, archived: ArchivedPlan): Promise<EarlierPlan | undefined> {
  const plan = await ctx.store.getPlan(archived.planId);
  if (!plan || plan.tasks.length === 0) return undefined;
  const stored = Array.isArray(plan.meta['leaves']) ? (plan.meta['leaves'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const ids = new Set(plan.tasks.map((t) => t.id));
  const skipped = new Set(plan.tasks.filter((t) => t.status === 'skipped').map((t) => t.id));
  const leaves = (stored.length > 0 ? stored : plan.tasks.filter((t) => t.atomic).map((t) => t.id)).filter((id) => ids.has(id) && !skipped.has(id));
  const tasks: Task[] = plan.tasks.filter((t) => !skipped.has(t.id));
  return { planId: plan.id, runId: archived.runId, goal: plan.goal, tasks, leaves, fresh: archived.freshPlanningCost };
}

const minus = (a: Usage, b: Usage): Usage => ({
  inputTokens: Math.max(0, a.inputTokens - b.inputTokens),
  outputTokens: Math.max(0, a.outputTokens - b.outputTokens),
  costUsd: Math.max(0, a.costUsd - b.costUsd),
  calls: Math.max(0, a.calls - b.calls),
});

/**
 * Plans `config.goal` from the best earlier plan at or above `planner.reuseThreshold`, if any.
 * A customisation answer that stays invalid falls back to planning from scratch (undefined).
 * @returns the node's output and usage, or undefined to plan from scratch
 * @throws whatever the store or the model client throws besides PLAN_INVALID
 */
export async function planFromEarlier(config: DecomposeConfig, ctx: NodeContext, project: ProjectContext, models: ModelClient): Promise<{ output: DecomposeOutput; usage: Usage } | undefined> {
  const archived = (await archivedPlans(ctx.store)).filter((a) => a.runId !== ctx.runId);
  const choice = chooseReuse(archived, config.goal, ctx.config.planner.reuseThreshold);
  if (!choice) return undefined;
  const earlier = await earlierPlan(ctx, choice.candidate);
  if (!earlier || (choice.mode === 'customise' && !customisable(earlier))) return undefined;
  ctx.log(`planner: starting from plan ${earlier.planId} of run ${earlier.runId} (${choice.mode}, goal similarity ${choice.score.toFixed(2)})`);
  let reused;
  try {
    reused = await reusePlan({
      goal: config.goal,
      choice: { ...choice, candidate: earlier },
      project,
      client: models,
      profile: profileOf(config, ctx, 'planner'),
      maxRepairs: ctx.config.policy.maxRepairs,
      // the planner's system prompt through the project's library, as a fresh plan gets it
      system: (await builtinPromptFor(ctx, 'planner.system')).text,
      signal: ctx.signal,
      onEvent: (e) => ctx.log(`planner: ${JSON.stringify(e)}`),
    });
  } catch (error) {
    if (!(error instanceof TaskgraphError && error.code === 'PLAN_INVALID')) throw error;
    ctx.log(`planner: the adapted plan stayed invalid (${error.message.split('\n')[0]}); planning from scratch`);
    return undefined;
  }
  const planId = planIdFor(config.goal, reused.tasks);
  const reuse: ReuseRecord = { from: { planId: earlier.planId, runId: earlier.runId, goal: earlier.goal }, score: choice.score, mode: choice.mode, fresh: earlier.fresh, saved: minus(earlier.fresh, reused.usage) };
  const output: DecomposeOutput = {
    planId,
    goal: config.goal,
    tasks: reused.tasks.map((t) => ({ ...t, planId })),
    leaves: reused.leaves,
    ...(project.language ? { language: project.language } : {}),
    reuse,
  };
  return { output, usage: reused.usage };
}
