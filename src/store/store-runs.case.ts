import { describe, expect, it } from 'vitest';
import type { RunNodeRecord, RunRecord } from './store.js';
import { expectCode, graph, node, run, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for runs, run nodes, run tasks and decisions (see `store.case.ts`). */
export function runCases(h: StoreHolder): void {
  describe('runs', () => {
    it('round-trips a run with only required fields (optional ones stay absent)', async () => {
      await h.store.createRun(run('r1'));
      const back = await h.store.getRun('r1');
      expect(back).toStrictEqual(run('r1'));
      for (const key of ['planId', 'worktree', 'branch', 'baseCommit', 'workspace', 'reason']) expect(back).not.toHaveProperty(key);
    });

    it('round-trips a run with every field', async () => {
      const full: RunRecord = run('r1', '2025-02-01T00:00:00.000Z', {
        status: 'suspended',
        planId: 'p1',
        worktree: '/tmp/wt',
        branch: 'taskgraph/r1',
        baseCommit: 'c'.repeat(40),
        workspace: { head: 'c'.repeat(40), tree: 'd'.repeat(40) },
        reason: 'waiting for approval of deploy',
      });
      await h.store.createRun(full);
      expect(await h.store.getRun('r1')).toStrictEqual(full);
      expect(await h.store.getRun('nope')).toBeUndefined();
    });

    it('createRun adds a pending node row per graph node, in graph order, with its task', async () => {
      await h.store.createRun(run('r1'));
      const expected: RunNodeRecord[] = [
        { runId: 'r1', nodeId: 'a', status: 'pending', attempts: 0, task: 'T1' },
        { runId: 'r1', nodeId: 'b', status: 'pending', attempts: 0, task: 'T1' },
        { runId: 'r1', nodeId: 'c', status: 'pending', attempts: 0 },
      ];
      expect(await h.store.listRunNodes('r1')).toStrictEqual(expected);
      expect(await h.store.listRunNodes('nope')).toStrictEqual([]);
    });

    it('createRun rejects a duplicate run id and leaves the first run intact', async () => {
      await h.store.createRun(run('r1'));
      await expectCode(h.store.createRun(run('r1', '2030-01-01T00:00:00.000Z', { command: 'do' })), 'STORE_ERROR');
      expect(await h.store.getRun('r1')).toStrictEqual(run('r1'));
    });

    it('lists runs newest first (createdAt, then insertion) with an optional limit', async () => {
      await h.store.createRun(run('old', '2025-01-01T00:00:00.000Z'));
      await h.store.createRun(run('new', '2025-03-01T00:00:00.000Z'));
      await h.store.createRun(run('tie1', '2025-02-01T00:00:00.000Z'));
      await h.store.createRun(run('tie2', '2025-02-01T00:00:00.000Z'));
      expect((await h.store.listRuns()).map((r) => r.id)).toStrictEqual(['new', 'tie2', 'tie1', 'old']);
      expect((await h.store.listRuns(2)).map((r) => r.id)).toStrictEqual(['new', 'tie2']);
      expect((await h.store.listRuns())[0]).toStrictEqual(run('new', '2025-03-01T00:00:00.000Z'));
    });

    it('updateRun patches the given fields, clears optional ones given as undefined, keeps createdAt', async () => {
      await h.store.createRun(run('r1', '2025-02-01T00:00:00.000Z', { reason: 'x', branch: 'b1' }));
      await h.store.updateRun('r1', { status: 'failed', reason: 'verify failed twice', updatedAt: '2025-02-02T00:00:00.000Z' });
      expect(await h.store.getRun('r1')).toStrictEqual(
        run('r1', '2025-02-01T00:00:00.000Z', {
          branch: 'b1',
          status: 'failed',
          reason: 'verify failed twice',
          updatedAt: '2025-02-02T00:00:00.000Z',
        }),
      );
      const g = { ...graph(), nodes: [node('z')] };
      await h.store.updateRun('r1', { reason: undefined, graph: g, options: { k: [1] }, workspace: { head: '1'.repeat(40), tree: '2'.repeat(40) } });
      const back = await h.store.getRun('r1');
      expect(back).not.toHaveProperty('reason');
      expect(back?.graph).toStrictEqual(g);
      expect(back?.options).toStrictEqual({ k: [1] });
      expect(back?.workspace).toStrictEqual({ head: '1'.repeat(40), tree: '2'.repeat(40) });
      expect(back?.branch).toBe('b1');
      expect(back?.createdAt).toBe('2025-02-01T00:00:00.000Z');
      expect(Math.abs(Date.parse(back?.updatedAt ?? '') - Date.now())).toBeLessThan(60_000);
    });

    it('updateRun rejects NOT_FOUND for an unknown run', async () => {
      await expectCode(h.store.updateRun('nope', { status: 'failed' }), 'NOT_FOUND');
    });
  });

  describe('run nodes', () => {
    it('expandRunGraph replaces the graph, adds pending nodes and keeps existing node states', async () => {
      await h.store.createRun(run('r1'));
      await h.store.putRunNodes([{ runId: 'r1', nodeId: 'a', status: 'succeeded', attempts: 1, task: 'T1', lastAttemptSeq: 7 }]);
      const g = graph();
      const expanded = { ...g, nodes: [...g.nodes, node('d/1', { task: 'T9' }), node('d/2')] };
      await h.store.expandRunGraph('r1', expanded, [
        { runId: 'r1', nodeId: 'd/1', status: 'pending', attempts: 0, task: 'T9' },
        { runId: 'r1', nodeId: 'd/2', status: 'pending', attempts: 0 },
        { runId: 'r1', nodeId: 'a', status: 'pending', attempts: 0 },
      ]);
      expect((await h.store.getRun('r1'))?.graph).toStrictEqual(expanded);
      expect(await h.store.listRunNodes('r1')).toStrictEqual([
        { runId: 'r1', nodeId: 'a', status: 'succeeded', attempts: 1, task: 'T1', lastAttemptSeq: 7 },
        { runId: 'r1', nodeId: 'b', status: 'pending', attempts: 0, task: 'T1' },
        { runId: 'r1', nodeId: 'c', status: 'pending', attempts: 0 },
        { runId: 'r1', nodeId: 'd/1', status: 'pending', attempts: 0, task: 'T9' },
        { runId: 'r1', nodeId: 'd/2', status: 'pending', attempts: 0 },
      ]);
      await expectCode(h.store.expandRunGraph('nope', expanded, []), 'NOT_FOUND');
    });

    it('putRunNodes upserts several nodes at once and clears absent optional fields', async () => {
      await h.store.createRun(run('r1'));
      await h.store.putRunNodes([
        { runId: 'r1', nodeId: 'b', status: 'skipped', attempts: 0 },
        { runId: 'r1', nodeId: 'c', status: 'failed', attempts: 3, task: 'T2', lastAttemptSeq: 12 },
        { runId: 'r1', nodeId: 'new', status: 'suspended', attempts: 1 },
      ]);
      expect(await h.store.listRunNodes('r1')).toStrictEqual([
        { runId: 'r1', nodeId: 'a', status: 'pending', attempts: 0, task: 'T1' },
        { runId: 'r1', nodeId: 'b', status: 'skipped', attempts: 0 },
        { runId: 'r1', nodeId: 'c', status: 'failed', attempts: 3, task: 'T2', lastAttemptSeq: 12 },
        { runId: 'r1', nodeId: 'new', status: 'suspended', attempts: 1 },
      ]);
    });

    it('putRunNodes is atomic and rejects NOT_FOUND for an unknown run', async () => {
      await h.store.createRun(run('r1'));
      await expectCode(
        h.store.putRunNodes([
          { runId: 'r1', nodeId: 'a', status: 'skipped', attempts: 0 },
          { runId: 'nope', nodeId: 'a', status: 'skipped', attempts: 0 },
        ]),
        'NOT_FOUND',
      );
      expect((await h.store.listRunNodes('r1'))[0]?.status).toBe('pending');
    });
  });

  describe('run tasks', () => {
    it('puts (upsert), gets and lists run tasks in insertion order', async () => {
      await h.store.createRun(run('r1'));
      await h.store.createRun(run('r2'));
      await h.store.putRunTask({ runId: 'r1', taskId: 'T2', attempt: 1, status: 'running', startCommit: 'e'.repeat(40) });
      await h.store.putRunTask({ runId: 'r1', taskId: 'T1', attempt: 1, status: 'pending' });
      await h.store.putRunTask({ runId: 'r2', taskId: 'T1', attempt: 1, status: 'done' });
      await h.store.putRunTask({ runId: 'r1', taskId: 'T2', attempt: 2, status: 'needs-human' });
      expect(await h.store.listRunTasks('r1')).toStrictEqual([
        { runId: 'r1', taskId: 'T2', attempt: 2, status: 'needs-human' },
        { runId: 'r1', taskId: 'T1', attempt: 1, status: 'pending' },
      ]);
      expect(await h.store.getRunTask('r2', 'T1')).toStrictEqual({ runId: 'r2', taskId: 'T1', attempt: 1, status: 'done' });
      expect(await h.store.getRunTask('r2', 'T2')).toBeUndefined();
      await expectCode(h.store.putRunTask({ runId: 'nope', taskId: 'T1', attempt: 1, status: 'pending' }), 'NOT_FOUND');
    });

    it('keeps a task worktree, its branch and the integrated commit; a later put without them clears them', async () => {
      await h.store.createRun(run('r1'));
      const full = {
        runId: 'r1',
        taskId: 'T1',
        attempt: 1,
        status: 'done' as const,
        startCommit: 'a'.repeat(40),
        worktree: '/cache/worktrees/p/r1-tasks/T1',
        branch: 'taskgraph/r1-tasks/T1',
        integratedCommit: 'b'.repeat(40),
      };
      await h.store.putRunTask(full);
      expect(await h.store.getRunTask('r1', 'T1')).toStrictEqual(full);
      const { integratedCommit: _gone, ...reopened } = full;
      await h.store.putRunTask({ ...reopened, status: 'running', attempt: 2 });
      expect(await h.store.listRunTasks('r1')).toStrictEqual([{ ...reopened, status: 'running', attempt: 2 }]);
    });
  });

  describe('decisions', () => {
    it('puts (upsert) and gets decisions; comment is optional', async () => {
      await h.store.createRun(run('r1'));
      const approved = { runId: 'r1', nodeId: 'a', decision: 'approved' as const, by: 'ana', at: '2025-02-03T00:00:00.000Z', comment: 'ok' };
      await h.store.putDecision(approved);
      expect(await h.store.getDecision('r1', 'a')).toStrictEqual(approved);
      const rejected = { runId: 'r1', nodeId: 'a', decision: 'rejected' as const, by: 'bo', at: '2025-02-04T00:00:00.000Z' };
      await h.store.putDecision(rejected);
      expect(await h.store.getDecision('r1', 'a')).toStrictEqual(rejected);
      expect(await h.store.getDecision('r1', 'b')).toBeUndefined();
      await expectCode(h.store.putDecision({ ...rejected, runId: 'nope' }), 'NOT_FOUND');
    });
  });
}
