import { type Budget, DEFAULT_BUDGET } from '../core/config.js';
import type { AttemptRecord, Usage } from '../store/store.js';

/** What has been spent, per run or per task subtree. */
export interface Spend {
  tokens: number;
  /** USD */
  costUsd: number;
  /** failed attempts in a row (reset by a success) */
  consecutiveFailures: number;
  /** model calls, failed ones included */
  calls: number;
  /** executions of `decompose` nodes */
  decompositions: number;
}

const ZERO: Spend = { tokens: 0, costUsd: 0, consecutiveFailures: 0, calls: 0, decompositions: 0 };

/** The command-line flag that sets each limit (`do`, `run`, `resume`, `answer`). */
export const BUDGET_FLAGS: Readonly<Record<keyof Budget, string>> = {
  maxTokens: '--max-tokens',
  maxCostUsd: '--max-cost',
  maxWallMs: '--max-time',
  maxConsecutiveFailures: '--max-failures',
  maxModelCalls: '--max-calls',
  maxDecompositions: '--max-decompositions',
};

/** A limit that stopped work, and where: `run` stops the run, `task` only that task subtree. */
export interface BudgetStop {
  /** one line, e.g. `run budget reached: $2.0000 of $1.5` */
  reason: string;
  scope: 'run' | 'task';
}

/**
 * The limits that apply to a run: {@link DEFAULT_BUDGET} (model calls, decompositions) under the
 * run's own budget (flags over taskgraph.yaml `policy.budget`).
 * @param explicit the run's budget as stored with it (absent: none set)
 * @returns the limits and which of them are defaults (named as such when they stop a run)
 */
export function effectiveBudget(explicit: Budget | undefined): { limits: Budget; defaults: ReadonlySet<keyof Budget> } {
  const given = explicit ?? {};
  const defaults = new Set((Object.keys(DEFAULT_BUDGET) as Array<keyof Budget>).filter((k) => given[k] === undefined));
  return { limits: { ...DEFAULT_BUDGET, ...given }, defaults };
}

/**
 * Whether an attempt of a node of `kind` was a decomposition: a `decompose` node that executed
 * (not a cache hit, and not refused by the budget before its first model call).
 */
export function isDecomposition(kind: string | undefined, attempt: Pick<AttemptRecord, 'status' | 'usage'>): boolean {
  if (kind !== 'decompose' || attempt.status === 'cached') return false;
  return !(attempt.status === 'suspended' && attempt.usage.calls === 0);
}

/**
 * Budget guard (DESIGN.md §8, §9): counts tokens, cost, model calls, decompositions, active wall
 * time and consecutive failures for the run and for task subtrees (a budget keyed `T2` covers
 * `T2` and `T2.1`, `T2.1.3`, ...), and says which limit is reached. Pure bookkeeping. The engine
 * asks {@link exceeded} between nodes (a run never stops in the middle of a write); the per-node
 * model meter (`meter.ts`) asks {@link beforeCall} before every model call and {@link charge}s
 * each call as it returns, so a planner that would overspend is stopped between two calls; the
 * runner asks {@link beforeDecomposition} before a `decompose` node executes.
 */
export class BudgetGuard {
  private readonly run: Spend = { ...ZERO };
  private readonly tasks = new Map<string, Spend>();

  /**
   * @param limits run-wide limits (see {@link effectiveBudget})
   * @param taskLimits limits per task subtree (task id -> limits)
   * @param activeMsBefore ms of active time spent by earlier sessions of this run
   * @param sessionStart `Date.now()` when this session started
   * @param defaults which run-wide limits are defaults, not set by the user (their messages say so)
   */
  constructor(
    private readonly limits: Budget,
    private readonly taskLimits: Readonly<Record<string, Budget>>,
    private readonly activeMsBefore: number,
    private readonly sessionStart: number,
    private readonly defaults: ReadonlySet<keyof Budget> = new Set(),
  ) {}

  /**
   * Adds one finished attempt's usage (tokens, USD, calls) that was not charged call by call, and
   * its outcome: `failed` counts towards consecutive failures, `succeeded` resets them.
   */
  record(task: string | undefined, usage: Usage | undefined, outcome: 'succeeded' | 'failed' | 'other'): void {
    if (usage) this.charge(task, usage);
    for (const s of this.scopes(task)) {
      if (outcome === 'failed') s.consecutiveFailures++;
      else if (outcome === 'succeeded') s.consecutiveFailures = 0;
    }
  }

  /** Adds one model call's usage (or a node's), as it happens. */
  charge(task: string | undefined, usage: Usage): void {
    for (const s of this.scopes(task)) {
      s.tokens += usage.inputTokens + usage.outputTokens;
      s.costUsd += usage.costUsd;
      s.calls += usage.calls;
    }
  }

