import { createRoute, z } from '@hono/zod-openapi';
import { TaskgraphError } from '../core/errors.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { AuditEntrySchema } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/** `GET /audit[?run=R]`: the audit log, oldest first (as `taskgraph audit --json`). */
export function registerAuditRoutes(app: ApiApp, deps: ApiDeps): void {
  const store = deps.project.store;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      summary: 'the audit log, oldest first: who decided what, when, with the risk and the reason (taskgraph audit --json)',
      request: { query: z.object({ run: z.string().min(1).optional() }) },
      responses: { 200: { description: 'audit entries', content: { 'application/json': { schema: z.array(AuditEntrySchema) } } }, ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { run } = c.req.valid('query');
      if (run !== undefined && !(await store.getRun(run))) throw new TaskgraphError('NOT_FOUND', `no run ${run}`, { details: { runId: run }, hint: 'list runs with GET /runs' });
      return c.json((await store.listAudit(run)) as never, 200);
    },
  );
}
