import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { GraphSpecSchema, type GraphSpecInput } from '../core/graph.js';
import { buildGraph } from '../core/validate.js';
import { newRunId, type RunSummary } from '../engine/engine.js';
import { planGraph, planIdFor } from '../planning/plan-graph.js';
import { planGoal } from '../planning/planner.js';
import { renderTree, toDot, toJson, toMermaid } from '../planning/render.js';
import { collectProjectContext } from '../project/project-context.js';
import { writeRunReport } from '../report/report.js';
import type { RunRecord } from '../store/store.js';
import { createRunWorkspace, openRunWorkspace } from '../workspace/git-workspace.js';
import { runGit } from '../workspace/git-run.js';
import type { Workspace } from '../workspace/workspace.js';
import { budgetFromFlags, type BudgetFlags } from './budget-options.js';
import { createProgress } from './progress.js';
import { type ProjectHandle, withProject } from './wiring.js';

/** Options every project command takes. */
export interface CommonOptions {
  project: string;
  record?: string;
  replay?: string;
  json?: boolean;
}

/** Exit codes: 0 succeeded, 1 failed, 3 suspended (waiting for a person). */
export function exitCodeFor(status: RunSummary['status']): number {
  return status === 'succeeded' ? 0 : status === 'suspended' ? 3 : 1;
}

function budgetOf(flags: BudgetFlags, project: ProjectHandle) {
  const budget = budgetFromFlags(flags, project.config.policy.budget);
  return budget ? { budget } : {};
}

/** Whether `dir` is a git repository with at least one commit. */
export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    await runGit(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
    return true;
  } catch {
    return false;
  }
}

/** Reads the goal from the argument or `--prd FILE`. */
export async function readGoal(goal: string | undefined, prd: string | undefined): Promise<string> {
  if (prd) {
    const text = await readFile(resolve(prd), 'utf8').catch((e: unknown) => {
      throw new TaskgraphError('NOT_FOUND', `cannot read PRD ${prd}: ${(e as Error).message}`);
    });
    return goal ? `${goal}\n\n${text}` : text;
  }
  if (!goal || goal.trim() === '') {
    throw new TaskgraphError('CONFIG_INVALID', 'no goal given', { hint: 'pass the goal in quotes, or --prd requirements.md' });
  }
  return goal;
}

async function finishRun(project: ProjectHandle, summary: RunSummary, opts: CommonOptions): Promise<number> {
  const run = (await project.store.getRun(summary.runId))!;
  let commits: Array<{ sha: string; message: string }> = [];
  if (run.branch && run.baseCommit) {
    const log = await runGit(project.dir, ['log', '--format=%H%x09%s', `${run.baseCommit}..${run.branch}`]).catch(() => undefined);
    commits = (log?.stdout ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sha, ...rest] = l.split('\t');
        return { sha: sha!, message: rest.join('\t') };
      })
      .reverse();
  }
  const reportPath = await writeRunReport(project.store, summary.runId, project.dir, { commits });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...summary, branch: run.branch ?? null, worktree: run.worktree ?? null, report: reportPath, commits }, null, 2)}\n`);
  } else {
    const c = summary.counts;
    const lines = [
      '',
      `run ${summary.runId}: ${summary.status}${summary.reason ? ` (${summary.reason})` : ''}`,
      `  nodes: ${c.succeeded} executed, ${c.cached} cached, ${c.failed} failed, ${c.skipped} skipped, ${c.suspended} waiting`,
      `  model calls: ${summary.usage.calls}, tokens: ${summary.usage.inputTokens} in + ${summary.usage.outputTokens} out, cost: $${summary.usage.costUsd.toFixed(4)}, time: ${(summary.wallMs / 1000).toFixed(1)} s`,
    ];
    if (commits.length > 0) lines.push(`  commits on ${run.branch}:`, ...commits.map((k) => `    ${k.sha.slice(0, 10)} ${k.message}`));
    if (summary.status === 'succeeded' && run.branch) lines.push(`  merge: git merge ${run.branch}`);
    if (summary.status === 'suspended') {
      if (summary.reason?.includes('budget reached')) lines.push(`  continue: raise the limit, e.g. taskgraph resume ${summary.runId} --max-cost 5`);
      else if (summary.reason?.includes('needs a person')) lines.push(`  continue: taskgraph answer ${summary.runId} TASK "what to do differently" (or add a note, then resume)`);
      else lines.push(`  continue: taskgraph approve ${summary.runId} NODE  (or reject), then it resumes`);
    }
    if (summary.status === 'failed') lines.push(`  details: taskgraph status ${summary.runId}; retry: taskgraph resume ${summary.runId}`);
    lines.push(`  report: ${reportPath}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return exitCodeFor(summary.status);
}

