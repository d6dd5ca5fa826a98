import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { ProjectHandle } from '../cli/wiring.js';
import type { ApiDeps } from './api-deps.js';
import { registerAuditRoutes } from './audit-routes.js';
import { bearerOf, tokenMatches } from './auth-token.js';
import { registerContextRoutes } from './context-routes.js';
import { registerLibraryRoutes } from './library-routes.js';
import { registerDecisionRoutes } from './decision-routes.js';
import { errorResponse, errorResponses, type ErrorBody, validationHook } from './http-errors.js';
import { runEventsRoute } from './run-events.js';
import { InProcessRuns } from './in-process-runs.js';
import { registerPlanRoutes } from './plan-routes.js';
import { registerRunControlRoutes } from './run-control-routes.js';
import { registerRunGraphRoutes } from './run-graph-routes.js';
import { registerRunRoutes } from './runs-routes.js';
import { defaultUiDir, isUiPath, serveUiFile } from './static-ui.js';
import { registerTaskRoutes } from './task-routes.js';
import { registerWhyRoutes } from './why-routes.js';

/**
 * The HTTP API of `taskgraph serve` (issue 12), wired in one place: the bearer-token check in
 * front of every route but `/openapi.json` and the web UI's static files (`static-ui.ts`), the error handling (`http-errors.ts`), each route
 * module, and the OpenAPI 3.1 document generated from the routes' zod schemas. No CORS
 * middleware: browsers on other origins get no CORS headers, so they cannot read the answers.
 */

/** Where the OpenAPI document is served (no token needed). */
export const OPENAPI_PATH = '/openapi.json';

/** The API app and the run sessions it carries out. */
export interface ApiServerApp {
  app: OpenAPIHono;
  runs: InProcessRuns;
}

/**
 * Builds the API app for an open project.
 * @param token the bearer token every route but {@link OPENAPI_PATH} and the UI's static files requires
 * @param options.uiDir the built web UI (default: `static-ui.ts` {@link defaultUiDir})
 */
export function createApiApp(project: ProjectHandle, token: string, options: { uiDir?: string } = {}): ApiServerApp {
  const uiDir = options.uiDir ?? defaultUiDir();
  const app = new OpenAPIHono({ defaultHook: validationHook as never });
  const runs = new InProcessRuns(project);
  const deps: ApiDeps = { project, runs };
  app.onError(errorResponse);
  app.notFound((c) => c.json({ code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}`, hint: `the routes are listed in ${OPENAPI_PATH}` } satisfies ErrorBody, 404));
  app.use('*', async (c, next) => {
    if (c.req.path === OPENAPI_PATH && c.req.method === 'GET') return next();
    if (isUiPath(c.req.method, c.req.path)) return serveUiFile(c, uiDir); // static files, no token (no API route lives there)
    const presented = bearerOf(c.req.header('authorization'));
    if (presented === undefined || !tokenMatches(presented, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="taskgraph"');
      return c.json({ code: 'UNAUTHORIZED', message: 'a bearer token is required: Authorization: Bearer <token>', hint: 'the token is printed by `taskgraph serve` and kept in ~/.config/taskgraph/token' } satisfies ErrorBody, 401);
    }
    return next();
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });

  registerRunRoutes(app, deps);
  registerRunControlRoutes(app, deps);
  registerRunGraphRoutes(app, deps);
  registerWhyRoutes(app, deps);
  registerDecisionRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerPlanRoutes(app, deps);
  registerContextRoutes(app, deps);
  registerLibraryRoutes(app, deps);
  // live events (server-sent events; not a JSON route, so its document entry is written here)
  runEventsRoute(app, { store: project.store });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/runs/{id}/events',
    summary: "the run's events as server-sent events, in order (id = the event's seq); resume with the Last-Event-ID header",
    security: [{ bearer: [] }],
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: 'text/event-stream: one event per stored run event (event = type, data = the event as JSON) until the run settles' },
      204: { description: 'the run has settled and has no event after Last-Event-ID' },
      ...errorResponses(400, 401, 404),
    },
  });

  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'taskgraph', version: '0.1.0', description: 'The HTTP API of `taskgraph serve`: runs, tasks, plans, links, context, approvals, answers and the audit log. Every route needs `Authorization: Bearer <token>` except this document.' },
    security: [{ bearer: [] }],
  });
  return { app, runs };
}