  /** Counts one execution of a `decompose` node. */
  decomposition(task: string | undefined): void {
    for (const s of this.scopes(task)) s.decompositions++;
  }

  /** What the run has spent so far (a copy). */
  spent(): Spend {
    return { ...this.run };
  }

  /** ms of active time of the run so far */
  activeMs(now = Date.now()): number {
    return this.activeMsBefore + (now - this.sessionStart);
  }

  /**
   * The first limit reached among tokens, cost, consecutive failures and wall time, as a sentence,
   * or undefined. Model calls and decompositions are checked where they happen
   * ({@link beforeCall}, {@link beforeDecomposition}), so a node that needs neither still runs.
   * @param task when given, that task's subtree limits are checked too
   */
  exceeded(task?: string, now = Date.now()): string | undefined {
    return this.stop(task, now, [])?.reason;
  }

  /** Whether one more model call is allowed for a node of `task`: the reached limit, or undefined. */
  beforeCall(task?: string, now = Date.now()): BudgetStop | undefined {
    return this.stop(task, now, ['calls']);
  }

  /** Whether a `decompose` node of `task` may execute: the reached limit, or undefined. */
  beforeDecomposition(task?: string, now = Date.now()): BudgetStop | undefined {
    return this.stop(task, now, ['decompositions']);
  }

  private stop(task: string | undefined, now: number, extra: ReadonlyArray<'calls' | 'decompositions'>): BudgetStop | undefined {
    const run = check('run', this.limits, this.run, extra, this.defaults);
    if (run) return { reason: run, scope: 'run' };
    if (this.limits.maxWallMs !== undefined && this.activeMs(now) >= this.limits.maxWallMs) {
      return { reason: `run budget reached: wall time ${this.activeMs(now)} ms of ${this.limits.maxWallMs} ms`, scope: 'run' };
    }
    if (!task) return undefined;
    for (const [scope, limits] of Object.entries(this.taskLimits)) {
      if (task !== scope && !task.startsWith(`${scope}.`)) continue;
      const reached = check(`task ${scope}`, limits, this.tasks.get(scope) ?? ZERO, extra, new Set());
      if (reached) return { reason: reached, scope: 'task' };
    }
    return undefined;
  }

  private scopes(task: string | undefined): Spend[] {
    const out: Spend[] = [this.run];
    if (!task) return out;
    for (const scope of Object.keys(this.taskLimits)) {
      if (task === scope || task.startsWith(`${scope}.`)) {
        if (!this.tasks.has(scope)) this.tasks.set(scope, { ...ZERO });
        out.push(this.tasks.get(scope)!);
      }
    }
    return out;
  }
}

/** ` (the default limit; raise it on resume with --max-calls N)` for a default, else ''. */
function defaultNote(key: keyof Budget, defaults: ReadonlySet<keyof Budget>): string {
  return defaults.has(key) ? ` (the default limit; raise it on resume with ${BUDGET_FLAGS[key]} N, or set policy.budget.${key})` : '';
}

function check(
  scope: string,
  limits: Budget,
  spend: Spend,
  extra: ReadonlyArray<'calls' | 'decompositions'>,
  defaults: ReadonlySet<keyof Budget>,
): string | undefined {
  if (limits.maxTokens !== undefined && spend.tokens >= limits.maxTokens) {
    return `${scope} budget reached: ${spend.tokens} tokens of ${limits.maxTokens}`;
  }
  if (limits.maxCostUsd !== undefined && spend.costUsd >= limits.maxCostUsd) {
    return `${scope} budget reached: $${spend.costUsd.toFixed(4)} of $${limits.maxCostUsd}`;
  }
  if (limits.maxConsecutiveFailures !== undefined && spend.consecutiveFailures >= limits.maxConsecutiveFailures) {
    return `${scope} budget reached: ${spend.consecutiveFailures} failures in a row (limit ${limits.maxConsecutiveFailures})`;
  }
  if (extra.includes('calls') && limits.maxModelCalls !== undefined && spend.calls >= limits.maxModelCalls) {
    return `${scope} budget reached: ${spend.calls} model calls of ${limits.maxModelCalls}${defaultNote('maxModelCalls', defaults)}`;
  }
  if (extra.includes('decompositions') && limits.maxDecompositions !== undefined && spend.decompositions >= limits.maxDecompositions) {
    return `${scope} budget reached: ${spend.decompositions} decompositions of ${limits.maxDecompositions}${defaultNote('maxDecompositions', defaults)}`;
  }
  return undefined;
}
