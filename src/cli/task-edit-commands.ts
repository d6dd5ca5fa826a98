import { TaskgraphError } from '../core/errors.js';
import type { Task, TaskStatus } from '../core/task.js';
import { addTask, type DraftEdit, finishEdit, moveTask, removeTask, updateTask } from '../planning/plan-edit.js';
import { effectiveRunStatus } from '../engine/run-lease.js';
import type { PlanVersion } from '../store/plan-versions.js';
import type { Store } from '../store/store.js';
import type { WebhookOutbox } from '../webhooks/outbox.js';
import { taskEditEvents } from '../webhooks/webhook-events.js';
import type { CommonOptions } from './commands.js';
import { choosePlan } from './plan-choice.js';
import { runsWaitingForPlan } from './plan-gate-runs.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph task add|rm|update|move PLAN ...` (issue 11, plan review): a person edits a saved
 * plan before approving it. Every edit is made on the plan's current tasks
 * (`planning/plan-edit.ts`), validated whole — a dependency cycle is refused with its path,
 * a dangling dependency is named, task text has the limits of planner output — and stored as a
 * new version of the plan together with its audit entry (`Store.editPlan`, one transaction).
 * An edit made from a version another edit has since replaced is refused (RUN_STATE).
 */

/** Options every edit command takes. */
export type EditOptions = CommonOptions & { by?: string; session?: string };

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** Who an edit or approval is recorded for: `--by`, else `$USER`, else `unknown`. */
export function whoOf(opts: { by?: string | undefined }): string {
  return opts.by ?? process.env['USER'] ?? 'unknown';
}

/**
 * Refuses an edit while a live process executes a run of the plan (a run waiting for approval,
 * or stopped, is not executing): removing or rewriting a task under a running run would pull it
 * from under that run's nodes.
 * @throws TaskgraphError RUN_STATE naming the run
 */
export async function assertPlanNotExecuting(store: Store, planId: string, nowMs = Date.now()): Promise<void> {
  for (const run of await store.listRuns(200)) {
    if (run.planId !== planId || run.status !== 'running') continue;
    if (effectiveRunStatus(run, await store.getRunLease(run.id), nowMs) !== 'running') continue;
    throw new TaskgraphError('RUN_STATE', `run ${run.id} is executing plan ${planId}; the plan cannot be edited under it`, {
      details: { runId: run.id, planId },
      hint: 'edit it once the run has stopped, or plan review first: taskgraph do --approve-plan',
    });
  }
}

/**
 * Reads the plan's tasks and newest version, applies `edit`, validates and stores the result.
 * @param planArg the plan id as given (checked by `choosePlan`)
 * @param by who edits (audited)
 * @param extra `session`: the `--session` name, kept in the audit entry's details (issue 13);
 *   `webhooks`: the project's webhook outbox, `task_created`/`task_updated` of the edit are written to it
 * @returns the new version
 * @throws TaskgraphError NOT_FOUND (plan, task), PLAN_INVALID (the edited plan is invalid; nothing
 *   stored), RUN_STATE (another edit came first, or a run is executing the plan), CONFIG_INVALID
 *   (bad arguments)
 */
export async function applyPlanEdit(
  store: Store,
  planArg: string,
  by: string,
  edit: (tasks: Task[], planId: string) => DraftEdit,
  extra: { session?: string | undefined; webhooks?: Pick<WebhookOutbox, 'enqueue'> | undefined } = {},
): Promise<PlanVersion> {
  const { session, webhooks } = extra;
  const planId = await choosePlan(store, planArg);
  await assertPlanNotExecuting(store, planId);
  const base = (await store.listPlanVersions(planId)).at(-1)!.version;
  const tasks = await store.listTasks(planId);
  const done = finishEdit(planId, edit(tasks, planId), tasks);
  const [runId] = await runsWaitingForPlan(store, planId); // the audit entry joins the report of the run under review
  const version = await store.editPlan({ planId, tasks: done.tasks, leaves: done.leaves, baseVersion: base, by, at: Date.now(), summary: done.summary, ...(runId ? { runId } : {}), ...(session !== undefined ? { session } : {}) });
  // task_created / task_updated into the outbox before the caller answers (webhooks/outbox.ts)
  // (compared as stored: a version's tasks leave notes out)
  if (webhooks) await webhooks.enqueue(taskEditEvents(planId, version.version, tasks, await store.listTasks(planId)));
  return version;
}

