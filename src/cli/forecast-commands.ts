import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpecInput } from '../core/graph.js';
import { type Forecast, forecastRun, type NodeForecast } from '../engine/forecast.js';
import { planGraph } from '../planning/plan-graph.js';
import { goalGraph } from './goal-graph.js';
import type { RunRecord } from '../store/store.js';
import { createScratchWorktree } from '../workspace/scratch-worktree.js';
import { type CommonOptions, isGitRepo, loadGraphFile } from './run-common.js';
import { type ProjectHandle, withProject } from './wiring.js';
import { safeJson, safeText } from './safe-text.js';

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** The run a forecast is about: the graph it starts with, its plan, and whether it gets a worktree. */
export interface ForecastTarget {
  graph: GraphSpecInput;
  planId?: string;
  /** one line for people: what is forecast */
  label: string;
  /** false for `run FILE --no-worktree` */
  worktree: boolean;
  /** tasks the run would keep open at once (`--task-concurrency`); default `policy.taskConcurrency` */
  taskConcurrency?: number;
}

/** The graph a new run of `run` would start with: the same command with the same goal, plan or file. */
export async function targetOfRun(project: ProjectHandle, run: RunRecord): Promise<ForecastTarget> {
  if (run.command === 'do' && typeof run.options['goal'] === 'string') {
    const plan = run.graph.nodes.find((n) => n.id === 'plan' && n.kind === 'decompose');
    const maxDepth = plan?.config['maxDepth'];
    return { graph: goalGraph(run.options['goal'], { id: 'do', ...(typeof maxDepth === 'number' ? { maxDepth } : {}) }), label: `a new \`do\` of run ${run.id}'s goal`, worktree: true };
  }
  const target = typeof run.options['target'] === 'string' ? run.options['target'] : undefined;
  const plan = run.planId && target === run.planId ? await project.store.getPlan(run.planId) : undefined;
  if (plan) return { graph: planGraph(plan, { config: project.config }), planId: plan.id, label: `a new run of plan ${plan.id}`, worktree: !!run.worktree };
  return { graph: run.graph, ...(run.planId ? { planId: run.planId } : {}), label: `a new run of run ${run.id}'s graph`, worktree: !!run.worktree };
}

/**
 * Resolves what to forecast: a graph file, a saved plan id or a run id (a new run of the same
 * command, goal, plan or graph).
 * @throws TaskgraphError NOT_FOUND when `target` is none of them
 */
export async function resolveForecastTarget(project: ProjectHandle, target: string): Promise<ForecastTarget> {
  const file = resolve(target);
  if (existsSync(file)) return { graph: await loadGraphFile(file), label: `a new run of ${target}`, worktree: true };
  const plan = await project.store.getPlan(target);
  if (plan) return { graph: planGraph(plan, { config: project.config }), planId: plan.id, label: `a new run of plan ${plan.id}`, worktree: true };
  const run = await project.store.getRun(target);
  if (run) return targetOfRun(project, run);
  throw new TaskgraphError('NOT_FOUND', `"${target}" is not a graph file, plan id or run id`, { hint: 'list runs with `taskgraph runs`, plans with `taskgraph plan`' });
}

/**
 * Forecasts a new run of `target` started now: in a scratch worktree at the project's HEAD (what
 * a new run's worktree would hold), never the checkout.
 * @param force node ids the run would force (`--force`)
 */
export async function forecastTarget(project: ProjectHandle, target: ForecastTarget, force: readonly string[] = []): Promise<Forecast & { base?: string; label: string }> {
  const scratch = target.worktree && (await isGitRepo(project.dir)) ? await createScratchWorktree(project.dir, 'HEAD', project.config.worktreeDir) : undefined;
  try {
    const forecast = await forecastRun({
      store: project.store,
      executors: project.executors,
      scripts: project.scripts,
      prompts: project.prompts,
      projectDir: project.dir,
      config: project.config,
      graph: target.graph,
      ...(target.planId ? { planId: target.planId } : {}),
      ...(scratch ? { workspace: scratch.workspace } : {}),
      force,
      ...(target.taskConcurrency !== undefined ? { taskConcurrency: target.taskConcurrency } : {}),
    });
    return { ...forecast, label: target.label, ...(scratch ? { base: scratch.commit } : {}) };
  } finally {
    await scratch?.dispose();
  }
}

