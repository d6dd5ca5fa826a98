import { planningOrigin, type PlanningOrigin, renderPlanningSection } from './planning-section.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { blockquote, closeOpenFence, code, codeBlock, formatDuration, plainText, table, usd } from './markdown.js';
import { redactSecrets } from './redact.js';
import { runCommits, type RunCommits } from './run-commits.js';
import { runPlace, type RunPlace } from './run-place.js';
import { summarizeRun, type RunSummary, type SummaryOptions } from './run-summary.js';
import { type BudgetReport, budgetReport, renderBudgetSection } from './budget-section.js';
import { renderAuditSection } from './audit-section.js';
import type { AuditEntry } from '../store/audit.js';
import { taskGanttSection } from './task-gantt.js';

export type { ReportCommit, RunCommits } from './run-commits.js';

/**
 * The run report (DESIGN.md §2 step 5 "Review" and step 7 "Complete"): what the run did, per
 * task and per node status, tokens, cost and time, its sessions, the commits, and how to merge
 * the branch. Rebuilt from the store and the branch every time (issue 8 item 1), so the report
 * written at the end of a session, `taskgraph report RUN` and `taskgraph report RUN --print` are
 * the same bytes.
 */

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

function overview(s: RunSummary, place: RunPlace): string {
  const { run } = s;
  const branch = run.branch
    ? `${run.branch}${place.reused ? ` (run ${place.reused.runId}'s: this run was fully cached)` : ''}${place.branchExists === false ? ' (deleted)' : ''}`
    : undefined;
  const rows: Array<[string, string | undefined]> = [
    ['status', `**${s.status}**`],
    ['reason', s.status === 'interrupted' && run.status === 'running' ? 'its process stopped without recording an end (killed, or its lease expired)' : run.reason],
    ['command', run.command],
    ['plan', run.planId],
    ['project', run.projectDir],
    ['branch', branch],
    ['worktree', run.worktree ? `${run.worktree}${place.worktreeExists === false ? ' (removed)' : ''}` : undefined],
    ['base commit', run.baseCommit],
    ['started', run.createdAt],
    ['finished', s.finishedAt ?? `— (${s.status}; last update ${run.updatedAt})`],
    ['wall time', `${formatDuration(s.wallMs)}${s.finishedAt ? '' : ' so far'}`],
  ];
  return table(
    ['field', 'value'],
    rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, v]),
  );
}

/** The goal as written (Markdown, in a block quote so its headings stay inside the section). */
function goalSection(s: RunSummary): string | undefined {
  if (s.goal === undefined || s.goal.trim() === '') return undefined;
  return `## Goal\n\n${blockquote(closeOpenFence(s.goal.trimEnd()))}`;
}

