import { planningOrigin } from '../report/planning-section.js';
import { TaskgraphError } from '../core/errors.js';
import { newRunId } from '../engine/engine.js';
import { runSpend } from '../engine/run-spend.js';
import { renderTree, toJson } from '../planning/render.js';
import { PLAN_NODE } from './goal-graph.js';
import { type PlanningResult, runPlanning } from './plan-run.js';
import { createProgress } from './progress.js';
import { type CommonOptions, readGoal } from './run-common.js';
import { safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph plan GOAL`: plans only, saves the plan, prints the tree.
 *
 * It runs the engine on the goal's graph through {@link runPlanning} (`plan-run.ts`, shared with
 * `POST /plans`): one `decompose` node, `plan`, as a run with command `plan`, in a temporary
 * worktree at HEAD, with `planOnly` (the plan is saved, its task nodes are not added). So the planner's calls are metered and recorded like any run's,
 * and the `plan` node's cache key is exactly the one a `do` run of the same goal computes: `do`
 * then reuses this plan from the cache instead of asking the planner again, and is charged its
 * cost (`engine/run-spend.ts`). A second `plan` of the same goal and project state reuses it
 * too; `--replan` asks the planner again. The temporary worktree is removed afterwards, and its
 * branch too when planning succeeded (a failed or suspended plan run keeps its branch for
 * `taskgraph resume`).
 *
 * Output as documented: the header line, the tree and how to run it; `--json` prints the plan
 * (`{ id, goal, tasks, leaves, edges, meta }`).
 * @throws TaskgraphError the planner's failure (e.g. `PLAN_INVALID`, `PROVIDER_ERROR`), with the
 *   run that recorded its calls in the message
 */
export async function planCommand(
  goalArg: string | undefined,
  opts: CommonOptions & { prd?: string; maxDepth?: number; replan?: boolean; reuse?: boolean },
): Promise<number> {
  const goal = await readGoal(goalArg, opts.prd);
  return withProject(opts, async (project) => {
    const runId = newRunId();
    const progress = createProgress();
    let result: PlanningResult;
    try {
      result = await runPlanning(project, goal, { runId, maxDepth: opts.maxDepth, replan: opts.replan, reuse: opts.reuse, observers: [progress.observer] });
    } finally {
      progress.done();
    }
    const { status, reason } = result.summary;
    const { cachedAt } = result;
    const spend = await runSpend(project.store, runId);
    const cost = `${spend.nodes.calls} model call${spend.nodes.calls === 1 ? '' : 's'}, $${spend.nodes.costUsd.toFixed(4)}`;
    if (status !== 'succeeded') {
      const attempts = await project.store.listAttempts(runId, PLAN_NODE);
      const error = attempts.at(-1)?.error;
      if (status === 'suspended') {
        process.stderr.write(`plan run ${runId}: suspended (${reason ?? 'waiting'}); ${cost} so far\ncontinue: taskgraph resume ${runId}, raising the limit it names\n`);
        return 3;
      }
      throw new TaskgraphError(error?.code ?? 'NODE_FAILED', `${error?.message ?? reason ?? 'planning failed'}\n(run ${runId} recorded ${cost})`, {
        details: { runId, ...(error?.details ?? {}) },
        ...(error?.hint ? { hint: error.hint } : {}),
      });
    }
    const plan = result.plan!;
    const leaves = Array.isArray(plan.meta['leaves']) ? (plan.meta['leaves'] as string[]) : plan.tasks.filter((t) => t.atomic).map((t) => t.id);
    if (opts.json) {
      process.stdout.write(toJson({ id: plan.id, goal: plan.goal, tasks: plan.tasks } as never));
      return 0;
    }
    const origin = cachedAt === undefined ? await planningOrigin(project.store, (await project.store.getRun(runId))!) : undefined;
    const reused = origin?.kind === 'reuse' ? `; started from plan ${origin.from.planId} of run ${origin.from.runId} (${origin.mode === 'identical' ? 'the same goal' : `adapted, goal similarity ${origin.score.toFixed(2)}`}), saved ${origin.saved.inputTokens + origin.saved.outputTokens} tokens, $${origin.saved.costUsd.toFixed(4)}; --no-reuse plans from scratch` : '';
    const how = cachedAt !== undefined ? `reused: planned at ${cachedAt} for the same goal and project state, no model call` : `${cost}${reused}`;
    process.stdout.write(`plan ${plan.id} (${plan.tasks.length} tasks, ${leaves.length} to execute; ${how})\n`);
    process.stdout.write(`${safeText(renderTree(plan.tasks))}\n\n`);
    process.stdout.write(`execute it: taskgraph run ${plan.id}   (or taskgraph do with the same goal: it reuses this plan)\n`);
    process.stdout.write(`view it:    taskgraph graph ${plan.id} --format mermaid\n`);
    if (cachedAt !== undefined) process.stdout.write(`plan again: taskgraph plan --replan ...\n`);
    return 0;
  });
}
