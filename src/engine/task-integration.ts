import type { RunState } from './run-state.js';
import type { TaskTracker } from './task-tracker.js';

/**
 * One integration round of a run whose tasks work in worktrees of their own (issue 10,
 * `parallel-tasks.ts`): integrates every finished task it can, in topological order, as a batch
 * with one check over its tip (`ParallelTasks.integrateBatch`); a task whose commit conflicts
 * with the run branch, or that the batch's check finds breaking the tests, is handed to
 * refinement as an `INTEGRATION_CONFLICT` / `VERIFY_FAILED` failure of its `T/commit` node, with
 * the run branch's tip as its new start (`TaskTracker.afterFailure`).
 * When refinement gives up on it, the commit node is marked failed (its commit stands only on the
 * task branch, so the run fails) and `skip` skips what waits for it. Loops until no conflict is
 * left: each conflict moves its task out of `done`, so the next round goes past it.
 * @param state the run (with `state.parallel` set)
 * @param tasks the run's task tracker
 * @param skip skips the downstream cone of a failed node (the engine's `skipAfterFailure`)
 * @returns the reason a task is held for a person (a conflict seen twice), if any
 * @throws TaskgraphError GIT_ERROR, STORE_ERROR (the engine stops scheduling and keeps state)
 */
export async function integrateFinishedTasks(state: RunState, tasks: TaskTracker, skip: (nodeId: string) => Promise<void>): Promise<string | undefined> {
  const parallel = state.parallel;
  if (!parallel) return undefined;
  let held: string | undefined;
  for (let conflict = await parallel.integrateReady(); conflict; conflict = await parallel.integrateReady()) {
    const commitId = `${conflict.task}/commit`;
    const decision = await tasks.afterFailure(commitId, conflict.error, conflict.tip);
    if (decision.action === 'hold') held ??= decision.reason;
    if (decision.action === 'fail') {
      await state.store.putRunNodes([{ runId: state.run.id, nodeId: commitId, status: 'failed', attempts: state.attempts.get(commitId) ?? 0, task: conflict.task }]);
      state.scheduler.finish(commitId, 'failed');
      await skip(commitId);
    }
  }
  return held;
}
