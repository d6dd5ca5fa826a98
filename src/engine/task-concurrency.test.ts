import { describe, expect, it } from 'vitest';
import { DEFAULT_TASK_CONCURRENCY, taskConcurrencyOf } from './task-concurrency.js';

const graph = (ids: string[]) => ({ nodes: new Map(ids.map((id) => [id, {}])) }) as unknown as Parameters<typeof taskConcurrencyOf>[0];

describe('taskConcurrencyOf', () => {
  it('is 4 for a run that checks its base commit, 1 for one that does not (baseline off)', () => {
    expect(taskConcurrencyOf(graph(['baseline', 'plan']), undefined, undefined)).toBe(DEFAULT_TASK_CONCURRENCY);
    expect(DEFAULT_TASK_CONCURRENCY).toBe(4);
    expect(taskConcurrencyOf(graph(['plan']), undefined, undefined)).toBe(1);
  });
  it('takes the flag over policy.taskConcurrency over the default', () => {
    expect(taskConcurrencyOf(graph(['baseline']), 2, 3)).toBe(2);
    expect(taskConcurrencyOf(graph(['baseline']), undefined, 3)).toBe(3);
    expect(taskConcurrencyOf(graph(['plan']), undefined, 6)).toBe(6);
    expect(taskConcurrencyOf(graph(['baseline']), 1, undefined)).toBe(1);
  });
});
