import { createRoute, z } from '@hono/zod-openapi';
import { explainNode, targetOfRun } from '../cli/forecast-commands.js';
import { TaskgraphError } from '../core/errors.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { IdParam } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * `GET /runs/{id}/why?node=` (issue 12 "Node detail": "why dirty"): whether a node would run
 * again in a new run of the same command, goal, plan or graph, and which ingredient of its cache
 * key changed, or that it is a cache hit. It is `taskgraph why RUN NODE` (`explainNode` of
 * `cli/forecast-commands.ts`, a forecast in a scratch worktree at the project's HEAD): read-only,
 * nothing reaches the project.
 */

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const RunIdParams = z.object({ id: IdParam.openapi({ param: { name: 'id', in: 'path' }, example: 'r-1a2b3c4d' }) });

/** A node's forecast (`engine/forecast.ts` NodeForecast). */
export const NodeForecastSchema = z
  .object({
    nodeId: z.string(),
    kind: z.string(),
    task: z.string().optional(),
    willRun: z.boolean(),
    certain: z.boolean().openapi({ description: 'false when it waits for a node that will run: it runs unless that node gives the same output again' }),
    reason: z.string().openapi({ description: 'one line: "cached", "config changed", "after T1/edit, which will run", ...' }),
    changed: z.array(z.string()).openapi({ description: 'changed cache-key ingredients, e.g. config, input:edit, extra:workspace (empty when cached or unknown)' }),
    key: z.string().optional(),
    estimate: z
      .object({ profile: z.string(), inputTokens: z.number(), outputTokens: z.number(), calls: z.number(), basis: z.string(), costUsd: z.number() })
      .optional()
      .openapi({ description: 'the model calls it would make, priced (USD)' }),
  })
  .openapi('NodeForecast');

/** `GET /runs/{id}/why?node=`. */
export const NodeWhySchema = z
  .object({
    runId: z.string(),
    label: z.string().openapi({ description: 'what is forecast, e.g. "a new run of plan p-1"' }),
    base: z.string().optional().openapi({ description: "the commit the forecast's scratch worktree was at (the project's HEAD)" }),
    forecast: NodeForecastSchema,
    lines: z.array(z.string()).openapi({ description: 'the explanation as `taskgraph why` prints it, one line each' }),
  })
  .openapi('NodeWhy');

/** Registers `GET /runs/{id}/why` on `app`. */
export function registerWhyRoutes(app: ApiApp, deps: ApiDeps): void {
  const { project } = deps;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}/why',
      summary: "why a node would run again in a new run of this run's goal, plan or graph, or that it is a cache hit (taskgraph why RUN NODE); read-only",
      request: { params: RunIdParams, query: z.object({ node: z.string().min(1).max(200).openapi({ description: 'the node id, e.g. T1/apply' }) }) },
      responses: { 200: json(NodeWhySchema, "the node's forecast and its explanation"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const run = await project.store.getRun(id);
      if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${id}"`, { hint: 'list runs with GET /runs' });
      const why = await explainNode(project, await targetOfRun(project, run), c.req.valid('query').node);
      return c.json({ runId: run.id, ...why } as never, 200);
    },
  );
}
