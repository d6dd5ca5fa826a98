import type { RunRecord, Store } from '../store/store.js';
import { notesChangedSinceHold } from './task-tracker.js';

/**
 * The resume bookkeeping (DESIGN.md §6): failed, skipped and suspended nodes become `pending`
 * again (except those of a task split into subtasks, which stay superseded, see {@link finishSplits}); failed and skipped
 * tasks become `pending` (a failed one from attempt 1); a task held for a person goes `running`
 * again once its notes changed since the hold. Store errors propagate.
 */
export async function resetForResume(store: Store, run: RunRecord): Promise<void> {
  await finishSplits(store, run);
  const nodes = await store.listRunNodes(run.id);
  const ids = new Set(run.graph.nodes.map((n) => n.id));
  // nodes of a task that was split into subtasks stay superseded
  const superseded = (n: { nodeId: string; task?: string }) => n.task !== undefined && ids.has(`${n.task}/replan`) && n.nodeId !== `${n.task}/commit`;
  const again = nodes.filter((n) => (n.status === 'failed' || n.status === 'skipped' || n.status === 'suspended') && !superseded(n));
  if (again.length > 0) await store.putRunNodes(again.map((n) => ({ ...n, status: 'pending' as const })));
  for (const t of await store.listRunTasks(run.id)) {
    if (t.status === 'failed' || t.status === 'skipped') {
      await store.putRunTask({ ...t, status: 'pending', attempt: t.status === 'failed' ? 1 : t.attempt });
    } else if (t.status === 'needs-human' && run.planId && (await notesChangedSinceHold(store, run.planId, t.taskId))) {
      await store.putRunTask({ ...t, status: 'running' });
    }
  }
}

/**
 * Finishes the splits (ADaPT, `TaskTracker.replan`) a kill interrupted after the expanded graph
 * was written: for a task whose `<task>/replan` has not run yet, its own nodes other than
 * `<task>/commit` are superseded (`skipped`), its commit waits for the subtasks (`pending`: it
 * may have succeeded before, when the task's integration failed), and the task is `pending` (not
 * `running`: its worktree, with the failed attempts' edits, is not reopened). Idempotent.
 * Store errors propagate.
 */
async function finishSplits(store: Store, run: RunRecord): Promise<void> {
  const states = new Map((await store.listRunNodes(run.id)).map((n) => [n.nodeId, n]));
  const ran = (id: string) => ['succeeded', 'cached'].includes(states.get(id)?.status ?? 'pending');
  const split = run.graph.nodes.filter((n) => n.kind === 'decompose' && n.task === undefined && n.id.endsWith('/replan') && !ran(n.id));
  for (const replan of split) {
    const task = replan.id.slice(0, -'/replan'.length);
    const commitId = `${task}/commit`;
    const fix = run.graph.nodes
      .filter((n) => n.task === task)
      .map((n) => states.get(n.id))
      .filter((r) => r !== undefined)
      .filter((r) => (r.nodeId === commitId ? ran(commitId) : r.status !== 'skipped'));
    if (fix.length > 0) await store.putRunNodes(fix.map((r) => ({ ...r, status: r.nodeId === commitId ? ('pending' as const) : ('skipped' as const) })));
    const record = await store.getRunTask(run.id, task);
    if (record && (record.status === 'running' || record.status === 'done')) await store.putRunTask({ ...record, status: 'pending' });
  }
}
