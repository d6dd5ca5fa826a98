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

/**
 * Runs integration rounds beside the engine's scheduling loop (issue 10): the loop goes on
 * starting and finishing nodes while a round (and its check, seconds long) runs. At most one
 * round runs at a time; a request during a round asks for one more round after it (tasks
 * finished meanwhile).
 */
export class BackgroundIntegration {
  private running: Promise<void> | undefined;
  private again = false;

  /**
   * @param round starts one round (`integrateFinishedTasks`), or returns undefined when no round
   *   should run now (no parallel tasks, the run stopping)
   * @param held receives a round's hold reason (a task held for a person), if any
   * @param failed receives a round's error (GIT_ERROR, STORE_ERROR)
   * @param settled called after every round, failed or not: the loop looks at its ready set again
   */
  constructor(
    private readonly round: () => Promise<string | undefined> | undefined,
    private readonly held: (reason: string | undefined) => void,
    private readonly failed: (error: unknown) => void,
    private readonly settled: () => void,
  ) {}

  /** Whether a round runs now (the loop must not end meanwhile). */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Starts a round, or asks for one more after the running one. Never throws. */
  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const started = this.round();
    if (!started) return;
    this.running = started
      .then(this.held, this.failed)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.request();
        }
        this.settled();
      });
  }
}
