import { createRoute, z } from '@hono/zod-openapi';
import { approvePlanLeased, versionsOf } from '../cli/plan-review-commands.js';
import type { Task } from '../core/task.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { IdParam, TaskComponent } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * The plan routes: `GET /plans`, `GET /plans/{id}` (the tree and the dependency graph, as
 * `taskgraph plan show --json` plus both shapes) and `POST /plans/{id}/approve` (as `taskgraph
 * plan approve`, through the same `approvePlanLeased`: the run waiting at the plan's gate resumes
 * in the server process).
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
