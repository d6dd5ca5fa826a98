import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite-store.js';
import type { NodeStatus, RunRecord, RunTaskRecord, Store } from '../store/store.js';
import { resetForResume } from './resume-reset.js';

/**
 * The resume bookkeeping of a split task (ADaPT, `TaskTracker.replan`): the split writes the
 * expanded graph first, then the superseded node states and the task; a kill between those writes
 * leaves a split that resume must finish. A real (in-memory) SQLite store.
 */

const node = (id: string, kind: string, task: string | undefined, needs: string[] = []) => ({ id, kind, ...(task ? { task } : {}), config: {}, inputs: {}, needs });

/** T split at run time: its own nodes, its replan, and its commit now waiting for the replan. */
const GRAPH = {
  nodes: [
    node('T/context', 'context', 'T'),
    node('T/edit', 'llm', 'T', ['T/context']),
    node('T/verify', 'verify', 'T', ['T/edit']),
    node('T/replan', 'decompose', undefined),
    node('T/commit', 'script', 'T', ['T/replan']),
  ],
} as unknown as RunRecord['graph'];

async function runWith(states: Record<string, NodeStatus>, task: RunTaskRecord['status']): Promise<{ store: Store; run: RunRecord }> {
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const at = '2026-01-01T00:00:00.000Z';
  const run: RunRecord = { id: 'R1', status: 'running', graph: GRAPH, command: 'do', options: {}, projectDir: '/p', createdAt: at, updatedAt: at };
  await store.createRun(run);
  await store.putRunNodes(Object.entries(states).map(([nodeId, status]) => ({ runId: 'R1', nodeId, status, attempts: status === 'pending' ? 0 : 1, ...(nodeId === 'T/replan' ? {} : { task: 'T' }) })));
  await store.putRunTask({ runId: 'R1', taskId: 'T', attempt: 2, status: task, startCommit: 'a'.repeat(40), worktree: '/w-tasks/T', branch: 'taskgraph/R1-tasks/T' });
  return { store, run };
}

async function statesOf(store: Store): Promise<Record<string, string>> {
  return Object.fromEntries((await store.listRunNodes('R1')).map((n) => [n.nodeId, n.status]));
}

describe('resetForResume with a split task', () => {
  it('finishes a split a kill interrupted after the graph was written: superseded nodes skipped, the commit and the task pending', async () => {
    // T's integration failed a last time (its commit had succeeded, the task was done), then the kill
    const { store, run } = await runWith({ 'T/context': 'succeeded', 'T/edit': 'succeeded', 'T/verify': 'succeeded', 'T/commit': 'succeeded', 'T/replan': 'pending' }, 'done');
    await resetForResume(store, run);
    expect(await statesOf(store)).toEqual({ 'T/context': 'skipped', 'T/edit': 'skipped', 'T/verify': 'skipped', 'T/commit': 'pending', 'T/replan': 'pending' });
    const task = await store.getRunTask('R1', 'T');
    expect(task).toMatchObject({ status: 'pending', startCommit: 'a'.repeat(40) }); // not running: its worktree is not reopened
  });

  it('finishes a split after a failed verify the same way, and leaves a finished split alone', async () => {
    const interrupted = await runWith({ 'T/context': 'succeeded', 'T/edit': 'succeeded', 'T/verify': 'failed', 'T/commit': 'pending', 'T/replan': 'pending' }, 'running');
    await resetForResume(interrupted.store, interrupted.run);
    expect(await statesOf(interrupted.store)).toEqual({ 'T/context': 'skipped', 'T/edit': 'skipped', 'T/verify': 'skipped', 'T/commit': 'pending', 'T/replan': 'pending' });
    expect((await interrupted.store.getRunTask('R1', 'T'))!.status).toBe('pending');

    // the replan ran and the commit joined the subtasks: nothing to finish
    const joined = { 'T/context': 'skipped', 'T/edit': 'skipped', 'T/verify': 'skipped', 'T/commit': 'succeeded', 'T/replan': 'succeeded' } as const;
    const done = await runWith(joined, 'done');
    await resetForResume(done.store, done.run);
    expect(await statesOf(done.store)).toEqual(joined);
    expect((await done.store.getRunTask('R1', 'T'))!.status).toBe('done');
  });
});
