import { createRoute, z } from '@hono/zod-openapi';
import { approvePlanLeased, versionsOf } from '../cli/plan-review-commands.js';
import { runPlanning } from '../cli/plan-run.js';
import { goalOf } from '../cli/run-common.js';
import { newRunId } from '../engine/engine.js';
import type { Task } from '../core/task.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { IdParam, TaskComponent } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * The plan routes: `GET /plans`, `GET /plans/{id}` (the tree and the dependency graph, as
 * `taskgraph plan show --json` plus both shapes), `POST /plans` (as `taskgraph plan [GOAL]
 * [--prd FILE]`, through the same `runPlanning`) and `POST /plans/{id}/approve` (as `taskgraph
 * plan approve`, through the same `approvePlanLeased`: the run waiting at the plan's gate resumes
 * in the server process).
 *
 * `POST /plans` answers 202 with the planning run's id as soon as the run is recorded, and the
 * planning goes on in the server: it usually takes model calls (minutes), and the plan's id is
 * only known once the planner has answered (it is a hash of the goal and the tasks). The client
 * follows `GET /runs/{runId}` (or its events); when the run has succeeded, `run.planId` names the
 * plan for `GET /plans/{id}`.
 */

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const PlanIdParams = z.object({ id: IdParam.openapi({ param: { name: 'id', in: 'path' }, example: 'p-1a2b3c4d5e' }) });

/** A plan in a listing. */
const PlanSummarySchema = z.object({ id: z.string(), goal: z.string(), createdAt: z.string(), tasks: z.number(), version: z.number(), approvedBy: z.string().nullable() }).openapi('PlanSummary');

/** One task of the plan tree with its subtasks. */
interface TreeNode {
  id: string;
  title: string;
  status: Task['status'];
  atomic: boolean;
  children: TreeNode[];
}
const TreeNodeSchema: z.ZodType<TreeNode> = z
  .lazy(() => z.object({ id: z.string(), title: z.string(), status: TaskComponent.shape.status.unwrap(), atomic: z.boolean(), children: z.array(TreeNodeSchema) }))
  .openapi('PlanTreeNode');

