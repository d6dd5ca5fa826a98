import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { jsonTextDepth, MAX_DOCUMENT_DEPTH, tooDeepMessage } from '../core/document-depth.js';
import { TaskgraphError } from '../core/errors.js';
import type { GraphSpecInput } from '../core/graph.js';
import { buildGraph } from '../core/validate.js';
import type { Budget } from '../core/config.js';
import type { RunSummary } from '../engine/engine.js';
import { parseYamlText } from '../project/parse-yaml.js';
import { type BudgetLine, budgetLines, type RunSpend, runSpend } from '../engine/run-spend.js';
import { writeRunReport } from '../report/report.js';
import { writePrDescription } from '../report/pr-description.js';
import { runCommits } from '../report/run-commits.js';
import { runGit } from '../workspace/git-run.js';
import { PLAN_GATE_NODE, planAwaitsApproval } from '../nodes/plan-approval.js';
import { rootFailure } from './baseline-outcome.js';
import { budgetFromFlags, type BudgetFlags } from './budget-options.js';
import { settleFullyCachedRun } from './cached-rerun.js';
import { reusedBranchOf } from '../report/run-place.js';
import { safeJson, safeText } from './safe-text.js';
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
  /** `--session NAME` (issue 13): every record the command writes is tagged (`store/session-tagged-store.ts`, applied by `withProject`) */
  session?: string;
}

/** Exit codes: 0 succeeded, 1 failed, 3 suspended (waiting for a person). */
export function exitCodeFor(status: RunSummary['status']): number {
  return status === 'succeeded' ? 0 : status === 'suspended' ? 3 : 1;
}

/**
 * The run budget from the flags over `base` (default taskgraph.yaml `policy.budget`; on resume the
 * budget stored with the run, so raising one limit keeps the others), as engine options.
 */
export function budgetOf(flags: BudgetFlags, project: ProjectHandle, base: Budget = project.config.policy.budget) {
  const budget = budgetFromFlags(flags, base);
  return budget ? { budget } : {};
}

const money = (usd: number) => `$${usd.toFixed(4)}`;

/** One budget line as text: `cost $0.0123 of $0.25 (headroom $0.2377)`, `model calls 12 of 300 (default; headroom 288)`. */
export function formatBudgetLine(line: BudgetLine): string {
  const value = (n: number) => (line.key === 'maxCostUsd' ? money(n) : line.key === 'maxWallMs' ? `${(n / 1000).toFixed(1)} s` : String(Math.round(n)));
  const label = line.label.replace(/ \((USD|ms)\)$/, '');
  const state = line.reached ? 'reached' : `headroom ${value(line.headroom)}`;
  return `${label} ${value(line.spent)} of ${value(line.limit)} (${line.isDefault ? 'default; ' : ''}${state})`;
}

/** The flag and a doubled value that raise a reached limit on resume, e.g. `--max-cost 0.50`. */
function raiseFlag(line: BudgetLine): string {
  const doubled = line.limit * 2;
  if (line.key === 'maxCostUsd') return `${line.flag} ${doubled.toFixed(2)}`;
  if (line.key === 'maxWallMs') return `${line.flag} ${Math.max(1, Math.ceil(doubled / 60_000))}m`;
  return `${line.flag} ${Math.ceil(doubled)}`;
}

