import type { RunState } from './run-state.js';
import type { TaskTracker } from './task-tracker.js';

/**
 * After a failure that is final: skips node `id`'s downstream cone and the rest of its task (and
 * their cones), records them `skipped` in the store, marks the other tasks touched skipped and
 * emits one `node-skip` event. Store errors propagate.
 */
export async function skipAfterFailure(state: RunState, tasks: TaskTracker, id: string): Promise<void> {
  const { scheduler, graph, run, store } = state;
  const task = graph.nodes.get(id)!.task;
  const skipped = scheduler.skipDownstream(id);
  const sameTask = task ? tasks.nodesOf(task).filter((n) => scheduler.status(n) === 'pending') : [];
  for (const n of sameTask) scheduler.finish(n, 'skipped');
  const all = [...new Set([...skipped, ...sameTask, ...sameTask.flatMap((n) => scheduler.skipDownstream(n))])];
  if (all.length === 0) return;
  await store.putRunNodes(
    all.map((nodeId) => {
      const n = graph.nodes.get(nodeId)!;
      return { runId: run.id, nodeId, status: 'skipped' as const, attempts: state.attempts.get(nodeId) ?? 0, ...(n.task ? { task: n.task } : {}) };
    }),
  );
  await tasks.markSkipped([...new Set(all.map((n) => graph.nodes.get(n)!.task).filter((t): t is string => !!t && t !== task))]);
  state.emit({ type: 'node-skip', runId: run.id, nodeIds: all, because: id });
}
