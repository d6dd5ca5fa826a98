import { describe, expect, it } from 'vitest';
import type { Json } from '../core/json.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { RunRecord } from '../store/store.js';
import { finishedAttempt, nodeState, plan, run } from '../store/store-fixtures.case.js';
import { archivedPlans } from './plan-archive.js';

/**
 * The plan archive is a view of the store: succeeded runs' plans, newest run first, with what
 * planning them from scratch cost — found on the run that planned, not on a later cache hit, and
 * taken from the reuse record when the planning itself reused an earlier plan.
 */
describe('archivedPlans', () => {
  const graph: RunRecord['graph'] = { id: 'do', nodes: [{ id: 'plan', kind: 'decompose', config: { goal: 'g' }, inputs: {}, needs: [], priority: 0 }], edges: [] };
  const usage = (inputTokens: number, costUsd: number) => ({ inputTokens, outputTokens: 10, costUsd, calls: 1 });

  it('lists succeeded runs once per plan with outcome, costs and the fresh planning cost', async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    try {
      await store.savePlan({ ...plan('p1'), meta: { language: 'javascript', tags: ['calc'] } });
      await store.savePlan(plan('p2'));
      const mk = async (id: string, planId: string, at: string, status: RunRecord['status'], attempt: { status: 'succeeded' | 'cached'; usage: ReturnType<typeof usage>; output?: Json }) => {
        await store.createRun(run(id, at, { graph, planId, status, command: 'do' }));
        await store.recordFinishedAttempt(finishedAttempt(id, 'plan', attempt.status, { usage: attempt.usage, ...(attempt.output ? { output: attempt.output } : {}) }), nodeState(id, 'plan', attempt.status === 'cached' ? 'cached' : 'succeeded'));
        await store.recordFinishedAttempt(finishedAttempt(id, 'T1/edit', 'succeeded', { usage: usage(500, 0.5) }), nodeState(id, 'T1/edit', 'succeeded'));
      };
      await mk('R1', 'p1', '2025-03-01T00:00:00.000Z', 'succeeded', { status: 'succeeded', usage: usage(1000, 1) });
      await mk('R2', 'p1', '2025-03-02T00:00:00.000Z', 'succeeded', { status: 'cached', usage: usage(1000, 1) }); // a cache hit: cost nothing
      await mk('R3', 'p2', '2025-03-03T00:00:00.000Z', 'succeeded', { status: 'succeeded', usage: usage(100, 0.1), output: { reuse: { fresh: usage(900, 0.9) } } });
      await mk('R4', 'p2', '2025-03-04T00:00:00.000Z', 'failed', { status: 'succeeded', usage: usage(7, 0.01) });
      const archive = await archivedPlans(store);
      expect(archive.map((a) => [a.planId, a.runId])).toStrictEqual([['p2', 'R3'], ['p1', 'R2']]);
      const [p2, p1] = archive;
      expect(p1).toMatchObject({ goal: 'goal of p1', language: 'javascript', tags: ['backend', 'calc'], outcome: { status: 'succeeded', tasksDone: 1, tasks: 3 } });
      expect(p1!.cost).toMatchObject({ inputTokens: 500, costUsd: 0.5 }); // R2: the cached plan attempt is not counted
      expect(p1!.planningCost.inputTokens).toBe(0);
      expect(p1!.freshPlanningCost).toMatchObject({ inputTokens: 1000, costUsd: 1 }); // from R1, which planned it
      expect(p2!.freshPlanningCost).toMatchObject({ inputTokens: 900, costUsd: 0.9 }); // R3 made it by a reuse: its record; R4 (failed) planned it again later
    } finally {
      await store.close();
    }
  });
});
