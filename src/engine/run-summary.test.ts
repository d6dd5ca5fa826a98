import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../store/store.js';
import { countStates, finalStatus, sumUsage } from './run-summary.js';

const states = (entries: Record<string, NodeStatus>) => new Map(Object.entries(entries));
const live = () => new AbortController().signal;
const base = { heldTasks: [] as string[], unintegrated: [] as string[] };

describe('run summary', () => {
  it('counts node states', () => {
    expect(countStates(states({ a: 'succeeded', b: 'failed', c: 'failed' }))).toMatchObject({ succeeded: 1, failed: 2, pending: 0 });
  });

  it('ends interrupted when stopped with work left, with the abort message', () => {
    const c = new AbortController();
    c.abort(new Error('stopped by SIGTERM'));
    expect(finalStatus({ ...base, states: states({ a: 'pending' }), signal: c.signal })).toEqual({ status: 'interrupted', reason: 'stopped by SIGTERM' });
  });

  it('suspends at a run budget limit, naming failures', () => {
    const end = finalStatus({ ...base, states: states({ a: 'failed', b: 'pending' }), signal: live(), stopReason: 'run cost limit reached' });
    expect(end).toEqual({ status: 'suspended', reason: 'run cost limit reached (1 node(s) failed)' });
  });

  it('fails naming the failed nodes', () => {
    expect(finalStatus({ ...base, states: states({ a: 'failed', b: 'skipped' }), signal: live() })).toEqual({ status: 'failed', reason: '1 node failed: a' });
  });

  it('suspends for waiting nodes, held tasks and unintegrated tasks; succeeds otherwise', () => {
    expect(finalStatus({ ...base, states: states({ gate: 'suspended' }), signal: live() }).reason).toBe('waiting for gate');
    expect(finalStatus({ ...base, heldTasks: ['t1'], states: states({ x: 'pending' }), signal: live() }).reason).toBe('held: t1');
    expect(finalStatus({ ...base, holdReason: 'task budget', states: states({ x: 'pending' }), signal: live() }).reason).toBe('task budget');
    expect(finalStatus({ ...base, unintegrated: ['t2'], states: states({ a: 'succeeded' }), signal: live() }).status).toBe('suspended');
    expect(finalStatus({ ...base, states: states({ a: 'succeeded', b: 'cached' }), signal: live() })).toEqual({ status: 'succeeded' });
  });

  it('sums usage', () => {
    const u = { inputTokens: 10, outputTokens: 2, costUsd: 0.5, calls: 1 };
    expect(sumUsage([u, u])).toEqual({ inputTokens: 20, outputTokens: 4, costUsd: 1, calls: 2 });
  });
});
