import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { type BudgetReport, budgetReport, renderBudgetSection } from './budget-section.js';
import { closeOpenFence, code, codeBlock, formatDuration, table, usd } from './markdown.js';
import { redactSecrets } from './redact.js';
import { summarizeRun, type RunSummary } from './run-summary.js';

/**
 * The run report (DESIGN.md §2 step 5 "Review" and step 7 "Complete"): what the run did, per
 * task and per node status, tokens, cost and time, the commits, and how to merge the branch.
 */

/** A commit made by the run, newest last. */
export interface ReportCommit {
  /** full or abbreviated hash; shown abbreviated to 12 characters */
  sha: string;
  /** the commit message (first line shown) */
  message: string;
}

/** Data the store does not hold, passed by the caller. */
export interface ReportExtra {
  /** commits on the run's branch since its base commit (e.g. from the workspace) */
  commits?: ReportCommit[];
  /** the Budget section's data ({@link budgetReport}); the section is left out without it */
  budget?: BudgetReport;
}

/** Directory, relative to the project, where reports are written. */
export const REPORTS_DIR = join('.taskgraph', 'reports');

/**
 * Quotes a shell word when needed (POSIX single quotes), so paths with spaces can be pasted.
 * @param word a path or branch name
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function firstLine(text: string, limit = 200): string {
  const line = (text.split('\n', 1)[0] ?? '').trim();
  return line.length > limit ? `${line.slice(0, limit)}...` : line;
}

function overview(s: RunSummary): string {
  const { run } = s;
  const rows: Array<[string, string | undefined]> = [
    ['status', `**${run.status}**`],
    ['reason', run.reason],
    ['command', run.command],
    ['goal', s.goal],
    ['plan', run.planId],
    ['project', run.projectDir],
    ['branch', run.branch],
    ['worktree', run.worktree],
    ['base commit', run.baseCommit],
    ['started', run.createdAt],
    ['finished', s.finishedAt ?? `— (${run.status}; last update ${run.updatedAt})`],
    ['wall time', `${formatDuration(s.wallMs)}${s.finishedAt ? '' : ' so far'}`],
  ];
  return table(
    ['field', 'value'],
    rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, v]),
  );
}

function tasksSection(s: RunSummary): string {
  if (s.tasks.length === 0) return '## Tasks\n\nThis run has no tasks (a plain graph run).';
  const rows = s.tasks.map((t) => [
    t.id,
    t.title,
    t.status,
    t.attempts,
    t.usage.inputTokens + t.usage.outputTokens,
    usd(t.usage.costUsd),
  ]);
  const parts = ['## Tasks', table(['task', 'title', 'status', 'attempts', 'tokens', 'cost (USD)'], rows, ['l', 'l', 'l', 'r', 'r', 'r'])];
  const withNotes = s.tasks.filter((t) => t.notes.length > 0);
  if (withNotes.length > 0) {
    parts.push('### Notes');
    for (const t of withNotes) {
      parts.push(`#### ${t.id}${t.title ? ` — ${t.title.replace(/\n/g, ' ')}` : ''} (${t.status})`);
      t.notes.forEach((note, i) => parts.push(`**Note ${i + 1}**\n\n${closeOpenFence(note.trimEnd())}`));
    }
  }
  return parts.join('\n\n');
}

function nodesSection(s: RunSummary): string {
  const rows = s.nodes.map((n) => [
    n.id,
    n.kind,
    n.task,
    n.status,
    n.attempts,
    n.cacheHits,
    n.usage.inputTokens,
    n.usage.outputTokens,
    usd(n.usage.costUsd),
    n.durationMs,
  ]);
  const parts = [
    '## Nodes',
    table(
      ['node', 'kind', 'task', 'status', 'attempts', 'cache hits', 'tokens in', 'tokens out', 'cost (USD)', 'duration (ms)'],
      rows,
      ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  ];
  const failed = s.nodes.filter((n) => n.lastError);
  if (failed.length > 0) {
    parts.push('### Failures');
    parts.push(
      failed
        .map((n) => `- ${code(n.id)}: ${n.lastError?.code} — ${firstLine(n.lastError?.message ?? '')}${n.lastError?.hint ? ` (${firstLine(n.lastError.hint)})` : ''}`)
        .join('\n'),
    );
  }
  return parts.join('\n\n');
}

function totalsSection(s: RunSummary): string {
  const t = s.totals;
  return [
    '## Totals',
    [
      `- tokens: ${t.inputTokens + t.outputTokens} (${t.inputTokens} in, ${t.outputTokens} out)`,
      `- cost: ${usd(t.costUsd)} USD`,
      `- model calls: ${t.calls}`,
      `- node attempts: ${t.attempts} (${t.executed} executed, ${t.cacheHits} cache hits)`,
      `- node time: ${formatDuration(t.durationMs)} (sum over attempts; wall time ${formatDuration(s.wallMs)})`,
    ].join('\n'),
  ].join('\n\n');
}

function commitsSection(extra: ReportExtra): string {
  const commits = extra.commits ?? [];
  if (commits.length === 0) return '## Commits\n\nNo commits.';
  return `## Commits\n\n${commits.map((c) => `- ${code(c.sha.slice(0, 12))} ${firstLine(c.message)}`).join('\n')}`;
}

function mergeSection(s: RunSummary): string {
  const { run } = s;
  if (!run.branch) return '## How to merge\n\nThis run made no branch, so there is nothing to merge.';
  const branch = shellQuote(run.branch);
  const parts = ['## How to merge'];
  if (run.status === 'suspended') {
    parts.push(`The run is suspended${run.reason ? ` (${run.reason})` : ''}. Answer it, then continue with ${code(`taskgraph resume ${run.id}`)} before merging.`);
  } else if (run.status === 'failed') {
    parts.push(`The run failed${run.reason ? ` (${run.reason})` : ''}: review the branch before merging any of it.`);
  } else if (run.status === 'running') {
    parts.push('The run is still running (or was killed): wait for it or resume it before merging.');
  }
  parts.push(
    `The work is on branch ${code(run.branch)}${run.worktree ? ` (worktree ${code(run.worktree)})` : ''}. From the project directory:`,
  );
  parts.push(
    codeBlock(
      [
        `cd ${shellQuote(run.projectDir)}`,
        `git merge --ff-only ${branch}   # when your branch has not moved since the run started`,
        `git merge ${branch}             # otherwise: a merge commit`,
      ].join('\n'),
      'sh',
    ),
  );
  const cleanup = [...(run.worktree ? [`git worktree remove ${shellQuote(run.worktree)}`] : []), `git branch -d ${branch}`];
  parts.push('Then clean up the worktree and the branch:');
  parts.push(codeBlock(cleanup.join('\n'), 'sh'));
  return parts.join('\n\n');
}

/**
 * Renders a run report as Markdown from a {@link RunSummary}. Pure. Secrets are not removed
 * here; {@link buildRunReport} does that.
 * @param summary from {@link summarizeRun}
 * @param extra commits made by the run
 */