/** `taskgraph do GOAL`: plan (decompose node) and carry out every task on a new branch. */
export async function doCommand(goalArg: string | undefined, opts: CommonOptions & BudgetFlags & { prd?: string; maxDepth?: number; concurrency?: number }): Promise<number> {
  const goal = await readGoal(goalArg, opts.prd);
  return withProject(opts, async (project) => {
    if (!(await isGitRepo(project.dir))) {
      throw new TaskgraphError('GIT_ERROR', `${project.dir} is not a git repository with a commit`, {
        hint: 'run `git init && git add -A && git commit -m init` first: taskgraph works on a branch and never touches your checkout',
      });
    }
    const runId = newRunId();
    const workspace = await createRunWorkspace({ projectDir: project.dir, runId });
    const progress = createProgress();
    const graph: GraphSpecInput = {
      id: 'do',
      title: goal.split('\n')[0]!.slice(0, 120),
      nodes: [{ id: 'plan', kind: 'decompose', config: { goal, ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}) } }],
    };
    try {
      const summary = await project
        .engine({ observers: [progress.observer], ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...budgetOf(opts, project) })
        .start({ graph, command: 'do', options: { goal }, runId, workspace });
      progress.done();
      return await finishRun(project, summary, opts);
    } finally {
      progress.done();
    }
  });
}

