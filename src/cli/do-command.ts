import { TaskgraphError } from '../core/errors.js';
import type { GraphSpecInput } from '../core/graph.js';
import { newRunId } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { baselineRoots, planGraph } from '../planning/plan-graph.js';
import { gatedPlanGraph } from './gated-plan-graph.js';
import { createRunWorkspace } from '../workspace/git-workspace.js';
import { baselineModeOf } from './baseline-outcome.js';
import type { BudgetFlags } from './budget-options.js';
import { goalGraph, PLAN_NODE } from './goal-graph.js';
import { warnIfConfigUncommitted } from './config-tracked.js';
import { choosePlan } from './plan-choice.js';
import { createProgress } from './progress.js';
import { budgetOf, type CommonOptions, endSession, isGitRepo, settleCachedRerun, readGoal } from './run-common.js';
import { type ProjectHandle, withProject } from './wiring.js';

/** Options of `taskgraph do`. */
export type DoOptions = CommonOptions &
  BudgetFlags & {
    prd?: string;
    maxDepth?: number;
    concurrency?: number;
    /** tasks open at once, each in a worktree of its own (`--task-concurrency`) */
    taskConcurrency?: number;
    /** ask the planner again even when a saved plan for the same goal and project state exists */
    replan?: boolean;
    /** false (`--no-reuse`): plan from scratch, not from an earlier plan of a similar goal */
    reuse?: boolean;
    /** run this saved plan instead of planning a goal */
    plan?: string;
    /** how the base commit is treated: `strict`, `known-failures` or `off` (default `policy.baseline`) */
    baseline?: string;
    /** forecast the run instead of running it (`engine/forecast.ts`) */
    dryRun?: boolean;
    /** suspend after planning until the plan is approved (`policy.approvePlan`; `nodes/plan-approval.ts`) */
    approvePlan?: boolean;
  };

/**
 * `taskgraph do GOAL`: plan (the `decompose` node `plan`) and carry out every task on a new branch.
 * When a plan for the same goal and project state was saved before (by `taskgraph plan` or an
 * earlier `do`), the `plan` node is a cache hit: that plan runs, with no planner call, and the
 * command says so on stderr; `--replan` asks the planner again. `--plan ID` runs a given saved
 * plan (like `taskgraph run ID`, as a `do` run). The planning cost of a plan made by `taskgraph
 * plan` is charged to the first run that executes it (`engine/run-spend.ts`). The `plan` node
 * (and, with `--plan`, every task's first node) waits for the root nodes `setup` and `baseline`
 * ({@link baselineRoots}), so a red base commit stops the run before any model call
 * (`--baseline`, default `policy.baseline`, kept with the run). A run in which nothing ran and
 * whose result an earlier run's branch holds keeps no branch or worktree of its own
 * (`cached-rerun.ts`). An uncommitted taskgraph.yaml is one warning line (`config-tracked.ts`).
 * With `--approve-plan` (or `policy.approvePlan`) the run waits after planning, before any task
 * runs, at the `approve-plan` node until `taskgraph plan approve PLAN` (`nodes/plan-approval.ts`).
 * @throws TaskgraphError GIT_ERROR outside a git repository with a commit; CONFIG_INVALID for a
 *   goal together with `--plan`, or `--plan` with `--replan`; NOT_FOUND for an unknown plan id
 */
