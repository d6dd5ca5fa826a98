import { createRoute, z } from '@hono/zod-openapi';
import { isInputRef, nodeDependencies, pickPath } from '../core/graph.js';
import { TaskgraphError } from '../core/errors.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { AttemptSummarySchema, IdParam } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * Read-only routes the web UI draws a run with (issue 12 "Run page", "Node detail"):
 * `GET /runs/{id}/graph` (the run's graph as executed: nodes with kind, task and dependencies,
 * including nodes added by expansions) and `GET /runs/{id}/node?node=` (one node's spec, the
 * outputs of the nodes it reads, and its attempts with their payloads: an `llm` node's answer,
 * a `context` node's bundle with its manifest, an `apply` node's diff). Both read the store only.
 */

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const RunIdParams = z.object({ id: IdParam.openapi({ param: { name: 'id', in: 'path' }, example: 'r-1a2b3c4d' }) });

/** A node of a run's graph as the UI draws it. */
export const GraphNodeSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    title: z.string().optional(),
    task: z.string().optional(),
    deps: z.array(z.string()).openapi({ description: 'node ids this node waits for (input references and needs)' }),
  })
  .openapi('GraphNode');

/** `GET /runs/{id}/graph`. */
export const RunGraphSchema = z
  .object({ runId: z.string(), nodes: z.array(GraphNodeSchema), edges: z.array(z.object({ from: z.string(), to: z.string() })) })
  .openapi('RunGraph');

/** A full attempt (with its payload) as `GET /runs/{id}/node` returns it. */
export const AttemptDetailSchema = AttemptSummarySchema.omit({ runId: true, nodeId: true })
  .extend({ output: z.unknown().optional(), cacheKey: z.string() })
  .openapi('AttemptDetail');

/** `GET /runs/{id}/node?node=`. */
export const NodeDetailSchema = z
  .object({
    runId: z.string(),
    node: z.object({ id: z.string(), kind: z.string(), title: z.string().optional(), task: z.string().optional(), config: z.record(z.string(), z.unknown()), inputs: z.record(z.string(), z.unknown()), needs: z.array(z.string()) }),
    status: z.string(),
    resolvedInputs: z.record(z.string(), z.unknown()).openapi({ description: "input name -> the referenced node's latest successful output at the reference's path (null before it ran), or the literal value" }),
    attempts: z.array(AttemptDetailSchema),
  })
  .openapi('NodeDetail');

/** Registers the graph and node-detail routes on `app`. */
export function registerRunGraphRoutes(app: ApiApp, deps: ApiDeps): void {
  const store = deps.project.store;
  const loadRun = async (id: string) => {
    const run = await store.getRun(id);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${id}"`, { hint: 'list runs with GET /runs' });
    return run;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}/graph',
      summary: "the run's graph as executed: nodes (kind, task, dependencies) and edges, expansions included",
      request: { params: RunIdParams },
      responses: { 200: json(RunGraphSchema, 'the graph'), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const run = await loadRun(c.req.valid('param').id);
      const nodes = run.graph.nodes.map((n) => ({
        id: n.id,
        kind: n.kind,
        ...(n.title !== undefined ? { title: n.title } : {}),
        ...(n.task !== undefined ? { task: n.task } : {}),
        deps: nodeDependencies({ inputs: n.inputs ?? {}, needs: n.needs ?? [] }),
      }));
      const edges = nodes.flatMap((n) => n.deps.map((from) => ({ from, to: n.id })));
      for (const e of run.graph.edges ?? []) if (!edges.some((x) => x.from === e.from && x.to === e.to)) edges.push({ from: e.from, to: e.to });
      return c.json({ runId: run.id, nodes, edges }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/runs/{id}/node',
      summary: "one node of a run: its spec, the outputs it reads, and its attempts with their payloads (answer, context bundle, diff)",
      request: { params: RunIdParams, query: z.object({ node: z.string().min(1).max(200).openapi({ description: 'the node id, e.g. T1/apply' }) }) },
      responses: { 200: json(NodeDetailSchema, 'the node'), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const run = await loadRun(c.req.valid('param').id);
      const nodeId = c.req.valid('query').node;
      const spec = run.graph.nodes.find((n) => n.id === nodeId);
      if (!spec) throw new TaskgraphError('NOT_FOUND', `run ${run.id} has no node "${nodeId}"`, { hint: 'list its nodes with GET /runs/{id}/graph' });
      const [attempts, nodes] = await Promise.all([store.listAttempts(run.id, nodeId), store.listRunNodes(run.id)]);
      const resolvedInputs: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(spec.inputs ?? {})) {
        if (isInputRef(value)) {
          const upstream = (await store.listAttempts(run.id, value.$ref)).filter((a) => a.status === 'succeeded' || a.status === 'cached').at(-1);
          resolvedInputs[name] = upstream?.output === undefined ? null : (pickPath(upstream.output, value.path) ?? null);
        } else resolvedInputs[name] = value;
      }
      return c.json(
        {
          runId: run.id,
          node: { id: spec.id, kind: spec.kind, ...(spec.title !== undefined ? { title: spec.title } : {}), ...(spec.task !== undefined ? { task: spec.task } : {}), config: spec.config ?? {}, inputs: spec.inputs ?? {}, needs: spec.needs ?? [] },
          status: nodes.find((n) => n.nodeId === nodeId)?.status ?? 'pending',
          resolvedInputs,
          attempts: attempts.map((a) => ({
            seq: a.seq,
            number: a.number,
            status: a.status,
            ...(a.output !== undefined ? { output: a.output } : {}),
            ...(a.error ? { error: a.error } : {}),
            ...(a.suspendReason !== undefined ? { suspendReason: a.suspendReason } : {}),
            usage: a.usage,
            startedAt: a.startedAt,
            ...(a.finishedAt !== undefined ? { finishedAt: a.finishedAt } : {}),
            ...(a.durationMs !== undefined ? { durationMs: a.durationMs } : {}),
            cacheKey: a.cacheKey,
          })),
        } as never,
        200,
      );
    },
  );
}