/** `GET /plans/{id}`. */
const PlanDetailSchema = z
  .object({
    id: z.string(),
    goal: z.string(),
    createdAt: z.string(),
    version: z.number(),
    by: z.string(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
    leaves: z.array(z.string()).openapi({ description: 'atomic task ids in execution order' }),
    tasks: z.array(TaskComponent),
    tree: z.array(TreeNodeSchema).openapi({ description: 'top-level tasks with their subtasks (parent links)' }),
    graph: z.object({ nodes: z.array(z.string()), edges: z.array(z.object({ from: z.string(), to: z.string() })) }).openapi({ description: 'the dependency DAG: an edge from a task to the task that requires it' }),
  })
  .openapi('PlanDetail');

const PlanApprovalSchema = z
  .object({ planId: z.string(), version: z.number(), approvedBy: z.string().nullable(), approvedAt: z.string().nullable(), resuming: z.string().nullable().openapi({ description: 'the run that waited at the plan gate and now resumes in the server' }), others: z.array(z.string()) })
  .openapi('PlanApproval');

/** `POST /plans`: `taskgraph plan` as JSON, the PRD as text instead of a file. */
const NewPlanBody = z
  .object({
    goal: z.string().min(1).max(200_000).optional().openapi({ description: 'what to plan; with prd, it comes before the PRD text' }),
    prd: z.string().min(1).max(1_000_000).optional().openapi({ description: 'a requirements document (Markdown or plain text) to plan' }),
    maxDepth: z.number().int().min(0).max(10).optional(),
    replan: z.boolean().optional().openapi({ description: 'ask the planner again instead of reusing the plan of the same goal and project state' }),
  })
  .superRefine((b, ctx) => {
    if (b.goal === undefined && b.prd === undefined) ctx.addIssue({ code: 'custom', path: ['goal'], message: 'give a goal, a prd, or both' });
  })
  .openapi('NewPlanRequest');

const PlanningSchema = z
  .object({ runId: z.string().openapi({ description: 'the planning run: follow GET /runs/{id}; run.planId names the plan once it succeeded' }), status: z.literal('planning') })
  .openapi('PlanningStarted');

/** The plan's tasks as a forest by `parent`, in plan order. Linear. */
export function planTree(tasks: readonly Task[]): TreeNode[] {
  const byId = new Map<string, TreeNode>(tasks.map((t) => [t.id, { id: t.id, title: t.title, status: t.status, atomic: t.atomic, children: [] }]));
  const roots: TreeNode[] = [];
  for (const t of tasks) {
    const node = byId.get(t.id)!;
    const parent = t.parent === undefined ? undefined : byId.get(t.parent);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/** Registers the plan routes on `app`. */
export function registerPlanRoutes(app: ApiApp, deps: ApiDeps): void {
  const { project } = deps;
  const store = project.store;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/plans',
      summary: 'saved plans, newest first',
      responses: { 200: json(z.array(PlanSummarySchema), 'plans'), ...errorResponses(401) },
    }),
    async (c) => {
      const plans = await store.listPlans();
      const rows = await Promise.all(
        plans.map(async (p) => {
          const v = (await store.listPlanVersions(p.id)).at(-1);
          return { id: p.id, goal: p.goal, createdAt: p.createdAt, tasks: p.tasks.length, version: v?.version ?? 1, approvedBy: v?.approvedBy ?? null };
        }),
      );
      return c.json(rows, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/plans/{id}',
      summary: 'a plan: its newest version, tasks, tree and dependency graph (taskgraph plan show --json)',
      request: { params: PlanIdParams },
      responses: { 200: json(PlanDetailSchema, 'the plan'), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const { planId, versions } = await versionsOf(store, c.req.valid('param').id);
      const plan = (await store.getPlan(planId))!;
      const v = versions.at(-1)!;
      const ids = new Set(plan.tasks.map((t) => t.id));
      const edges = plan.tasks.flatMap((t) => t.dependencies.filter((d) => ids.has(d)).map((d) => ({ from: d, to: t.id })));
      return c.json(
        {
          id: plan.id,
          goal: plan.goal,
          createdAt: plan.createdAt,
          version: v.version,
          by: v.by,
          approvedBy: v.approvedBy ?? null,
          approvedAt: v.approvedAt ?? null,
          leaves: v.leaves,
          tasks: plan.tasks,
          tree: planTree(plan.tasks),
          graph: { nodes: plan.tasks.map((t) => t.id), edges },
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/plans',
      summary: 'plan a goal or a PRD (taskgraph plan [GOAL] [--prd FILE]); answers with the planning run at once, the planning goes on in the server',
      request: { body: { content: { 'application/json': { schema: NewPlanBody } }, required: true } },
      responses: { 202: json(PlanningSchema, 'the planning run started'), ...errorResponses(400, 401, 500) },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const goal = goalOf(b.goal, b.prd === undefined ? undefined : { text: b.prd, name: 'body.prd' });
      const runId = newRunId();
      await deps.runs.launchRecorded(runId, async (signal, observer) => (await runPlanning(project, goal, { runId, maxDepth: b.maxDepth, replan: b.replan, observers: [observer], signal })).summary);
      return c.json({ runId, status: 'planning' as const }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/plans/{id}/approve',
      summary: "approve a plan's newest version (audited); the run waiting at its gate resumes in the server (taskgraph plan approve)",
      request: {
        params: PlanIdParams,
        body: { content: { 'application/json': { schema: z.object({ by: z.string().min(1).max(200).optional(), resume: z.boolean().default(true) }).openapi('PlanApproveRequest') } }, required: false },
      },
      responses: { 200: json(PlanApprovalSchema, 'the plan is approved'), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const body = c.req.valid('json') ?? { resume: true };
      const by = body.by ?? process.env['USER'] ?? 'unknown';
      const { planId, version, lease, others } = await approvePlanLeased(project, c.req.valid('param').id, by, body.resume !== false);
      if (lease) deps.runs.resume(lease.run, lease.holder, 'approve-plan');
      return c.json({ planId, version: version.version, approvedBy: version.approvedBy ?? null, approvedAt: version.approvedAt ?? null, resuming: lease?.run.id ?? null, others }, 200);
    },
  );
}
