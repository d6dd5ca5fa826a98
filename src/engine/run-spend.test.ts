import { describe, expect, it } from 'vitest';
import { keyIngredients } from '../core/hash.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { AttemptRecord, RunRecord, Store } from '../store/store.js';
import { budgetLines, planningCharge, runSpend } from './run-spend.js';

/** Runs and attempts written straight to a real (in-memory) SQLite store. */
async function store(): Promise<Store> {
  const s = SqliteStore.open(':memory:');
  await s.migrate();
  return s;
}

let clock = Date.parse('2026-01-01T00:00:00Z');
async function addRun(s: Store, id: string, command: string, planId: string | undefined, options: RunRecord['options'] = {}): Promise<RunRecord> {
  const at = new Date((clock += 1000)).toISOString();
  const run: RunRecord = {
    id,
    status: 'succeeded',
    graph: { nodes: [{ id: 'plan', kind: 'decompose', config: { goal: 'g' }, inputs: {}, needs: [] }] } as unknown as RunRecord['graph'],
    command,
    options,
    projectDir: '/p',
    createdAt: at,
    updatedAt: at,
    ...(planId ? { planId } : {}),
  };
  await s.createRun(run);
  return run;
}

async function addAttempt(s: Store, runId: string, status: AttemptRecord['status'], calls: number, costUsd: number): Promise<void> {
  const at = new Date(clock).toISOString();
  await s.recordFinishedAttempt(
    {
      runId,
      nodeId: 'plan',
      number: 1,
      status,
      cacheKey: 'k',
      ingredients: keyIngredients('decompose', 1, {}, {}, {}),
      usage: { inputTokens: 100 * calls, outputTokens: 10 * calls, costUsd, calls },
      startedAt: at,
      finishedAt: at,
      durationMs: 1,
      ...(status === 'failed' ? { error: { code: 'PLAN_INVALID', message: 'x', retryable: false, details: {} } } : {}),
    },
    { runId, nodeId: 'plan', status: status === 'cached' ? 'cached' : status === 'failed' ? 'failed' : 'succeeded', attempts: 1 },
  );
}

describe('who pays for a plan', () => {
  it('charges the `plan` runs of a plan to the first run that executes it, and to no later one', async () => {
    const s = await store();
    const made = await addRun(s, 'r-plan', 'plan', 'p-1');
    await addAttempt(s, made.id, 'succeeded', 2, 0.5);
    const first = await addRun(s, 'r-do', 'do', 'p-1');
    await addAttempt(s, first.id, 'cached', 0, 0);
    const second = await addRun(s, 'r-run', 'run', 'p-1');

    expect(await planningCharge(s, first)).toEqual({ planId: 'p-1', planRuns: ['r-plan'], chargedTo: 'r-do', usage: { inputTokens: 200, outputTokens: 20, costUsd: 0.5, calls: 2 } });
    expect(await planningCharge(s, second)).toMatchObject({ chargedTo: 'r-do', usage: { calls: 0, costUsd: 0 } });
    expect(await planningCharge(s, made)).toBeUndefined(); // a plan run is not charged twice
    const other = await addRun(s, 'r-other', 'run', 'p-2');
    expect(await planningCharge(s, other)).toBeUndefined(); // no `plan` run made p-2

    const spend = await runSpend(s, first.id);
    expect(spend.nodes.calls).toBe(0);
    expect(spend.total).toMatchObject({ calls: 2, costUsd: 0.5 });
    expect(spend.decompositions).toBe(0); // a cache hit is not a decomposition
  });

  it('sums the calls of failed attempts, counts decompositions, and lists limits with headroom', async () => {
    const s = await store();
    const run = await addRun(s, 'r-1', 'do', undefined, { budget: { maxCostUsd: 1 }, activeMs: 1500 });
    await addAttempt(s, run.id, 'failed', 3, 0.25);
    const spend = await runSpend(s, run.id);
    expect(spend).toMatchObject({ nodes: { calls: 3, costUsd: 0.25 }, decompositions: 1, consecutiveFailures: 1, activeMs: 1500 });
    expect(budgetLines(run, spend)).toEqual([
      { key: 'maxCostUsd', label: 'cost (USD)', limit: 1, spent: 0.25, headroom: 0.75, reached: false, isDefault: false, flag: '--max-cost' },
      { key: 'maxModelCalls', label: 'model calls', limit: 300, spent: 3, headroom: 297, reached: false, isDefault: true, flag: '--max-calls' },
      { key: 'maxDecompositions', label: 'decompositions', limit: 25, spent: 1, headroom: 24, reached: false, isDefault: true, flag: '--max-decompositions' },
    ]);
  });
});
