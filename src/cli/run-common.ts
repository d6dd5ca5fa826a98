import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpecInput } from '../core/graph.js';
import { buildGraph } from '../core/validate.js';
import type { RunSummary } from '../engine/engine.js';
import { writeRunReport } from '../report/report.js';
import { runCommits } from '../report/run-commits.js';
import { runGit } from '../workspace/git-run.js';
import { budgetFromFlags, type BudgetFlags } from './budget-options.js';
import type { ProjectHandle } from './wiring.js';

/**
 * What the run commands (`do`, `run`, `resume`, `approve`, `answer`) share: options, exit codes,
 * reading a goal or a graph file, and the end of a session (summary, report).
 */

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

/** The run budget from the flags over `policy.budget`, as engine options. */
export function budgetOf(flags: BudgetFlags, project: ProjectHandle) {
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

/** Prints (or prints as JSON) a finished session of a run, writes its report, returns the exit code. */
export async function finishRun(project: ProjectHandle, summary: RunSummary, opts: CommonOptions): Promise<number> {
  const run = (await project.store.getRun(summary.runId))!;
  const { commits } = await runCommits(run); // the same list the report shows (git log base..branch)
  const reportPath = await writeRunReport(project.store, summary.runId, project.dir);
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
    if (summary.status === 'interrupted') lines.push(`  resume: taskgraph resume ${summary.runId}`);
    lines.push(`  report: ${reportPath}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return exitCodeFor(summary.status);
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
