import type { Json } from '../core/json.js';
import { isJsonObject } from '../core/json.js';
import type { PlanRecord } from '../core/task.js';
import { sumUsage } from '../core/usage.js';
import type { RunRecord, Store, Usage } from '../store/store.js';

/**
 * The plan archive (issue 14, "Saving"): every successful run's plan with its goal, tags,
 * outcome, cost and the repository's language, for reuse in planning. It is a view of the store,
 * not a second record: runs, their plans and their attempts already hold all of it (README
 * ground rule "records tell the truth"), so the archive can never disagree with them.
 */

/** One archived plan. Costs in USD, tokens as the provider counted them. */
export interface ArchivedPlan {
  planId: string;
  goal: string;
  /** the newest succeeded run of the plan */
  runId: string;
  /** the run's command (`do`, `run`, `plan`): `plan` runs only planned */
  command: string;
  finishedAt: string;
  /** the plan's tags (`meta.tags`) and its tasks' tags, sorted, without repeats */
  tags: string[];
  /** the repository's language when the plan was made (`meta.language`), `''` when unknown */
  language: string;
  /** what the run achieved: its status and its atomic tasks done of all */
  outcome: { status: RunRecord['status']; tasksDone: number; tasks: number };
  /** every executed attempt of the run (cache hits cost nothing), summed */
  cost: Usage;
  /** the planning attempts (the run's root `decompose` node) */
  planningCost: Usage;
  /**
   * what planning this goal from scratch cost: `planningCost` when the plan was planned fresh,
   * else the fresh cost recorded by the reuse it came from (so savings are never counted off a
   * cheap reuse)
   */
  freshPlanningCost: Usage;
}

const ZERO: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };

/** The id of a run graph's root `decompose` node (the one planning the goal, not splitting a task). */
export function rootDecomposeNode(run: Pick<RunRecord, 'graph'>): string | undefined {
  return run.graph.nodes.find((n) => n.kind === 'decompose' && !(isJsonObject(n.config as Json) && (n.config as Record<string, Json>)['task'] !== undefined))?.id;
}

/** A usage read back from a stored JSON output (`reuse.fresh`), or undefined when it is not one. */
export function usageFromJson(value: Json | undefined): Usage | undefined {
  if (!isJsonObject(value)) return undefined;
  const { inputTokens, outputTokens, costUsd, calls } = value;
  if (typeof inputTokens !== 'number' || typeof outputTokens !== 'number' || typeof costUsd !== 'number') return undefined;
  return { inputTokens, outputTokens, costUsd, calls: typeof calls === 'number' ? calls : 0 };
}

/** Tags of a plan: `meta.tags` and every task's tags. */
function tagsOf(plan: PlanRecord): string[] {
  const meta = Array.isArray(plan.meta['tags']) ? (plan.meta['tags'] as unknown[]).filter((t): t is string => typeof t === 'string') : [];
  return [...new Set([...meta, ...plan.tasks.flatMap((t) => t.tags)])].sort();
}

/**
 * Lists the archive, newest first: one entry per plan, from its newest succeeded run.
 * @param limit how many runs to look through, newest first (default 200)
 * @throws what the store throws (STORE_ERROR)
 */
export async function archivedPlans(store: Store, limit = 200): Promise<ArchivedPlan[]> {
  const runs = await store.listRuns(limit);
  const out: ArchivedPlan[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    if (run.status !== 'succeeded' || !run.planId || seen.has(run.planId)) continue;
    const plan = await store.getPlan(run.planId);
    if (!plan) continue;
    seen.add(run.planId);
    // a cache hit copies the usage of the attempt it reuses: only executed attempts cost anything
    const executed = (await store.listAttemptSummaries(run.id)).filter((a) => a.status !== 'cached');
    const rootNode = rootDecomposeNode(run);
    const cost = executed.reduce((u, a) => sumUsage(u, a.usage), ZERO);
    const planningCost = executed.filter((a) => a.nodeId === rootNode).reduce((u, a) => sumUsage(u, a.usage), ZERO);
    const atomic = plan.tasks.filter((t) => t.atomic);
    out.push({
      planId: plan.id,
      goal: plan.goal,
      runId: run.id,
      command: run.command,
      finishedAt: run.updatedAt,
      tags: tagsOf(plan),
      language: typeof plan.meta['language'] === 'string' ? plan.meta['language'] : '',
      outcome: { status: run.status, tasksDone: atomic.filter((t) => t.status === 'done').length, tasks: atomic.length },
      cost,
      planningCost,
      freshPlanningCost: (await freshCost(store, runs, plan.id)) ?? planningCost,
    });
  }
  return out;
}

/**
 * What planning a plan's goal from scratch cost: the executed root `decompose` attempt of the
 * first run that made the plan (any status: a `do` that planned and then failed still planned it),
 * or, when that attempt itself reused an earlier plan, the fresh cost it recorded.
 */
async function freshCost(store: Store, runs: readonly RunRecord[], planId: string): Promise<Usage | undefined> {
  // oldest first: the run that made the plan
  for (const run of [...runs].reverse()) {
    if (run.planId !== planId) continue;
    const rootNode = rootDecomposeNode(run);
    if (!rootNode) continue;
    const made = (await store.listAttempts(run.id, rootNode)).filter((a) => a.status === 'succeeded').at(-1);
    if (!made) continue;
    const reuse = isJsonObject(made.output) ? (made.output as Record<string, Json>)['reuse'] : undefined;
    return (isJsonObject(reuse) ? usageFromJson(reuse['fresh']) : undefined) ?? made.usage;
  }
  return undefined;
}
