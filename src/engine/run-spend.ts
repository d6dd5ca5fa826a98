import type { Budget } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { NO_USAGE, sumUsage } from '../core/usage.js';
import type { AttemptRecord, RunRecord, Store, Usage } from '../store/store.js';
import { BUDGET_FLAGS, effectiveBudget, isDecomposition } from './budget.js';

/**
 * What a run spent, derived from the store only (issue 8 item 7: "records tell the truth"): the
 * usage of its own attempts plus the planning it is charged for, against its budget. Used by the
 * engine (the planning charge counts against the budget), the CLI summary and the report.
 *
 * **Who pays for a plan.** A plan made by `taskgraph plan` (one or more runs with command `plan`
 * whose planner produced plan P) is paid for by the first run that executes P afterwards: `do`
 * reusing it, `do --plan P` or `run P`. That run's totals, budget and report include the
 * planning; any later run of P shows it as already charged to that first run and pays nothing
 * for it. A plan made by a `do` run's own `plan` node is in that run's attempts already.
 */

/** The planning a run is charged for. */
export interface PlanningCharge {
  planId: string;
  /** the `plan` runs that made the plan, oldest first */
  planRuns: string[];
  /** the run that pays for the planning: the first run that executed the plan */
  chargedTo: string;
  /** what this run pays: the `plan` runs' usage when `chargedTo` is this run, else zero */
  usage: Usage;
}

const byCreation = (a: RunRecord, b: RunRecord) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The planning charge of a run (see the module comment), or undefined when the run has no plan,
 * is itself a `plan` run, or executes a plan no `plan` run made.
 * @param store the store
 * @param run the run (its `planId` as stored)
 */
export async function planningCharge(store: Store, run: RunRecord): Promise<PlanningCharge | undefined> {
  if (!run.planId || run.command === 'plan') return undefined;
  const runs = (await store.listRuns()).filter((r) => r.planId === run.planId).sort(byCreation);
  const planRuns = runs.filter((r) => r.command === 'plan' && byCreation(r, run) < 0);
  if (planRuns.length === 0) return undefined;
  const first = runs.find((r) => r.command !== 'plan' && byCreation(r, planRuns[0]!) > 0) ?? run;
  let usage: Usage = { ...NO_USAGE };
  if (first.id === run.id) {
    for (const r of planRuns) for (const a of await store.listAttempts(r.id)) usage = sumUsage(usage, a.usage);
  }
  return { planId: run.planId, planRuns: planRuns.map((r) => r.id), chargedTo: first.id, usage };
}

/** What a run spent (see {@link runSpend}). */
export interface RunSpend {
  /** the run's own attempts: every executed attempt (failed and suspended included; cache hits spend nothing) */
  nodes: Usage;
  /** the planning it is charged for, when it executes a plan made by `taskgraph plan` */
  planning?: PlanningCharge;
  /** `nodes` + `planning.usage` */
  total: Usage;
  /** executions of `decompose` nodes */
  decompositions: number;
  /** failed attempts in a row at the end of the run (a success resets the count) */
  consecutiveFailures: number;
  /** ms of active time (time suspended does not count), as recorded with the run */
  activeMs: number;
}

/**
 * Sums a run's attempts and adds its planning charge.
 * @throws TaskgraphError NOT_FOUND for an unknown run
 */
export async function runSpend(store: Store, runId: string): Promise<RunSpend> {
  const run = await store.getRun(runId);
  if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
  const kinds = new Map(run.graph.nodes.map((n) => [n.id, n.kind]));
  return spendOf(run, await store.listAttempts(runId), kinds, await planningCharge(store, run));
}

/** {@link runSpend} over data already read. Pure. */
export function spendOf(run: RunRecord, attempts: readonly AttemptRecord[], kinds: ReadonlyMap<string, string>, planning: PlanningCharge | undefined): RunSpend {
  let nodes: Usage = { ...NO_USAGE };
  let decompositions = 0;
  let consecutiveFailures = 0;
  for (const a of attempts) {
    nodes = sumUsage(nodes, a.usage);
    if (isDecomposition(kinds.get(a.nodeId), a)) decompositions++;
    if (a.status === 'failed') consecutiveFailures++;
    else if (a.status === 'succeeded') consecutiveFailures = 0;
  }
  const total = planning ? sumUsage(nodes, planning.usage) : nodes;
  const activeMs = Number(run.options['activeMs'] ?? 0);
  return { nodes, ...(planning ? { planning } : {}), total, decompositions, consecutiveFailures, activeMs: Number.isFinite(activeMs) ? activeMs : 0 };
}

/** One limit of a run's budget against what was spent. */
export interface BudgetLine {
  key: keyof Budget;
  /** e.g. `cost (USD)` */
  label: string;
  limit: number;
  spent: number;
  /** `limit - spent`, never below 0 */
  headroom: number;
  /** spent >= limit */
  reached: boolean;
  /** the limit is taskgraph's default, not set by the user */
  isDefault: boolean;
  /** the flag that raises it on resume, e.g. `--max-cost` */
  flag: string;
}

const LABELS: Record<keyof Budget, string> = {
  maxTokens: 'tokens',
  maxCostUsd: 'cost (USD)',
  maxWallMs: 'active time (ms)',
  maxConsecutiveFailures: 'failures in a row',
  maxModelCalls: 'model calls',
  maxDecompositions: 'decompositions',
};

/**
 * The run's limits (its stored budget over the defaults, {@link effectiveBudget}) with what was
 * spent and the headroom left, in a fixed order: cost, tokens, model calls, decompositions,
 * active time, failures in a row. Limits that are not set are left out. Pure.
 * @param run the run (its `options.budget`)
 * @param spend from {@link runSpend}
 */
export function budgetLines(run: RunRecord, spend: RunSpend): BudgetLine[] {
  const { limits, defaults } = effectiveBudget(run.options['budget'] as Budget | undefined);
  const spentOf: Record<keyof Budget, number> = {
    maxCostUsd: spend.total.costUsd,
    maxTokens: spend.total.inputTokens + spend.total.outputTokens,
    maxModelCalls: spend.total.calls,
    maxDecompositions: spend.decompositions,
    maxWallMs: spend.activeMs,
    maxConsecutiveFailures: spend.consecutiveFailures,
  };
  const order: Array<keyof Budget> = ['maxCostUsd', 'maxTokens', 'maxModelCalls', 'maxDecompositions', 'maxWallMs', 'maxConsecutiveFailures'];
  return order
    .filter((key) => limits[key] !== undefined)
    .map((key) => {
      const limit = limits[key]!;
      const spent = spentOf[key];
      return { key, label: LABELS[key], limit, spent, headroom: Math.max(0, limit - spent), reached: spent >= limit, isDefault: defaults.has(key), flag: BUDGET_FLAGS[key] };
    });
}