/** Prints a forecast (or its JSON): what would run and why, cached and dirty counts, estimated cost. */
export function printForecast(forecast: Forecast & { base?: string; label: string }, json: boolean | undefined): number {
  if (json) {
    out(safeJson({ ...forecast, dirty: forecast.willRun }));
    return 0;
  }
  out(`forecast for ${forecast.label}${forecast.base ? ` from ${forecast.base.slice(0, 10)} (HEAD)` : ''}:`);
  for (const f of forecast.nodes) {
    const cost = f.estimate ? `  ~$${f.estimate.costUsd.toFixed(4)} (${f.estimate.calls} call${f.estimate.calls === 1 ? '' : 's'}, ${f.estimate.inputTokens} tokens in + ${f.estimate.outputTokens} out)` : '';
    out(`${f.willRun ? (f.certain ? 'run   ' : 'after ') : 'cached'}  ${f.nodeId}${f.willRun ? `  (${safeText(f.reason)})` : ''}${cost}`);
  }
  for (const id of forecast.expands) out(`plus the nodes of the plan ${id} will make (not known before it runs)`);
  const after = forecast.willRun - forecast.certain;
  out(
    `\n${forecast.willRun} would run (${forecast.certain} certain${after > 0 ? `, ${after} after a node that will run` : ''}), ${forecast.cached} cached; ` +
      `estimated model cost $${forecast.estimatedCostUsd.toFixed(4)} in at least ${forecast.modelCalls} call${forecast.modelCalls === 1 ? '' : 's'}`,
  );
  return 0;
}

/** Why one node would, or would not, run in a new run: its forecast, the run forecast, and the lines `taskgraph why` prints. */
export interface NodeWhy {
  /** one line for people: what is forecast ("a new run of plan p-1") */
  label: string;
  /** the commit the forecast's scratch worktree was at (the project's HEAD), when it had one */
  base?: string;
  forecast: NodeForecast;
  /** the explanation, one line each: verdict, why, changed ingredients, cache key, estimated cost */
  lines: string[];
}

/** The lines `taskgraph why` prints for a node's forecast (without terminal escaping). */
export function whyLines(nodeId: string, f: NodeForecast): string[] {
  const lines = [`${nodeId}: ${f.willRun ? (f.certain ? 'will run' : 'will probably run') : 'will not run (cached)'}`];
  if (f.willRun) lines.push(`why: ${f.reason}`);
  if (f.changed.length > 0) lines.push(`changed ingredients: ${f.changed.join(', ')}`);
  if (f.key) lines.push(`cache key: ${f.key}`);
  if (f.estimate) lines.push(`estimated cost: $${f.estimate.costUsd.toFixed(4)} (${f.estimate.basis})`);
  return lines;
}

/**
 * Explains one node of a new run of `target` (a forecast, {@link forecastTarget}): what `taskgraph
 * why` and `GET /runs/{id}/why` show. Reads the store and a scratch worktree only.
 * @throws TaskgraphError NOT_FOUND when the forecast has no node `nodeId` (the hint lists some)
 */
export async function explainNode(project: ProjectHandle, target: ForecastTarget, nodeId: string): Promise<NodeWhy> {
  const forecast = await forecastTarget(project, target);
  const f = forecast.nodes.find((x) => x.nodeId === nodeId);
  if (!f) {
    const expands = forecast.expands.length > 0 ? ` (${forecast.expands.join(', ')} will plan anew, so its tasks' nodes are not known yet)` : '';
    throw new TaskgraphError('NOT_FOUND', `no node "${nodeId}" in ${forecast.label}${expands}`, {
      hint: `nodes: ${forecast.nodes.slice(0, 10).map((x) => x.nodeId).join(', ')}${forecast.nodes.length > 10 ? ', ...' : ''}`,
    });
  }
  return { label: forecast.label, ...(forecast.base ? { base: forecast.base } : {}), forecast: f, lines: whyLines(nodeId, f) };
}

/** `taskgraph why TARGET NODE`: whether the node will run in a new run, and which ingredient of its key changed ({@link explainNode}). */
export async function whyCommand(target: string, nodeId: string, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const why = await explainNode(project, await resolveForecastTarget(project, target), nodeId);
    if (opts.json) out(safeJson(why.forecast));
    else for (const line of why.lines) out(line);
    return 0;
  });
}
