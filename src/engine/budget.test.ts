import { describe, expect, it } from 'vitest';
import { BudgetGuard } from './budget.js';

const usage = (tokens: number, costUsd = 0) => ({ inputTokens: tokens, outputTokens: 0, costUsd, calls: 1 });

describe('BudgetGuard', () => {
  it('stops only the subtree whose budget is reached', () => {
    const guard = new BudgetGuard({}, { T2: { maxTokens: 100 } }, 0, Date.now());
    guard.record('T2.1', usage(60), 'succeeded');
    expect(guard.exceeded('T2.2')).toBeUndefined();
    guard.record('T2.2', usage(50), 'succeeded');
    expect(guard.exceeded('T2.3')).toBe('task T2 budget reached: 110 tokens of 100');
    expect(guard.exceeded('T2')).toBeDefined();
    expect(guard.exceeded('T3')).toBeUndefined(); // other tasks go on
    expect(guard.exceeded('T20')).toBeUndefined(); // a prefix is not a subtree
    expect(guard.exceeded()).toBeUndefined(); // the run as a whole goes on
  });

  it('counts run-wide cost, consecutive failures (reset by a success) and active wall time', () => {
    const start = 1_000;
    const guard = new BudgetGuard({ maxCostUsd: 1, maxConsecutiveFailures: 2, maxWallMs: 5_000 }, {}, 3_000, start);
    guard.record(undefined, usage(1, 0.4), 'failed');
    guard.record(undefined, usage(1, 0.4), 'succeeded');
    guard.record(undefined, usage(1, 0), 'failed');
    expect(guard.exceeded(undefined, start + 100)).toBeUndefined();
    guard.record(undefined, usage(1, 0), 'failed');
    expect(guard.exceeded(undefined, start + 100)).toMatch(/2 failures in a row/);
    const wall = new BudgetGuard({ maxWallMs: 5_000 }, {}, 3_000, start);
    expect(wall.exceeded(undefined, start + 1_999)).toBeUndefined();
    expect(wall.exceeded(undefined, start + 2_000)).toBe('run budget reached: wall time 5000 ms of 5000 ms');
    guard.record(undefined, usage(1, 0.3), 'succeeded');
    expect(guard.exceeded(undefined, start)).toBe('run budget reached: $1.1000 of $1');
  });
});
