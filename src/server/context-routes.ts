import { createRoute, z } from '@hono/zod-openapi';
import { type ContextPreview, previewContext } from '../cli/context-commands.js';
import { addTaskLink, listTaskLinks, removeTaskLink } from '../cli/link-commands.js';
import { hasOverrideChanges } from '../cli/override-changes.js';
import { bundleManifestHash } from '../context/assemble.js';
import { TaskgraphError } from '../core/errors.js';
import { LINK_TYPES } from '../core/task.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { ContextBundleSchema, ContextItemSchema, ContextOverridesSchema, CutEntrySchema, IdParam, TaskLinkSchema } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * Links and context over HTTP, each through the CLI's own function:
 * - `POST /context/links`, `DELETE /context/links`, `GET /context/links/{taskId}` are
 *   `taskgraph link add|rm|ls` (`addTaskLink`, `removeTaskLink`, `listTaskLinks` of
 *   `cli/link-commands.ts`): a `requires` link is a plan edit, versioned and audited;
 * - `POST /tasks/{id}/context/preview` is `taskgraph context preview T` without flags: the bundle
 *   the task's `context` node would get, with its manifest; it changes nothing;
 * - `POST /tasks/{id}/context/approve` is `taskgraph context preview T --pin/--exclude/--unpin/
 *   --unexclude`: the changes are stored as the task's context overrides (`context_overrides`),
 *   which every later run honours, and the bundle they give comes back.
 * Both context routes go through `previewContext` of `cli/context-commands.ts`.
 */

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const planField = z.string().min(1).optional().openapi({ description: "plan id (default: the newest run's plan, else the newest plan)" });
const TaskIdParams = z.object({ id: IdParam.openapi({ param: { name: 'id', in: 'path' }, example: 'T1' }) });

/** `POST|DELETE /context/links` body: `taskgraph link add|rm FROM TYPE TO` as JSON. */
const LinkBody = z
  .object({
    plan: planField,
    from: IdParam.openapi({ example: 'T3' }),
    type: z.enum(LINK_TYPES),
    to: IdParam.openapi({ example: 'T1' }),
    by: z.string().min(1).max(200).optional().openapi({ description: 'who edits the plan (a requires link is a plan edit, audited); default: the server user' }),
  })
  .openapi('LinkRequest');

const LinkListSchema = z.object({ planId: z.string(), links: z.array(TaskLinkSchema) }).openapi('TaskLinks');

const entries = z.array(z.string().min(1).max(1000)).max(500).optional();
/** `POST /tasks/{id}/context/approve` body: the flags of `taskgraph context preview` as JSON. */
const ContextApproveBody = z
  .object({
    plan: planField,
    pin: entries.openapi({ description: 'task ids, repository paths, directories or globs to always give the task (each leaves excludes)' }),
    exclude: entries.openapi({ description: 'entries to never give the task (each leaves pins)' }),
    unpin: entries.openapi({ description: 'entries to drop from pins' }),
    unexclude: entries.openapi({ description: 'entries to drop from excludes' }),
    by: z.string().min(1).max(200).optional().openapi({ description: 'who changes the context (audited as context-changed); default: the server user' }),
  })
  .openapi('ContextApproveRequest');

/** The bundle's manifest: its hash (part of the `llm` node's cache key), each item without its text, and what was cut. */
const ManifestSchema = z
  .object({
    hash: z.string().openapi({ description: 'SHA-256 of the bundle (bundleManifestHash): any change to what the model reads changes it' }),
    budget: z.number(),
    tokens: z.number(),
    items: z.array(ContextItemSchema.omit({ text: true })),
    cut: z.array(CutEntrySchema),
  })
  .openapi('ContextManifest');

const ContextPreviewSchema = z
  .object({
    planId: z.string(),
    task: z.string(),
    overrides: ContextOverridesSchema,
    bundle: ContextBundleSchema,
    manifest: ManifestSchema,
    warnings: z.array(z.string()).openapi({ description: 'changes that did nothing, entries naming no task nor existing file (kept)' }),
  })
  .openapi('ContextPreview');

/** The answer of both context routes. */
function previewBody(taskId: string, p: ContextPreview) {
  const { bundle } = p;
  return {
    planId: p.planId,
    task: taskId,
    overrides: p.overrides,
    bundle,
    manifest: { hash: bundleManifestHash(bundle), budget: bundle.budget, tokens: bundle.tokens, items: bundle.items.map(({ text: _text, ...item }) => item), cut: bundle.cutEntries ?? [] },
    warnings: p.warnings,
  };
}

/** Registers the link and context routes on `app`. */
export function registerContextRoutes(app: ApiApp, deps: ApiDeps): void {
  const { project } = deps;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/context/links',
      summary: 'link two tasks of a plan (taskgraph link add FROM TYPE TO); idempotent; a requires link is a plan edit',
      request: { body: { content: { 'application/json': { schema: LinkBody } }, required: true } },
      responses: { 200: json(TaskLinkSchema, 'the link, with its plan'), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(await addTaskLink(project, b.from, b.type, b.to, b), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/context/links',
      summary: 'remove a link (taskgraph link rm FROM TYPE TO); a requires link also drops the dependency',
      request: { body: { content: { 'application/json': { schema: LinkBody } }, required: true } },
      responses: { 200: json(TaskLinkSchema, 'the link removed'), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(await removeTaskLink(project, b.from, b.type, b.to, b), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/context/links/{taskId}',
      summary: 'the links of a task, either end, sorted by (from, to, type) (taskgraph link ls TASK --json)',
      request: { params: z.object({ taskId: IdParam.openapi({ param: { name: 'taskId', in: 'path' }, example: 'T1' }) }), query: z.object({ plan: planField }) },
      responses: { 200: json(LinkListSchema, 'the links'), ...errorResponses(400, 401, 404) },
    }),
    async (c) => c.json(await listTaskLinks(project, c.req.valid('param').taskId, c.req.valid('query').plan), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tasks/{id}/context/preview',
      summary: "the bundle the task's context node would get now, with its manifest (taskgraph context preview T --json); changes nothing",
      request: { params: TaskIdParams, body: { content: { 'application/json': { schema: z.object({ plan: planField }).openapi('ContextPreviewRequest') } }, required: false } },
      responses: { 200: json(ContextPreviewSchema, 'the bundle and its manifest'), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return c.json(previewBody(id, await previewContext(project, id, { plan: c.req.valid('json')?.plan })), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tasks/{id}/context/approve',
      summary: "store pins and excludes as the task's context overrides, honoured by every later run (taskgraph context preview T --pin/--exclude/--unpin/--unexclude); answers with the bundle they give",
      request: { params: TaskIdParams, body: { content: { 'application/json': { schema: ContextApproveBody } }, required: true } },
      responses: { 200: json(ContextPreviewSchema, 'the overrides as stored now, and the bundle with its manifest'), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      if (!hasOverrideChanges(b)) {
        throw new TaskgraphError('CONFIG_INVALID', 'nothing to store: give pin, exclude, unpin or unexclude', { details: { path: 'body' }, hint: 'to only see the bundle, POST /tasks/{id}/context/preview' });
      }
      return c.json(previewBody(id, await previewContext(project, id, b)), 200);
    },
  );
}
