import type { Command } from 'commander';
import ms from 'ms';
import { BudgetSchema, type Budget } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';

/** Budget flags as commander gives them (strings). */
export interface BudgetFlags {
  maxTokens?: string;
  maxCost?: string;
  maxTime?: string;
  maxFailures?: string;
  maxCalls?: string;
  maxDecompositions?: string;
}

/** Adds `--max-tokens`, `--max-cost`, `--max-time`, `--max-failures`, `--max-calls`, `--max-decompositions` to a command. */
export function withBudgetFlags(cmd: Command): Command {
  return cmd
    .option('--max-tokens <n>', 'stop (suspend) the run after this many tokens')
    .option('--max-cost <usd>', 'stop (suspend) the run after this many US dollars')
    .option('--max-time <duration>', 'stop (suspend) the run after this much active time, e.g. 30m, 2h')
    .option('--max-failures <n>', 'stop (suspend) the run after this many failed attempts in a row')
    .option('--max-calls <n>', 'stop (suspend) the run after this many model calls, failed ones included (default 300)')
    .option('--max-decompositions <n>', 'stop (suspend) the run before its decomposition number N+1 (plan and re-plans; default 25)');
}

/**
 * Turns budget flags into a {@link Budget} merged over `base` (taskgraph.yaml `policy.budget`),
 * or undefined when no flag is given. Durations are parsed with the `ms` package (`90s`, `30m`,
 * `2h`, or plain milliseconds).
 * @throws TaskgraphError CONFIG_INVALID naming the flag
 */
export function budgetFromFlags(flags: BudgetFlags, base: Budget): Budget | undefined {
  if (!flags.maxTokens && !flags.maxCost && !flags.maxTime && !flags.maxFailures && !flags.maxCalls && !flags.maxDecompositions) return undefined;
  const num = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new TaskgraphError('CONFIG_INVALID', `${flag} needs a positive number, got "${v}"`);
    return n;
  };
  let maxWallMs: number | undefined;
  if (flags.maxTime) {
    const parsed = /^\d+$/.test(flags.maxTime) ? Number(flags.maxTime) : ms(flags.maxTime as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
      throw new TaskgraphError('CONFIG_INVALID', `--max-time needs a duration like 90s, 30m or 2h, got "${flags.maxTime}"`);
    }
    maxWallMs = Math.round(parsed);
  }
  return BudgetSchema.parse({
    ...base,
    ...(flags.maxTokens ? { maxTokens: Math.round(num('--max-tokens', flags.maxTokens)) } : {}),
    ...(flags.maxCost ? { maxCostUsd: num('--max-cost', flags.maxCost) } : {}),
    ...(maxWallMs !== undefined ? { maxWallMs } : {}),
    ...(flags.maxFailures ? { maxConsecutiveFailures: Math.round(num('--max-failures', flags.maxFailures)) } : {}),
    ...(flags.maxCalls ? { maxModelCalls: Math.round(num('--max-calls', flags.maxCalls)) } : {}),
    ...(flags.maxDecompositions ? { maxDecompositions: Math.round(num('--max-decompositions', flags.maxDecompositions)) } : {}),
  });
}
