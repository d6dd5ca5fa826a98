import { createRoute, z } from '@hono/zod-openapi';
import { choosePlan, requireTask } from '../cli/plan-choice.js';
import { addPersonNote, applyPlanEdit } from '../cli/task-edit-commands.js';
import { TaskgraphError } from '../core/errors.js';
import { TASK_STATUSES, TaskSchema } from '../core/task.js';
import { addTask, updateTask } from '../planning/plan-edit.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { IdParam, TaskComponent } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * The task routes: `GET /tasks` (filter by plan, status, tag), `GET /tasks/{id}`, `POST /tasks`
 * and `PUT /tasks/{id}`. Edits go through the CLI's path (`applyPlanEdit` of
 * `cli/task-edit-commands.ts`: validated whole, a new plan version with its audit entry, refused
 * while a run executes the plan), as `taskgraph task add|update`; a note is appended as
 * `taskgraph note` does. Request fields reuse `core/task.ts`'s {@link TaskSchema} field schemas.
 */

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const f = TaskSchema.shape;
const planQuery = z.string().min(1).optional().openapi({ description: "plan id (default: the newest run's plan, else the newest plan)" });
const by = z.string().min(1).max(200).optional().openapi({ description: 'who edits (audited); default: the server user' });

/** `POST /tasks` body: `taskgraph task add` as JSON. */
const NewTaskBody = z
  .object({
    plan: planQuery,
    id: f.id.optional(),
    title: f.title,
    description: f.description.unwrap().optional(),
    acceptance: f.acceptance.unwrap().optional(),
    files: f.files.unwrap().optional(),
    dependencies: f.dependencies.unwrap().optional(),
    parent: f.parent,
    after: z.string().min(1).optional(),
    before: z.string().min(1).optional(),
    by,
  })
  .openapi('NewTaskRequest');

/** `PUT /tasks/{id}` body: `taskgraph task update` (fields, status) and `taskgraph note` (note) as JSON. */
const TaskUpdateBody = z
  .object({
    plan: planQuery,
    title: f.title.optional(),
    description: f.description.unwrap().optional(),
    acceptance: f.acceptance.unwrap().optional(),
    files: f.files.unwrap().optional(),
    status: f.status.unwrap().optional(),
    note: z.string().min(1).max(20_000).optional().openapi({ description: 'appended to the task notes (a held task continues on resume)' }),
    by,
  })
  .openapi('TaskUpdateRequest');

/** The result of an edit: the task as it is now and the plan version written (null for a note only). */
const TaskEditResult = z.object({ task: TaskComponent, version: z.number().nullable() }).openapi('TaskEditResult');

const who = (b: { by?: string | undefined }) => b.by ?? process.env['USER'] ?? 'unknown';
const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };

/** Registers the task routes on `app`. */
export function registerTaskRoutes(app: ApiApp, deps: ApiDeps): void {
  const store = deps.project.store;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks',
      summary: "a plan's tasks, filtered by status and tag",
      request: { query: z.object({ plan: planQuery, status: z.enum(TASK_STATUSES).optional(), tag: z.string().min(1).optional() }) },
      responses: { 200: json(z.array(TaskComponent), 'tasks in plan order'), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const tasks = await store.listTasks(await choosePlan(store, q.plan));
      return c.json(tasks.filter((t) => (q.status === undefined || t.status === q.status) && (q.tag === undefined || t.tags.includes(q.tag))), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tasks/{id}',
      summary: 'one task',
      request: { params: z.object({ id: IdParam.openapi({ param: { name: 'id', in: 'path' }, example: 'T1' }) }), query: z.object({ plan: planQuery }) },
      responses: { 200: json(TaskComponent, 'the task'), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const planId = await choosePlan(store, c.req.valid('query').plan);
      return c.json(await requireTask(store, planId, c.req.valid('param').id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tasks',
      summary: 'add a task to a plan (taskgraph task add): a new plan version, audited',
      request: { body: { content: { 'application/json': { schema: NewTaskBody } }, required: true } },
      responses: { 201: json(TaskEditResult, 'the task added'), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const { plan, by: _by, ...draft } = c.req.valid('json');
      const version = await applyPlanEdit(store, plan ?? (await choosePlan(store, undefined)), who(c.req.valid('json')), (tasks, planId) => addTask(tasks, planId, defined(draft)), { webhooks: deps.project.webhooks?.outbox });
      const before = new Set((await store.listPlanVersions(version.planId)).at(-2)?.tasks.map((t) => t.id) ?? []);
      const added = version.tasks.find((t) => !before.has(t.id)) ?? version.tasks.at(-1)!;
      return c.json({ task: await requireTask(store, version.planId, added.id), version: version.version }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/tasks/{id}',
      summary: "change a task's fields or status (taskgraph task update), or append a note (taskgraph note)",
      request: {
        params: z.object({ id: IdParam.openapi({ param: { name: 'id', in: 'path' }, example: 'T1' }) }),
        body: { content: { 'application/json': { schema: TaskUpdateBody } }, required: true },
      },
      responses: { 200: json(TaskEditResult, 'the task as it is now'), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { plan, by: _by, note, ...patch } = c.req.valid('json');
      const planId = await choosePlan(store, plan);
      await requireTask(store, planId, id);
      const fields = defined(patch);
      if (Object.keys(fields).length === 0 && note === undefined) {
        throw new TaskgraphError('CONFIG_INVALID', 'nothing to change: give title, description, acceptance, files, status or note', { details: { path: 'body' } });
      }
      let version: number | null = null;
      if (Object.keys(fields).length > 0) version = (await applyPlanEdit(store, planId, who(c.req.valid('json')), (tasks) => updateTask(tasks, id, fields), { webhooks: deps.project.webhooks?.outbox })).version;
      if (note !== undefined) await addPersonNote(store, planId, id, note, who(c.req.valid('json')));
      return c.json({ task: await requireTask(store, planId, id), version }, 200);
    },
  );
}
