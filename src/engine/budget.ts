import type { Budget } from '../core/config.js';
import type { Usage } from '../store/store.js';

/** What has been spent, per run or per task subtree. */
export interface Spend {
  tokens: number;
  /** USD */
  costUsd: number;
  /** failed attempts in a row (reset by a success) */
  consecutiveFailures: number;
}

const ZERO: Spend = { tokens: 0, costUsd: 0, consecutiveFailures: 0 };

/**
 * Budget guard (DESIGN.md §8, §9): counts tokens, cost, active wall time and consecutive failures
 * for the run and for task subtrees (a budget keyed `T2` covers `T2` and `T2.1`, `T2.1.3`, ...),
 * and says which limit is reached. Pure bookkeeping: the engine asks {@link exceeded} between
 * nodes, so a run never stops in the middle of a write, and suspends with the reason.
 */
export class BudgetGuard {
  private readonly run: Spend = { ...ZERO };
  private readonly tasks = new Map<string, Spend>();

  /**
   * @param limits run-wide limits
   * @param taskLimits limits per task subtree (task id -> limits)
   * @param activeMsBefore ms of active time spent by earlier sessions of this run
   * @param sessionStart `Date.now()` when this session started
   */
  constructor(
    private readonly limits: Budget,
    private readonly taskLimits: Readonly<Record<string, Budget>>,
    private readonly activeMsBefore: number,
    private readonly sessionStart: number,
  ) {}

  /** Adds one finished attempt's usage; `failed` counts towards consecutive failures. */
  record(task: string | undefined, usage: Usage | undefined, outcome: 'succeeded' | 'failed' | 'other'): void {
    const scopes = [this.run, ...(task ? this.scopesOf(task) : [])];
    for (const s of scopes) {
      if (usage) {
        s.tokens += usage.inputTokens + usage.outputTokens;
        s.costUsd += usage.costUsd;
      }
      if (outcome === 'failed') s.consecutiveFailures++;
      else if (outcome === 'succeeded') s.consecutiveFailures = 0;
    }
  }

  /** ms of active time of the run so far */
  activeMs(now = Date.now()): number {
    return this.activeMsBefore + (now - this.sessionStart);
  }

  /**
   * The first limit reached, as a sentence, or undefined.
   * @param task when given, that task's subtree limits are checked too
   */
  exceeded(task?: string, now = Date.now()): string | undefined {
    const run = check('run', this.limits, this.run);
    if (run) return run;
    if (this.limits.maxWallMs !== undefined && this.activeMs(now) >= this.limits.maxWallMs) {
      return `run budget reached: wall time ${this.activeMs(now)} ms of ${this.limits.maxWallMs} ms`;
    }
    if (!task) return undefined;
    for (const [scope, limits] of Object.entries(this.taskLimits)) {
      if (task !== scope && !task.startsWith(`${scope}.`)) continue;
      const reached = check(`task ${scope}`, limits, this.tasks.get(scope) ?? ZERO);
      if (reached) return reached;
    }
    return undefined;
  }

  private scopesOf(task: string): Spend[] {
    const out: Spend[] = [];
    for (const scope of Object.keys(this.taskLimits)) {
      if (task === scope || task.startsWith(`${scope}.`)) {
        if (!this.tasks.has(scope)) this.tasks.set(scope, { ...ZERO });
        out.push(this.tasks.get(scope)!);
      }
    }
    return out;
  }
}

function check(scope: string, limits: Budget, spend: Spend): string | undefined {
  if (limits.maxTokens !== undefined && spend.tokens >= limits.maxTokens) {
    return `${scope} budget reached: ${spend.tokens} tokens of ${limits.maxTokens}`;
  }
  if (limits.maxCostUsd !== undefined && spend.costUsd >= limits.maxCostUsd) {
    return `${scope} budget reached: $${spend.costUsd.toFixed(4)} of $${limits.maxCostUsd}`;
  }
  if (limits.maxConsecutiveFailures !== undefined && spend.consecutiveFailures >= limits.maxConsecutiveFailures) {
    return `${scope} budget reached: ${spend.consecutiveFailures} failures in a row (limit ${limits.maxConsecutiveFailures})`;
  }
  return undefined;
}
