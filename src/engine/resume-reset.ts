import type { RunRecord, Store } from '../store/store.js';
import { notesChangedSinceHold } from './task-tracker.js';

/**
 * The resume bookkeeping (DESIGN.md §6): failed, skipped and suspended nodes become `pending`
 * again (except those of a task split into subtasks, which stay superseded); failed and skipped
 * tasks become `pending` (a failed one from attempt 1); a task held for a person goes `running`
 * again once its notes changed since the hold. Store errors propagate.
 */
export async function resetForResume(store: Store, run: RunRecord): Promise<void> {
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
