import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ProjectHandle } from '../cli/wiring.js';
import type { InProcessRuns } from './in-process-runs.js';

/** What every route module of the HTTP API is given: the open project and the server's own run sessions. */
export interface ApiDeps {
  project: ProjectHandle;
  runs: InProcessRuns;
}

/** The API app type the route modules register on. */
export type ApiApp = OpenAPIHono;