/** One row per session: started, resumed, and how each ended (killed ones derived from the lease). */
function timelineSection(s: RunSummary): string {
  if (s.sessions.length === 0) return '## Timeline\n\nNo sessions recorded for this run.';
  const rows = s.sessions.map((session, i) => [
    session.number,
    session.startedAt,
    i === 0 ? `started (${session.command})` : `resumed (${session.command})`,
    `pid ${session.pid} on ${session.host}`,
    session.endedAt,
    session.view === 'killed'
      ? 'killed (no end recorded; its process is gone)'
      : session.view === 'running'
        ? 'running'
        : `${session.view === 'succeeded' || session.view === 'failed' ? `finished: ${session.view}` : session.view}${session.reason ? ` — ${firstLine(session.reason)}` : ''}`,
  ]);
  return ['## Timeline', table(['session', 'started', 'what', 'process', 'ended', 'how it ended'], rows, ['r'])].join('\n\n');
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

function totalsSection(s: RunSummary, budget?: BudgetReport): string {
  const t = s.totals;
  const planning = budget?.spend.planning;
  const charged = planning && planning.chargedTo === s.run.id && planning.usage.calls > 0 ? planning.usage : undefined;
  return [
    '## Totals',
    [
      `- tokens: ${t.inputTokens + t.outputTokens} (${t.inputTokens} in, ${t.outputTokens} out)`,
      `- cost: ${usd(t.costUsd)} USD`,
      `- model calls: ${t.calls}`,
      `- node attempts: ${t.attempts} (${t.executed} executed, ${t.cacheHits} cache hits)`,
      `- node time: ${formatDuration(t.durationMs)} (sum over attempts; wall time ${formatDuration(s.wallMs)})`,
      ...(charged && budget
        ? [
            `- planning charged to this run (plan ${code(planning!.planId)} by \`taskgraph plan\`): ${usd(charged.costUsd)} USD in ${charged.calls} model call(s)`,
            `- cost with planning: ${usd(budget.spend.total.costUsd)} USD in ${budget.spend.total.calls} model call(s)`,
          ]
        : []),
    ].join('\n'),
  ].join('\n\n');
}

function commitsSection(s: RunSummary, git: RunCommits): string {
  if (git.unavailable) {
    return `## Commits\n\nThe commits on ${code(s.run.branch ?? '')} cannot be listed (the branch was deleted, or the repository moved): ${git.unavailable}`;
  }
  if (git.commits.length === 0) return '## Commits\n\nNo commits.';
  const range = s.run.baseCommit && s.run.branch ? ` (${code(`git log ${s.run.baseCommit.slice(0, 12)}..${s.run.branch}`)})` : '';
  return `## Commits\n\nOn ${code(s.run.branch ?? '')}, oldest first${range}:\n\n${git.commits.map((c) => `- ${code(c.sha.slice(0, 12))} ${firstLine(c.message)}`).join('\n')}`;
}

function mergeSection(s: RunSummary, place: RunPlace): string {
  const { run } = s;
  if (!run.branch) return '## How to merge\n\nThis run made no branch, so there is nothing to merge.';
  if (place.branchExists === false) {
    return `## How to merge\n\nThe branch ${code(run.branch)} no longer exists (deleted by \`taskgraph clean --branches\`, or by hand after a merge): there is nothing left to merge. The records of the run above come from the store.`;
  }
  const branch = shellQuote(run.branch);
  const parts = ['## How to merge'];
  if (place.reused) {
    parts.push(`Nothing ran in this run: every node came from the cache, and the branch of run ${code(place.reused.runId)} already holds this result, so the run made no branch or worktree of its own.`);
  }
  if (s.status === 'suspended') {
    parts.push(`The run is suspended${run.reason ? ` (${run.reason})` : ''}. Answer it, then continue with ${code(`taskgraph resume ${run.id}`)} before merging.`);
  } else if (s.status === 'failed') {
    parts.push(`The run failed${run.reason ? ` (${run.reason})` : ''}: review the branch before merging any of it.`);
  } else if (s.status === 'interrupted') {
    parts.push(`The run was interrupted${run.status === 'interrupted' && run.reason ? ` (${run.reason})` : ''}: continue it with ${code(`taskgraph resume ${run.id}`)} before merging.`);
  } else if (s.status === 'running') {
    parts.push(`The run is still running (${code(`taskgraph status ${run.id}`)}): wait for it before merging.`);
  }
  const worktree = run.worktree && place.worktreeExists !== false ? run.worktree : undefined;
  parts.push(`The work is on branch ${code(run.branch)}${worktree ? ` (worktree ${code(worktree)})` : ''}. From the project directory:`);
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
  if (place.reused) {
    parts.push(`Then clean up the worktree of run ${code(place.reused.runId)} and the branch:`);
    parts.push(codeBlock('taskgraph clean --branches', 'sh'));
    return parts.join('\n\n');
  }
  const cleanup = [...(worktree ? [`git worktree remove ${shellQuote(worktree)}`] : []), `git branch -d ${branch}`];
  parts.push(worktree ? 'Then clean up the worktree and the branch (or `taskgraph clean --branches`):' : 'Then delete the branch:');
  parts.push(codeBlock(cleanup.join('\n'), 'sh'));
  return parts.join('\n\n');
}

/**
 * Renders a run report as Markdown from a {@link RunSummary} and the branch's commits. Pure.
 * Secrets and control characters are not removed here; {@link buildRunReport} does that.
 * @param summary from {@link summarizeRun}
 * @param git the run's commits from {@link runCommits}
 * @param budget the Budget section's data ({@link budgetReport}); the section is left out without it
 * @param place whether the stored branch and worktree still exist ({@link runPlace}); default: both assumed to exist
 * @param audit the run's audit entries (`audit-section.ts`); the section is left out when there are none
 * @param planning how the plan was made (`planning-section.ts`); the section is left out without it
 */
export function renderRunReport(summary: RunSummary, git: RunCommits = { commits: [] }, budget?: BudgetReport, place: RunPlace = {}, audit: readonly AuditEntry[] = [], planning?: PlanningOrigin): string {
  const sections = [
    `# taskgraph run ${summary.run.id}`,
    overview(summary, place),
    goalSection(summary),
    renderPlanningSection(planning),
    timelineSection(summary),
    tasksSection(summary),
    taskGanttSection(summary.tasks, Date.parse(summary.run.updatedAt)),
    nodesSection(summary),
    totalsSection(summary, budget),
    budget ? renderBudgetSection(budget) : undefined,
    renderAuditSection(audit),
    commitsSection(summary, git),
    mergeSection(summary, place),
  ];
  return `${sections.filter((x): x is string => x !== undefined).join('\n\n')}\n`;
}

/**
 * Builds the Markdown report of a run from the store and its branch: overview (id, status —
 * `interrupted` for a run whose process is gone —, reason, command, plan, branch, worktree,
 * start/finish, wall time), the goal as written, how the plan was made and what reusing an
 * earlier plan saved (`planning-section.ts`), the timeline of sessions (started, resumed, and
 * how each ended: killed, interrupted, suspended, finished), tasks (status, attempts, tokens, cost
 * USD) with their notes, nodes (status, attempts, cache hits, tokens in/out, cost USD to 4
 * decimals, duration ms), failures, totals, the budget with the headroom left and what planning
 * cost (`budget-section.ts`), the run's audit entries (`audit-section.ts`), the commits (`git log base..branch` in the project
 * directory), and how to merge and clean up — saying so when the stored branch or worktree is
 * gone (`taskgraph clean`) or is an earlier run's (a fully cached run; `run-place.ts`). Secrets found in the environment are redacted
 * ({@link redactSecrets}); escape sequences and control characters that a model or a repository
 * wrote are removed ({@link plainText}), so the text is safe to print.
 * @param store the store (any {@link Store} implementation)
 * @param runId the run
 * @param options the reader's clock and lease liveness check (defaults: now, this host)
 * @throws TaskgraphError `NOT_FOUND` for an unknown run; store errors pass through (git errors do not: see {@link runCommits})
 */
export async function buildRunReport(store: Store, runId: string, options: SummaryOptions = {}): Promise<string> {
  const summary = await summarizeRun(store, runId, options);
  const audit = await store.listAudit(runId);
  const planning = await planningOrigin(store, summary.run);
  return plainText(redactSecrets(renderRunReport(summary, await runCommits(summary.run), await budgetReport(store, runId), await runPlace(summary.run), audit, planning)));
}

/**
 * Writes the report of {@link buildRunReport} to `<projectDir>/.taskgraph/reports/<runId>.md`
 * (creating the directory), replacing an earlier report of the same run.
 * @param store the store
 * @param runId the run
 * @param projectDir the project directory
 * @param options the reader's clock and lease liveness check
 * @returns the path written
 * @throws TaskgraphError `NOT_FOUND` for an unknown run; file system errors pass through
 */
export async function writeRunReport(store: Store, runId: string, projectDir: string, options: SummaryOptions = {}): Promise<string> {
  const text = await buildRunReport(store, runId, options);
  const dir = join(projectDir, REPORTS_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}.md`);
  await writeFile(path, text, 'utf8');
  return path;
}