export function renderRunReport(summary: RunSummary, extra: ReportExtra = {}): string {
  return `${[
    `# taskgraph run ${summary.run.id}`,
    overview(summary),
    tasksSection(summary),
    nodesSection(summary),
    totalsSection(summary),
    ...(extra.budget ? [renderBudgetSection(extra.budget)] : []),
    commitsSection(extra),
    mergeSection(summary),
  ].join('\n\n')}\n`;
}

/**
 * Builds the Markdown report of a run: overview (id, status, reason, command, goal, branch,
 * worktree, start/finish, wall time), tasks (status, attempts, tokens, cost USD) with their
 * notes, nodes (status, attempts, cache hits, tokens in/out, cost USD to 4 decimals, duration
 * ms), failures, totals, commits, and how to merge and clean up. Secrets found in the
 * environment are redacted ({@link redactSecrets}).
 * @param store the store (any {@link Store} implementation)
 * @param runId the run
 * @param extra commits made by the run
 * @throws TaskgraphError `NOT_FOUND` for an unknown run; store errors pass through
 */
export async function buildRunReport(store: Store, runId: string, extra: ReportExtra = {}): Promise<string> {
  return redactSecrets(renderRunReport(await summarizeRun(store, runId), { ...extra, budget: extra.budget ?? (await budgetReport(store, runId)) }));
}

/**
 * Writes the report of {@link buildRunReport} to `<projectDir>/.taskgraph/reports/<runId>.md`
 * (creating the directory), replacing an earlier report of the same run.
 * @param store the store
 * @param runId the run
 * @param projectDir the project directory
 * @param extra commits made by the run
 * @returns the path written
 * @throws TaskgraphError `NOT_FOUND` for an unknown run; file system errors pass through
 */
export async function writeRunReport(store: Store, runId: string, projectDir: string, extra: ReportExtra = {}): Promise<string> {
  const text = await buildRunReport(store, runId, extra);
  const dir = join(projectDir, REPORTS_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}.md`);
  await writeFile(path, text, 'utf8');
  return path;
}