/** Text lines about what the run spent against its budget, and the planning it is charged for. */
export function spendLines(runId: string, spend: RunSpend, lines: readonly BudgetLine[]): string[] {
  const out: string[] = [];
  const p = spend.planning;
  if (p && p.chargedTo === runId && p.usage.calls > 0) {
    out.push(`  planning: ${p.usage.calls} model call(s), ${money(p.usage.costUsd)} by \`taskgraph plan\` (${p.planRuns.join(', ')}), counted in this run`);
  } else if (p && p.chargedTo !== runId) {
    out.push(`  planning: plan ${p.planId} was paid for by run ${p.chargedTo}`);
  }
  if (lines.length > 0) out.push(`  budget: ${lines.map(formatBudgetLine).join('; ')}`);
  return out;
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

/** Reads the goal from the argument or `--prd FILE` (the file's text goes through {@link goalOf}). */
export async function readGoal(goal: string | undefined, prd: string | undefined): Promise<string> {
  if (!prd) return goalOf(goal, undefined);
  const text = await readFile(resolve(prd), 'utf8').catch((e: unknown) => {
    throw new TaskgraphError('NOT_FOUND', `cannot read PRD ${prd}: ${(e as Error).message}`);
  });
  return goalOf(goal, { text, name: prd });
}

/**
 * The goal a run plans: the goal text, or a PRD's text (after the goal when both are given), as
 * `taskgraph plan|do [GOAL] [--prd FILE]` and `POST /plans` take them.
 * @param prd the requirements document's text and what to call it in errors (its path, `body.prd`)
 * @throws TaskgraphError CONFIG_INVALID when there is neither a goal nor a PRD, or the PRD holds
 *   NUL bytes (not a text document)
 */
export function goalOf(goal: string | undefined, prd: { text: string; name: string } | undefined): string {
  if (prd) {
    if (prd.text.includes('\0')) {
      throw new TaskgraphError('CONFIG_INVALID', `${prd.name} holds NUL bytes: it is not a text file`, { hint: 'pass a Markdown or plain-text requirements document' });
    }
    return goal ? `${goal}\n\n${prd.text}` : prd.text;
  }
  if (!goal || goal.trim() === '') {
    throw new TaskgraphError('CONFIG_INVALID', 'no goal given', { hint: 'pass the goal in quotes, or --prd requirements.md' });
  }
  return goal;
}

/**
 * After a new run of `do` or `run PLAN`: a fully cached run whose result an earlier run's branch
 * already holds gives up its own branch and worktree (`cached-rerun.ts`). A failure to do so is
 * one warning line on stderr; the run then keeps its branch and worktree.
 */
export async function settleCachedRerun(project: ProjectHandle, summary: RunSummary): Promise<void> {
  try {
    await settleFullyCachedRun(project.store, project.dir, summary);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    process.stderr.write(`${safeText(`warning: run ${summary.runId} was fully cached but keeps its own branch and worktree (${reason})`)}\n`);
  }
}

/**
 * Ends a `do`, `run` or `resume` session: {@link finishRun}, the comment on the run's issue when
 * it was started with `do --issue ... --comment` (`issue-commands.ts`), then, when the run stopped at its
 * `setup` or `baseline` node, that node's error as the command's error (`rootFailure`).
 * @returns the exit code of {@link finishRun}
 * @throws TaskgraphError the root node's recorded error (e.g. BASELINE_FAILED)
 */
export async function endSession(project: ProjectHandle, summary: RunSummary, opts: CommonOptions): Promise<number> {
  const code = await finishRun(project, summary, opts);
  const run = await project.store.getRun(summary.runId);
  // a run of `do --issue ... --comment` reports on its issue when it finishes (loaded only then)
  if (run?.options['issueComment'] === true) await (await import('./issue-commands.js')).commentAfterSession(project, summary, run);
  const stopped = await rootFailure(project, summary.runId);
  if (stopped) throw stopped;
  return code;
}

/**
 * Prints (or prints as JSON) a finished session of a run, writes its report, returns the exit
 * code. A fully cached run that points at an earlier run's branch says so (`fully cached: ...`;
 * JSON: `fullyCached: { run, branch }`).
 */
export async function finishRun(project: ProjectHandle, summary: RunSummary, opts: CommonOptions): Promise<number> {
  const run = (await project.store.getRun(summary.runId))!;
  const reused = reusedBranchOf(run);
  const { commits } = await runCommits(run); // the same list the report shows (git log base..branch)
  const report = await tryWriteReport(() => writeRunReport(project.store, summary.runId, project.dir), summary.runId);
  const reportPath = report.path ?? null;
  if (report.warning) process.stderr.write(`${report.warning}\n`);
  const prPath = await tryWritePr(project, summary.runId);
  const spend = await runSpend(project.store, summary.runId);
  const budget = budgetLines(run, spend);
  if (opts.json) {
    const fullyCached = reused ? { fullyCached: { run: reused.runId, branch: reused.branch } } : {};
    process.stdout.write(`${safeJson({ ...summary, budget, branch: run.branch ?? null, worktree: run.worktree ?? null, ...fullyCached, report: reportPath, ...(prPath ? { pr: prPath } : {}), commits })}\n`);
  } else {
    const c = summary.counts;
    const t = spend.total;
    const lines = [
      '',
      `run ${summary.runId}: ${summary.status}${summary.reason ? ` (${summary.reason})` : ''}`,
      `  nodes: ${c.succeeded} executed, ${c.cached} cached, ${c.failed} failed, ${c.skipped} skipped, ${c.suspended} waiting`,
      `  model calls: ${t.calls}, tokens: ${t.inputTokens} in + ${t.outputTokens} out, cost: ${money(t.costUsd)}, time: ${(summary.wallMs / 1000).toFixed(1)} s`,
      ...spendLines(summary.runId, spend, budget),
    ];
    if (reused) lines.push(`  fully cached: nothing ran; branch ${reused.branch} already holds this result (no new branch or worktree)`);
    if (commits.length > 0) lines.push(`  commits on ${run.branch}:`, ...commits.map((k) => `    ${k.sha.slice(0, 10)} ${k.message}`));
    if (summary.status === 'succeeded' && run.branch) lines.push(`  merge: git merge ${run.branch}`);
    if (summary.status === 'suspended') {
      const reached = budget.find((l) => l.reached && summary.reason?.includes('budget reached'));
      if (reached) lines.push(`  continue: raise the limit, e.g. taskgraph resume ${summary.runId} ${raiseFlag(reached)}`);
      else if (summary.reason?.includes('budget reached')) lines.push(`  continue: raise the limit, e.g. taskgraph resume ${summary.runId} --max-cost 5`);
      else if (run.planId && summary.reason?.includes(PLAN_GATE_NODE)) lines.push(`  ${planAwaitsApproval(run.planId)}`);
      else if (summary.reason?.includes('needs a person')) lines.push(`  continue: taskgraph answer ${summary.runId} TASK "what to do differently" (or add a note, then resume)`);
      else lines.push(`  continue: taskgraph approve ${summary.runId} NODE  (or reject), then it resumes`);
    }
    if (summary.status === 'failed') lines.push(`  details: taskgraph status ${summary.runId}; retry: taskgraph resume ${summary.runId}`);
    if (summary.status === 'interrupted') lines.push(`  resume: taskgraph resume ${summary.runId}`);
    if (reportPath) lines.push(`  report: ${reportPath}`);
    if (prPath) lines.push(`  pull request: ${prPath} (taskgraph pr ${summary.runId})`);
    process.stdout.write(`${safeText(lines.join('\n'))}\n`);
  }
  return exitCodeFor(summary.status);
}

/**
 * Writes the run's pull-request description (`.taskgraph/reports/<run>.pr.md`) when its plan-level
 * review produced one; a failure to write it is one warning line, never the session's outcome.
 * @returns the path written, or null (no description, or not writable)
 */
async function tryWritePr(project: ProjectHandle, runId: string): Promise<string | null> {
  try {
    return (await writePrDescription(project.store, runId, project.dir)) ?? null;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    process.stderr.write(`${safeText(`warning: the pull-request description could not be written (${reason}); print it with: taskgraph pr ${runId}`)}\n`);
    return null;
  }
}

/** What {@link tryWriteReport} did: the report's path, or one warning line saying why there is none. */
export interface ReportOutcome {
  path?: string;
  warning?: string;
}

/**
 * Writes a run's report at the end of a session without letting a failure to write it change the
 * session's outcome (issue 8 item 15: a read-only `.taskgraph/reports/` after a successful run):
 * the run's records are in the store, so the report can always be printed later.
 * @param write writes the report and returns its path
 * @param runId the run, named in the warning
 * @returns the path, or a one-line warning naming the reason and `taskgraph report RUN --print`
 */
export async function tryWriteReport(write: () => Promise<string>, runId: string): Promise<ReportOutcome> {
  try {
    return { path: await write() };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { warning: safeText(`warning: the report could not be written (${reason}); print it with: taskgraph report ${runId} --print`) };
  }
}

/**
 * Loads a graph file (YAML or JSON). A JSON file's nesting is measured on its text before
 * `JSON.parse`, a YAML file's by `parseYamlText` (alias bomb, depth), so neither can overflow the
 * stack of the validation that follows.
 * @throws TaskgraphError NOT_FOUND (unreadable), GRAPH_INVALID (syntax, an alias bomb, nesting
 *   deeper than `MAX_DOCUMENT_DEPTH`, structural problems)
 */
export async function loadGraphFile(path: string): Promise<GraphSpecInput> {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new TaskgraphError('NOT_FOUND', `cannot read graph file ${path}: ${(e as Error).message}`);
  });
  let doc: unknown;
  if (path.endsWith('.json')) {
    if (jsonTextDepth(text, MAX_DOCUMENT_DEPTH) > MAX_DOCUMENT_DEPTH) {
      throw new TaskgraphError('GRAPH_INVALID', tooDeepMessage(path), {
        details: { path, maxDepth: MAX_DOCUMENT_DEPTH },
        hint: 'flatten the document: a graph file needs a few levels (nodes, inputs, literals)',
      });
    }
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new TaskgraphError('GRAPH_INVALID', `${path} is not valid JSON: ${(e as Error).message}`);
    }
  } else doc = parseYamlText(text, path, 'GRAPH_INVALID');
  buildGraph(doc); // structural validation with every problem listed (kinds' configs are checked by the engine)
  return doc as GraphSpecInput;
}
