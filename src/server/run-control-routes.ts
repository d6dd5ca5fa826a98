import { createRoute, z } from '@hono/zod-openapi';
import { doGraph } from '../cli/do-command.js';
import { PLAN_NODE } from '../cli/goal-graph.js';
import { isGitRepo, settleCachedRerun } from '../cli/run-common.js';
import { openProject } from '../cli/wiring.js';
import { BudgetSchema } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { newRunId } from '../engine/engine.js';
import { createRunWorkspace } from '../workspace/git-workspace.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { errorResponses } from './http-errors.js';

/**
 * `POST /run`: starts `taskgraph do` for a goal, or for a saved plan, in the server process and
 * answers with the run id at once (202); the run goes on in the background (`in-process-runs.ts`).
 * The graph is `do`'s own (`doGraph` of `cli/do-command.ts`); each run gets a project handle of
 * its own, so its options (`approvePlan`) never leak into another request's run.
 */

const StartRunBody = z
  .object({
    goal: z.string().min(1).max(200_000).optional().openapi({ description: 'what to do; or plan' }),
    plan: z.string().min(1).optional().openapi({ description: 'run this saved plan instead of planning a goal' }),
    approvePlan: z.boolean().optional().openapi({ description: 'wait after planning until the plan is approved (POST /plans/{id}/approve)' }),
    maxDepth: z.number().int().min(0).max(10).optional(),
    replan: z.boolean().optional(),
    reuse: z.boolean().optional().openapi({ description: 'false: plan from scratch, not from an earlier plan of a similar goal (planner.reuse)' }),
    baseline: z.enum(['strict', 'known-failures', 'off']).optional(),
    budget: z
      .object({ maxTokens: z.number().int().positive().optional(), maxCostUsd: z.number().positive().optional() })
      .strict()
      .optional()
      .openapi({ description: "the run's budget over taskgraph.yaml policy.budget (as do --max-tokens / --max-cost): the run suspends when it is reached" }),
  })
  .superRefine((b, ctx) => {
    if ((b.goal === undefined) === (b.plan === undefined)) ctx.addIssue({ code: 'custom', path: ['goal'], message: 'give exactly one of goal or plan' });
    if (b.plan !== undefined && b.replan) ctx.addIssue({ code: 'custom', path: ['replan'], message: 'replan applies to a goal, not a saved plan' });
  })
  .openapi('StartRunRequest');

const StartedSchema = z.object({ runId: z.string(), status: z.literal('started') }).openapi('RunStarted');

/** Registers `POST /run` on `app`. */
export function registerRunControlRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/run',
      summary: 'start `do` for a goal or a saved plan; answers with the run id at once, the run goes on in the server (watch GET /runs/{id})',
      request: { body: { content: { 'application/json': { schema: StartRunBody } }, required: true } },
      responses: { 202: { description: 'the run started', content: { 'application/json': { schema: StartedSchema } } }, ...errorResponses(400, 401, 404, 500) },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const dir = deps.project.dir;
      if (!(await isGitRepo(dir))) {
        throw new TaskgraphError('GIT_ERROR', `${dir} is not a git repository with a commit`, { hint: 'run `git init && git add -A && git commit -m init` in the project first' });
      }
      const project = await openProject(dir, deps.project.session !== undefined ? { session: deps.project.session } : {});
      let launched = false;
      try {
        const { graph, planId, runGoal, baseline } = await doGraph(project, b.goal, b);
        const runId = newRunId();
        const budget = b.budget && Object.keys(b.budget).length > 0 ? { budget: BudgetSchema.parse({ ...project.config.policy.budget, ...b.budget }) } : {};
        const workspace = await createRunWorkspace({ projectDir: dir, runId, worktreeDir: project.config.worktreeDir });
        launched = true;
        // the answer waits until the run is recorded (a GET right after it finds the run), or until the session failed before that
        await deps.runs.launchRecorded(runId, async (signal, observer) => {
          try {
            const summary = await project
              .engine({ signal, ...budget, observers: [observer], ...(b.replan ? { force: [PLAN_NODE] } : {}) })
              .start({ graph, command: 'do', options: { goal: runGoal, baseline, ...(planId ? { plan: planId } : {}) }, runId, workspace, ...(planId ? { planId } : {}) });
            await settleCachedRerun(project, summary);
            return summary;
          } finally {
            await project.close();
          }
        });
        return c.json({ runId, status: 'started' as const }, 202);
      } finally {
        if (!launched) await project.close();
      }
    },
  );
}
