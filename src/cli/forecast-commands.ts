import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { GraphSpecSchema, type GraphSpecInput } from '../core/graph.js';
import { graphFromSpec } from '../core/validate.js';
import { forecastGraph, type NodeForecast } from '../engine/forecast.js';
import { planGraph } from '../planning/plan-graph.js';
import { GitWorkspace } from '../workspace/git-workspace.js';
import type { CommonOptions } from './commands.js';
import { isGitRepo, loadGraphFile } from './commands.js';
import { type ProjectHandle, withProject } from './wiring.js';
import { safeJson, safeText } from './safe-text.js';

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** Resolves a target (graph file, plan id or run id) to a graph, its plan and its base commit. */
async function graphOf(project: ProjectHandle, target: string): Promise<{ graph: GraphSpecInput; planId?: string; baseCommit?: string }> {
  const file = resolve(target);
  if (existsSync(file)) return { graph: await loadGraphFile(file) };
  const plan = await project.store.getPlan(target);
  if (plan) {
    return { graph: planGraph(plan, { config: project.config }), planId: plan.id };
  }
  const run = await project.store.getRun(target);
  if (run) return { graph: run.graph, ...(run.planId ? { planId: run.planId } : {}), ...(run.baseCommit ? { baseCommit: run.baseCommit } : {}) };
  throw new TaskgraphError('NOT_FOUND', `"${target}" is not a graph file, plan id or run id`, { hint: 'list runs with `taskgraph runs`' });
}

/**
 * Forecasts a target for a new run started now: the worktree would start at the project's HEAD
 * (or, for a run id, the run's base commit).
 */
export async function forecastTarget(project: ProjectHandle, target: string): Promise<NodeForecast[]> {
  const { graph, planId, baseCommit } = await graphOf(project, target);
  const git = (await isGitRepo(project.dir)) ? new GitWorkspace(project.dir, 'HEAD') : undefined;
  const base = git ? await git.commitSnapshot(baseCommit ?? 'HEAD') : undefined;
  const built = graphFromSpec(GraphSpecSchema.parse(graph));
  return forecastGraph(built, { store: project.store, executors: project.executors, scripts: project.scripts, projectDir: project.dir, config: project.config }, planId, base, git);
}

/** Prints a forecast: what would run, cached and dirty counts, estimated cost. */
export function printForecast(forecast: NodeForecast[], json: boolean | undefined): number {
  const willRun = forecast.filter((f) => f.willRun);
  const cost = willRun.reduce((s, f) => s + (f.estimatedCostUsd ?? 0), 0);
  const unknownCost = willRun.filter((f) => (f.kind === 'llm' || f.kind === 'decompose') && f.estimatedCostUsd === undefined).length;
  if (json) {
    out(safeJson({ nodes: forecast, cached: forecast.length - willRun.length, dirty: willRun.length, estimatedCostUsd: cost, modelNodesWithoutEstimate: unknownCost }));
    return 0;
  }
  for (const f of forecast) out(`${f.willRun ? 'run   ' : 'cached'}  ${f.nodeId}${f.willRun ? `  (${f.reason})` : ''}${f.estimatedCostUsd !== undefined ? `  ~$${f.estimatedCostUsd.toFixed(4)}` : ''}`);
  out(`\n${willRun.length} would run, ${forecast.length - willRun.length} cached; estimated model cost $${cost.toFixed(4)}${unknownCost > 0 ? ` (+ ${unknownCost} model node(s) with no earlier attempt to estimate from)` : ''}`);
  return 0;
}

/** `taskgraph why TARGET NODE`: whether the node will run in a new run, and which ingredient of its key changed. */
export async function whyCommand(target: string, nodeId: string, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const forecast = await forecastTarget(project, target);
    const f = forecast.find((x) => x.nodeId === nodeId);
    if (!f) throw new TaskgraphError('NOT_FOUND', `no node "${nodeId}" in ${target}`, { hint: `nodes: ${forecast.slice(0, 10).map((x) => x.nodeId).join(', ')}${forecast.length > 10 ? ', ...' : ''}` });
    if (opts.json) out(safeJson(f));
    else {
      out(`${nodeId}: ${f.willRun ? 'will run' : 'will not run (cached)'}`);
      if (f.willRun) out(`why: ${f.reason}`);
      if (f.changed.length > 0) out(`changed ingredients: ${f.changed.join(', ')}`);
      if (f.key) out(`cache key: ${f.key}`);
    }
    return 0;
  });
}