async function runEdit(planArg: string, opts: EditOptions, edit: (tasks: Task[], planId: string) => DraftEdit): Promise<number> {
  return withProject(opts, async (project) => {
    const version = await applyPlanEdit(project.store, planArg, whoOf(opts), edit, { session: opts.session, webhooks: project.webhooks?.outbox });
    if (opts.json) out(safeJson({ planId: version.planId, version: version.version, by: version.by, summary: version.summary, leaves: version.leaves }));
    else {
      out(`plan ${version.planId} version ${version.version}: ${version.summary}`);
      out(`review: taskgraph plan show ${version.planId}   changes: taskgraph plan diff ${version.planId}   approve: taskgraph plan approve ${version.planId}`);
    }
    return 0;
  });
}

/** A comma-separated id list (`T1,T2`), empty entries dropped. */
export function idList(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * `taskgraph task add PLAN --title T [--description D] [--acceptance A ...] [--files F ...]
 * [--deps T1,T2] [--parent P | --after T | --before T] [--id ID]`.
 * @returns exit code 0
 */
export async function taskAddCommand(
  plan: string,
  opts: EditOptions & { title: string; description?: string; acceptance?: string[]; files?: string[]; deps?: string; parent?: string; after?: string; before?: string; id?: string },
): Promise<number> {
  const deps = idList(opts.deps);
  return runEdit(plan, opts, (tasks, planId) =>
    addTask(tasks, planId, {
      title: opts.title,
      ...(opts.id !== undefined ? { id: opts.id } : {}),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(opts.acceptance !== undefined ? { acceptance: opts.acceptance } : {}),
      ...(opts.files !== undefined ? { files: opts.files } : {}),
      ...(deps !== undefined ? { dependencies: deps } : {}),
      ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
      ...(opts.after !== undefined ? { after: opts.after } : {}),
      ...(opts.before !== undefined ? { before: opts.before } : {}),
    }),
  );
}

/** `taskgraph task rm PLAN TASK [--force]`: refused while other tasks depend on TASK, unless --force drops those dependencies. */
export async function taskRmCommand(plan: string, taskId: string, opts: EditOptions & { force?: boolean }): Promise<number> {
  return runEdit(plan, opts, (tasks) => removeTask(tasks, taskId, { force: opts.force === true }));
}

/** `taskgraph task update PLAN TASK [--title] [--description] [--acceptance ...] [--files ...] [--status]`. */
export async function taskUpdateCommand(
  plan: string,
  taskId: string,
  opts: EditOptions & { title?: string; description?: string; acceptance?: string[]; files?: string[]; status?: string },
): Promise<number> {
  return runEdit(plan, opts, (tasks) =>
    updateTask(tasks, taskId, {
      ...(opts.title !== undefined ? { title: opts.title } : {}),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
      ...(opts.acceptance !== undefined ? { acceptance: opts.acceptance } : {}),
      ...(opts.files !== undefined ? { files: opts.files } : {}),
      ...(opts.status !== undefined ? { status: opts.status as TaskStatus } : {}),
    }),
  );
}

/** `taskgraph task move PLAN TASK --parent P | --before T | --after T`. */
export async function taskMoveCommand(plan: string, taskId: string, opts: EditOptions & { parent?: string; before?: string; after?: string }): Promise<number> {
  if (opts.parent === undefined && opts.before === undefined && opts.after === undefined) {
    throw new TaskgraphError('CONFIG_INVALID', 'say where to move it', { hint: `taskgraph task move ${plan} ${taskId} --parent P | --before T | --after T` });
  }
  return runEdit(plan, opts, (tasks) =>
    moveTask(tasks, taskId, {
      ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
      ...(opts.before !== undefined ? { before: opts.before } : {}),
      ...(opts.after !== undefined ? { after: opts.after } : {}),
    }),
  );
}

/**
 * Appends a person's note (`Note from WHO: TEXT`) to a task with its `note-added` audit entry, in
 * one transaction: `taskgraph note`, `PUT /tasks/{id}` with a note and the MCP `update_task` tool.
 * @returns the task as it is now
 * @throws TaskgraphError NOT_FOUND when the task is not in the plan (nothing written)
 */
export function addPersonNote(store: Store, planId: string, taskId: string, text: string, who: string): Promise<Task> {
  return store.appendTaskNoteAudited(planId, taskId, `Note from ${who}: ${text}`, {
    at: Date.now(),
    who,
    kind: 'note-added',
    subject: taskId,
    reason: `note: ${text.slice(0, 200)}`,
    details: { plan: planId, task: taskId },
  });
}