export async function doCommand(goalArg: string | undefined, opts: DoOptions): Promise<number> {
  if (opts.plan !== undefined && (goalArg !== undefined || opts.prd !== undefined || opts.replan)) {
    throw new TaskgraphError('CONFIG_INVALID', `--plan ${opts.plan} runs a saved plan: it takes no goal, --prd or --replan`, {
      hint: 'either `taskgraph do --plan ID` or `taskgraph do "<goal>"` (add --replan to plan it again)',
    });
  }
  const goal = opts.plan === undefined ? await readGoal(goalArg, opts.prd) : undefined;
  return withProject(opts, async (project) => {
    if (!(await isGitRepo(project.dir))) {
      throw new TaskgraphError('GIT_ERROR', `${project.dir} is not a git repository with a commit`, {
        hint: 'run `git init && git add -A && git commit -m init` first: taskgraph works on a branch and never touches your checkout',
      });
    }
    await warnIfConfigUncommitted(project.dir);
    const { graph, planId, runGoal, baseline } = await doGraph(project, goal, opts);
    if (planId !== undefined) {
      const plan = (await project.store.getPlan(planId))!;
      process.stderr.write(`running saved plan ${plan.id} (saved ${plan.createdAt}): ${plan.tasks.length} tasks, no planner call\n`);
    }
    if (opts.dryRun) {
      const { forecastTarget, printForecast } = await import('./forecast-commands.js');
      const label = planId ? `a new \`do\` of plan ${planId}` : 'a new `do` of this goal';
      return printForecast(await forecastTarget(project, { graph, ...(planId ? { planId } : {}), label, worktree: true, ...(opts.taskConcurrency ? { taskConcurrency: opts.taskConcurrency } : {}) }, opts.replan ? [PLAN_NODE] : []), opts.json);
    }
    const runId = newRunId();
    const workspace = await createRunWorkspace({ projectDir: project.dir, runId, worktreeDir: project.config.worktreeDir });
    const progress = createProgress();
    try {
      const summary = await project
        .engine({
          observers: [progress.observer, reusedPlanNotice()],
          ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
          ...(opts.taskConcurrency ? { taskConcurrency: opts.taskConcurrency } : {}),
          ...(opts.replan ? { force: [PLAN_NODE] } : {}),
          ...budgetOf(opts, project),
        })
        .start({ graph, command: 'do', options: { goal: runGoal, baseline, ...(planId ? { plan: planId } : {}) }, runId, workspace, ...(planId ? { planId } : {}) });
      progress.done();
      await settleCachedRerun(project, summary);
      return await endSession(project, summary, opts);
    } finally {
      progress.done();
    }
  });
}

/** The graph a `do` run executes, and what is kept with the run. */
export interface DoGraph {
  graph: GraphSpecInput;
  /** the saved plan run (`--plan`) */
  planId?: string;
  /** the goal (of the plan, with `--plan`) */
  runGoal: string;
  /** the baseline mode kept with the run */
  baseline: string;
}

/**
 * The graph of a `do` run: with `opts.plan`, the saved plan's tasks (behind the plan gate under
 * `approvePlan`); else the `setup`/`baseline` roots and the `plan` node that plans `goal`.
 * `taskgraph do` and `POST /run` both build their graph here. Sets `policy.approvePlan` on the
 * project's config when `opts.approvePlan`.
 * @param goal the goal (ignored with `opts.plan`)
 * @throws TaskgraphError NOT_FOUND for an unknown plan id; CONFIG_INVALID for a bad baseline mode
 */
export async function doGraph(project: ProjectHandle, goal: string | undefined, opts: Pick<DoOptions, 'plan' | 'approvePlan' | 'baseline' | 'maxDepth' | 'replan' | 'reuse'>): Promise<DoGraph> {
  if (opts.approvePlan) project.config.policy.approvePlan = true; // the plan node expands into the approval gate
  const baseline = baselineModeOf(opts.baseline, project);
  if (opts.plan !== undefined) {
    const plan = (await project.store.getPlan(await choosePlan(project.store, opts.plan)))!;
    const graph = project.config.policy.approvePlan ? gatedPlanGraph(plan.id, plan.goal, { config: project.config, baseline, worktree: true }) : planGraph(plan, { config: project.config, baseline, worktree: true });
    return { graph, planId: plan.id, runGoal: plan.goal, baseline };
  }
  // the roots come first and the plan node waits for them (`needs` is not part of its cache key)
  const roots = baselineRoots({ config: project.config, baseline, worktree: true });
  const goalOnly = goalGraph(goal!, { id: 'do', maxDepth: opts.maxDepth, reuse: opts.reuse !== false && !opts.replan });
  const graph = { ...goalOnly, nodes: [...roots.nodes, ...goalOnly.nodes.map((n) => (n.id === PLAN_NODE ? { ...n, needs: [...(n.needs ?? []), ...roots.after] } : n))] };
  return { graph, runGoal: goal!, baseline };
}

/**
 * An observer that says (on stderr) when the `plan` node was served from the cache: the saved plan
 * for the same goal and project state runs, and no planner call is made.
 */
function reusedPlanNotice(): (event: EngineEvent) => void {
  let planId: string | undefined;
  return (event) => {
    if (event.type === 'graph-expand' && event.by === PLAN_NODE && event.planId) planId = event.planId;
    if (event.type === 'node-finish' && event.nodeId === PLAN_NODE && event.status === 'cached') {
      process.stderr.write(
        `reusing plan ${planId ?? '(saved)'} planned at ${event.cachedAt ?? 'an earlier run'} for the same goal and project state (no planner call); --replan plans again\n`,
      );
    }
  };
}
