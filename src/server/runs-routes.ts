import { createRoute, z } from '@hono/zod-openapi';
import { loadRunStatus, runStatusJson, runViews } from '../cli/listing.js';
import { leaseRun } from '../cli/resume-command.js';
import { TaskgraphError } from '../core/errors.js';
import { holderState } from '../engine/run-lease.js';
import { runSpend } from '../engine/run-spend.js';
import { buildRunReport } from '../report/report.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { IdParam, RunDetailSchema, RunSchema } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * The run routes: `GET /runs`, `GET /runs/{id}` (read like `taskgraph runs|status|report`), and
 * `POST /runs/{id}/resume|cancel` (sessions carried out in the server process, `in-process-runs.ts`).
 */

const RunIdParams = z.object({ id: IdParam.openapi({ param: { name: 'id', in: 'path' }, example: 'r-1a2b3c4d' }) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A run in `GET /runs`: the run plus what it has spent so far (tokens in + out, USD, active ms), for the UI's runs list. */
const RunListItemSchema = RunSchema.extend({
  spent: z.object({ tokens: z.number(), costUsd: z.number(), activeMs: z.number() }),
}).openapi('RunListItem');

/** `POST /runs/{id}/resume|cancel` answer. */
const RunActionSchema = z.object({ runId: z.string(), status: z.enum(['resuming', 'cancelling']) }).openapi('RunAction');

/** Registers the run routes on `app`. */
export function registerRunRoutes(app: ApiApp, deps: ApiDeps): void {
  const store = deps.project.store;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs',
      summary: 'the newest runs, each with its status as it is now (taskgraph runs --json)',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20) }) },
      responses: { 200: json(z.array(RunListItemSchema), 'runs, newest first, each with what it has spent'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const runs = await runViews(store, c.req.valid('query').limit);
      const withSpend = await Promise.all(
        runs.map(async (r) => {
          const { total, activeMs } = await runSpend(store, r.id);
          return { ...r, spent: { tokens: total.inputTokens + total.outputTokens, costUsd: total.costUsd, activeMs } };
        }),
      );
      return c.json(withSpend as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}',
      summary: 'a run: its nodes, tasks, attempts, usage and the Markdown report (taskgraph status RUN --json, report RUN --print)',
      request: { params: RunIdParams },
      responses: { 200: json(RunDetailSchema, 'the run'), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const run = await store.getRun(id);
      if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${id}"`, { hint: 'list runs with GET /runs' });
      const loaded = await loadRunStatus(store, run, Date.now());
      const [spend, report] = await Promise.all([runSpend(store, id), buildRunReport(store, id)]);
      const usage = { nodes: spend.nodes, total: spend.total, activeMs: spend.activeMs, ...(spend.planning ? { planning: spend.planning } : {}) };
      return c.json({ ...runStatusJson(loaded), attempts: loaded.attempts, usage, report } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/{id}/resume',
      summary: 'continue a run that was killed, failed or suspended, in the server process (taskgraph resume RUN)',
      request: { params: RunIdParams },
      responses: { 202: json(RunActionSchema, 'the session started; watch GET /runs/{id}'), ...errorResponses(401, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const lease = await leaseRun(deps.project, id); // RUN_LOCKED (409) while a live process holds it
      if (lease.run.status === 'succeeded') {
        await lease.holder.release();
        throw new TaskgraphError('RUN_STATE', `run ${id} already succeeded; nothing to resume`, { hint: 'start a new run with POST /run' });
      }
      deps.runs.resume(lease.run, lease.holder, 'resume');
      return c.json({ runId: id, status: 'resuming' as const }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/{id}/cancel',
      summary: 'stop a run this server is carrying out (it is recorded interrupted; resume it later)',
      request: { params: RunIdParams },
      responses: { 202: json(RunActionSchema, 'the run is being stopped'), ...errorResponses(401, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await store.getRun(id))) throw new TaskgraphError('NOT_FOUND', `no run "${id}"`, { hint: 'list runs with GET /runs' });
      if (deps.runs.cancel(id)) return c.json({ runId: id, status: 'cancelling' as const }, 202);
      const lease = await store.getRunLease(id);
      if (lease && holderState(lease, Date.now()) === 'live') {
        throw new TaskgraphError('RUN_LOCKED', `run ${id} is carried out by process ${lease.pid} on ${lease.host}, not by this server`, {
          details: { runId: id, pid: lease.pid, host: lease.host, acquiredAt: lease.acquiredAt, heartbeatAt: lease.heartbeatAt },
          hint: `stop it where it runs (Ctrl-C, or kill -INT ${lease.pid} on ${lease.host})`,
        });
      }
      throw new TaskgraphError('RUN_STATE', `run ${id} is not running`, { hint: 'nothing to cancel; see GET /runs/{id}' });
    },
  );
}