/** Loads a graph file (YAML or JSON). @throws TaskgraphError GRAPH_INVALID / NOT_FOUND */
export async function loadGraphFile(path: string): Promise<GraphSpecInput> {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new TaskgraphError('NOT_FOUND', `cannot read graph file ${path}: ${(e as Error).message}`);
  });
  let doc: unknown;
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new TaskgraphError('GRAPH_INVALID', `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  buildGraph(doc); // structural validation with every problem listed (kinds' configs are checked by the engine)
  return doc as GraphSpecInput;
}

/** `taskgraph run TARGET`: a graph file or a saved plan id. */
export async function runCommand(target: string, opts: CommonOptions & BudgetFlags & { concurrency?: number; force?: string[]; worktree?: boolean; dryRun?: boolean }): Promise<number> {
  return withProject(opts, async (project) => {
    let graph: GraphSpecInput;
    let planId: string | undefined;
    const file = resolve(target);
    if (existsSync(file)) graph = await loadGraphFile(file);
    else {
      const plan = await project.store.getPlan(target);
      if (!plan) {
        throw new TaskgraphError('NOT_FOUND', `"${target}" is neither a graph file nor a plan id`, { hint: 'a plan id looks like p-1a2b3c4d5e (printed by `taskgraph plan`); a graph file must exist' });
      }
      planId = plan.id;
      graph = planGraph(plan, { config: project.config });
    }
    if (opts.dryRun) {
      const { forecastTarget, printForecast } = await import('./forecast-commands.js');
      return printForecast(await forecastTarget(project, planId ?? file), opts.json);
    }
    const runId = newRunId();
    let workspace: Workspace | undefined;
    if (opts.worktree !== false && (await isGitRepo(project.dir))) workspace = await createRunWorkspace({ projectDir: project.dir, runId });
    const progress = createProgress();
    try {
      const summary = await project
        .engine({ observers: [progress.observer], ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...(opts.force ? { force: opts.force } : {}), ...budgetOf(opts, project) })
        .start({ graph, command: 'run', options: { target }, runId, ...(planId ? { planId } : {}), ...(workspace ? { workspace } : {}) });
      progress.done();
      return await finishRun(project, summary, opts);
    } finally {
      progress.done();
    }
  });
}

async function workspaceOf(project: ProjectHandle, run: RunRecord): Promise<Workspace | undefined> {
  return run.worktree ? openRunWorkspace({ projectDir: project.dir, runId: run.id }) : undefined;
}

/** `taskgraph resume RUN`. */
export async function resumeCommand(runId: string, opts: CommonOptions & BudgetFlags & { concurrency?: number }): Promise<number> {
  return withProject(opts, async (project) => {
    const run = await project.store.getRun(runId);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
    const progress = createProgress();
    try {
      const summary = await project
        .engine({ observers: [progress.observer], ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...budgetOf(opts, project) })
        .resume(runId, await workspaceOf(project, run));
      progress.done();
      return await finishRun(project, summary, opts);
    } finally {
      progress.done();
    }
  });
}

/** `taskgraph approve|reject RUN NODE`: records the decision, then resumes the run. */
export async function decideCommand(
  decision: 'approved' | 'rejected',
  runId: string,
  nodeId: string,
  opts: CommonOptions & { comment?: string; by?: string; resume?: boolean },
): Promise<number> {
  const code = await withProject(opts, async (project) => {
    const run = await project.store.getRun(runId);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: 'list runs with `taskgraph runs`' });
    const nodes = await project.store.listRunNodes(runId);
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new TaskgraphError('NOT_FOUND', `run ${runId} has no node "${nodeId}"`);
    const waiting = nodes.filter((n) => n.status === 'suspended').map((n) => n.nodeId);
    if (node.status !== 'suspended') {
      throw new TaskgraphError('RUN_STATE', `node ${nodeId} is ${node.status}, not waiting for a decision`, {
        hint: waiting.length > 0 ? `waiting: ${waiting.join(', ')}` : 'no node of this run is waiting',
      });
    }
    await project.store.putDecision({
      runId,
      nodeId,
      decision,
      by: opts.by ?? process.env['USER'] ?? 'unknown',
      at: new Date().toISOString(),
      ...(opts.comment ? { comment: opts.comment } : {}),
    });
    if (!opts.json) process.stdout.write(`${decision} ${runId} ${nodeId}\n`);
    return -1;
  });
  if (code !== -1 || opts.resume === false) return 0;
  return resumeCommand(runId, opts);
}

/** `taskgraph plan GOAL`: plan only, save it, print the tree. */
export async function planCommand(goalArg: string | undefined, opts: CommonOptions & { prd?: string; maxDepth?: number }): Promise<number> {
  const goal = await readGoal(goalArg, opts.prd);
  return withProject(opts, async (project) => {
    const files = (await isGitRepo(project.dir)) ? (await runGit(project.dir, ['ls-files'])).stdout.split('\n').filter(Boolean) : [];
    const result = await planGoal({
      goal,
      project: await collectProjectContext(project.dir, project.config, files),
      client: project.models,
      profile: project.config.roles.planner,
      maxDepth: opts.maxDepth ?? project.config.policy.maxDepth,
      maxRepairs: project.config.policy.maxRepairs,
      planId: 'pending',
    });
    const planId = planIdFor(goal, result.tasks);
    const tasks = result.tasks.map((t) => ({ ...t, planId }));
    if (!(await project.store.getPlan(planId))) {
      await project.store.savePlan({ id: planId, goal, createdAt: new Date().toISOString(), tasks, meta: { leaves: result.leaves, usage: { ...result.usage }, calls: result.calls, repairs: result.repairs } });
    }
    if (opts.json) process.stdout.write(`${toJson({ id: planId, goal, tasks } as never)}\n`);
    else {
      process.stdout.write(`plan ${planId} (${tasks.length} tasks, ${result.leaves.length} to execute; ${result.calls} model calls, ${result.repairs} repairs, $${result.usage.costUsd.toFixed(4)})\n`);
      process.stdout.write(`${renderTree(tasks)}\n\nexecute it: taskgraph run ${planId}\nview it:    taskgraph graph ${planId} --format mermaid\n`);
    }
    return 0;
  });
}

/** `taskgraph graph TARGET --format mermaid|dot|json`: a plan, a run or a graph file. */
export async function graphCommand(target: string, opts: CommonOptions & { format: string }): Promise<number> {
  const format = z.enum(['mermaid', 'dot', 'json']).parse(opts.format);
  const file = resolve(target);
  if (existsSync(file)) {
    const graph = buildGraph(await loadGraphFile(file));
    process.stdout.write(`${renderNodeGraph(graph.order.map((id) => graph.nodes.get(id)!), graph.edges, format)}\n`);
    return 0;
  }
  return withProject(opts, async (project) => {
    const plan = await project.store.getPlan(target);
    if (plan) {
      const out = format === 'mermaid' ? toMermaid(plan.tasks) : format === 'dot' ? toDot(plan.tasks) : toJson(plan as never);
      process.stdout.write(`${out}\n`);
      return 0;
    }
    const run = await project.store.getRun(target);
    if (!run) throw new TaskgraphError('NOT_FOUND', `"${target}" is not a graph file, plan id or run id`);
    const graph = buildGraph(run.graph);
    const states = new Map((await project.store.listRunNodes(run.id)).map((n) => [n.nodeId, n.status]));
    process.stdout.write(`${renderNodeGraph(graph.order.map((id) => graph.nodes.get(id)!), graph.edges, format, states)}\n`);
    return 0;
  });
}

function renderNodeGraph(
  nodes: ReadonlyArray<{ id: string; kind: string }>,
  edges: ReadonlyArray<{ from: string; to: string }>,
  format: 'mermaid' | 'dot' | 'json',
  states: ReadonlyMap<string, string> = new Map(),
): string {
  const label = (n: { id: string; kind: string }) => `${n.id} (${n.kind}${states.has(n.id) ? `: ${states.get(n.id)}` : ''})`;
  const idx = new Map(nodes.map((n, i) => [n.id, `n${i}`]));
  if (format === 'json') return JSON.stringify({ nodes: nodes.map((n) => ({ ...n, status: states.get(n.id) ?? null })), edges }, null, 2);
  if (format === 'mermaid') {
    return ['flowchart TD', ...nodes.map((n) => `  ${idx.get(n.id)}["${label(n).replace(/"/g, '#quot;')}"]`), ...edges.map((e) => `  ${idx.get(e.from)} --> ${idx.get(e.to)}`)].join('\n');
  }
  return ['digraph taskgraph {', '  rankdir=TB;', ...nodes.map((n) => `  ${idx.get(n.id)} [label=${JSON.stringify(label(n))}];`), ...edges.map((e) => `  ${idx.get(e.from)} -> ${idx.get(e.to)};`), '}'].join('\n');
}

/** `taskgraph schema`: the JSON Schema of graph files (for editor completion). */
export function schemaCommand(): number {
  const schema = z.toJSONSchema(GraphSpecSchema, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(`${JSON.stringify({ $id: 'https://taskgraph.dev/schema/graph.json', title: 'taskgraph graph file', ...schema }, null, 2)}\n`);
  return 0;
}
