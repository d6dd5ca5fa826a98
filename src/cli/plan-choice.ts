import { TaskgraphError } from '../core/errors.js';
import type { Task } from '../core/task.js';
import type { Store } from '../store/store.js';

/**
 * Which plan and task a task-level command (`link`, `context preview`) works on, with errors
 * that list what exists.
 */

/**
 * The plan a command works on: `--plan ID` when given (it must exist), else the plan of the
 * newest run that has one (as `taskgraph note` does), else the newest saved plan (a plan made by
 * `taskgraph plan` and not run yet).
 * @param store the project's store
 * @param plan the `--plan` flag
 * @returns the plan id
 * @throws TaskgraphError NOT_FOUND when `plan` is unknown or no plan exists yet
 */
export async function choosePlan(store: Store, plan: string | undefined): Promise<string> {
  if (plan) {
    if (await store.getPlan(plan)) return plan;
    const known = (await store.listPlans()).slice(0, 5).map((p) => p.id);
    throw new TaskgraphError('NOT_FOUND', `no plan "${plan}"`, {
      details: { planId: plan },
      hint: known.length > 0 ? `newest plans: ${known.join(', ')}` : 'plan first with `taskgraph plan "<goal>"`',
    });
  }
  const run = (await store.listRuns(50)).find((r) => r.planId);
  if (run?.planId) return run.planId;
  const newest = (await store.listPlans())[0];
  if (newest) return newest.id;
  throw new TaskgraphError('NOT_FOUND', 'no plan yet', { hint: 'pass --plan PLAN_ID, or plan first with `taskgraph plan` or `taskgraph do`' });
}

/**
 * The task `taskId` of `planId`.
 * @throws TaskgraphError NOT_FOUND naming the task and the plan, with the plan's task ids as hint
 */
export async function requireTask(store: Store, planId: string, taskId: string): Promise<Task> {
  const tasks = await store.listTasks(planId);
  const task = tasks.find((t) => t.id === taskId);
  if (task) return task;
  const ids = tasks.map((t) => t.id);
  throw new TaskgraphError('NOT_FOUND', `task "${taskId}" is not in plan ${planId}`, {
    details: { planId, taskId },
    hint: `tasks of ${planId}: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}; another plan: --plan ID`,
  });
}
