import type { Task } from '../core/task.js';
import { builtinPrompt } from '../library/bundled-library.js';
import { type Finding, findingLine, type PrReview } from './review-schema.js';

/**
 * Prompts of the checker model (`roles.reviewer`) and the pull-request description it writes
 * (issue 9 item 8). Pure: the same inputs give the same text, so a review's cache key can be the
 * hash of its rendered prompt.
 */

/** Bump when the review prompts change (they are hashed into the review nodes' keys anyway). */
export const REVIEW_PROMPT_VERSION = 1;

/**
 * System prompt of a task review: the bundled library prompt `reviewer.task.system@1`; a review
 * node reads the newest version of the project's library. Scripted test models recognise
 * reviewer requests by its first words.
 */
export const TASK_REVIEW_SYSTEM_PROMPT = builtinPrompt('reviewer.task.system').text;

/** System prompt of the plan-level review that writes the pull-request description: the bundled `reviewer.pr.system@1`. */
export const PR_REVIEW_SYSTEM_PROMPT = builtinPrompt('reviewer.pr.system').text;

/** One verify check as recorded in a verify node's output (`{ command, exitCode, gate? }`). */
export interface CheckEvidence {
  command: string;
  exitCode: number | null;
  /** the `verify.gates` name when the check was a gate */
  gate?: string;
}

/** The checks of a verify node's output, without durations (so the text is deterministic); [] for anything else. */
export function checksOf(verifyOutput: unknown): CheckEvidence[] {
  const checks = typeof verifyOutput === 'object' && verifyOutput !== null ? (verifyOutput as { checks?: unknown }).checks : undefined;
  if (!Array.isArray(checks)) return [];
  return checks
    .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && typeof (c as { command?: unknown }).command === 'string')
    .map((c) => ({
      command: c['command'] as string,
      exitCode: typeof c['exitCode'] === 'number' ? c['exitCode'] : null,
      ...(typeof c['gate'] === 'string' ? { gate: c['gate'] } : {}),
    }));
}

/** A verify result in one line per check: ``- `node test/run.mjs`: exit 0`` (gates say so). */
export function renderChecks(checks: readonly CheckEvidence[], knownFailures: readonly string[] = []): string {
  if (checks.length === 0) return '(no checks ran)';
  const lines = checks.map((c) => `- ${c.gate !== undefined ? `gate ${c.gate}: ` : ''}\`${c.command}\`: exit ${c.exitCode ?? 'none'}${c.exitCode === 0 ? ' (passed)' : ''}`);
  if (knownFailures.length > 0) lines.push(`- tests that already failed at the base commit and still fail: ${knownFailures.join(', ')}`);
  return lines.join('\n');
}

/** Wraps text in a code fence longer than any backtick run inside it. */
export function fence(text: string, info = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const bar = '`'.repeat(longest + 1);
  return `${bar}${info}\n${text.replace(/\n$/, '')}\n${bar}`;
}

/** What a task review is shown. */
export interface TaskReviewInput {
  task: Pick<Task, 'id' | 'title' | 'description' | 'acceptance'>;
  /** `git diff` of the change against the task's starting commit (possibly trimmed) */
  diff: string;
  /** the verify node's checks */
  checks: readonly CheckEvidence[];
  knownFailures?: readonly string[];
}

/**
 * The user prompt of a task review: the task, its acceptance criteria (numbered), the verify
 * result and the diff. Starts with `# Review of task <id>:` (how scripted test models tell it).
 */
export function renderTaskReviewPrompt(input: TaskReviewInput): string {
  const { task } = input;
  const criteria = task.acceptance.length > 0 ? task.acceptance.map((a, i) => `${i + 1}. ${a}`).join('\n') : '(none given: review against the description)';
  return [
    `# Review of task ${task.id}: ${task.title}`,
    '',
    task.description.trim() || '(no description)',
    '',
    '## Acceptance criteria',
    criteria,
    '',
    '## Verify result (the project\'s tests and gates, after the change)',
    renderChecks(input.checks, input.knownFailures),
    '',
    '## The change (diff against the task\'s starting commit)',
    input.diff.trim() === '' ? '(the change is empty)' : fence(input.diff, 'diff'),
    '',
    'Review the change against every acceptance criterion, then answer with the JSON verdict and findings.',
  ].join('\n');
}

/** One task of a finished plan as the pull-request description lists it. */
export interface PrTask {
  id: string;
  title: string;
  /** the task's commit (40 hex) and its subject; absent when it made none */
  commit?: { sha: string; subject: string };
  checks: CheckEvidence[];
  knownFailures?: string[];
  /** the task review's verdict and findings, when `review.task` is on */
  review?: { verdict: 'pass' | 'fail'; findings: Finding[] };
}

/** What the plan-level review is shown. */
export interface PrReviewInput {
  goal: string;
  planId: string;
  tasks: readonly PrTask[];
  /** `git diff base..head` of the whole branch (possibly trimmed) */
  diff: string;
}

/** The user prompt of the plan-level review: goal, tasks with commits and evidence, the whole diff. Starts with `# Pull request for plan`. */
export function renderPrReviewPrompt(input: PrReviewInput): string {
  return [
    `# Pull request for plan ${input.planId}`,
    '',
    '## Goal',
    input.goal.trim(),
    '',
    '## Tasks',
    ...input.tasks.map((t) => `- ${t.id} ${t.title}: ${t.commit ? `commit ${t.commit.sha.slice(0, 12)} "${t.commit.subject}"` : 'no commit'}`),
    '',
    '## Test evidence',
    testEvidence(input.tasks),
    '',
    '## The whole change (diff of the branch against its base)',
    input.diff.trim() === '' ? '(the branch changes nothing)' : fence(input.diff, 'diff'),
    '',
    'Write the pull request\'s title, summary, risks and follow-ups as JSON.',
  ].join('\n');
}

function testEvidence(tasks: readonly PrTask[]): string {
  const lines: string[] = [];
  for (const t of tasks) {
    if (t.checks.length === 0) lines.push(`- ${t.id}: no verify result (split into subtasks, or not verified)`);
    else lines.push(...renderChecks(t.checks, t.knownFailures).split('\n').map((l) => `- ${t.id}: ${l.slice(2)}`));
    if (t.review) lines.push(`- ${t.id}: review ${t.review.verdict}${t.review.findings.length > 0 ? ` (${t.review.findings.length} finding${t.review.findings.length === 1 ? '' : 's'})` : ''}`);
  }
  return lines.length > 0 ? lines.join('\n') : '(no tasks)';
}

/** Where the pull request comes from, printed under it. */
export interface PrFooter {
  runId: string;
  planId: string;
  branch?: string;
  base?: string;
}

/**
 * The pull-request description (Markdown): the reviewer's title and summary, then the tasks with
 * their commits, the test evidence (each task's checks and review), the risks and follow-ups.
 * Deterministic: no dates. {@link withPrFooter} adds the line naming the run.
 */
export function renderPrDescription(review: PrReview, input: PrReviewInput): string {
  const list = (items: readonly string[], none: string) => (items.length > 0 ? items.map((i) => `- ${i.replace(/\s*\n\s*/g, ' ').trim()}`).join('\n') : none);
  const findings = input.tasks.flatMap((t) => (t.review?.findings ?? []).map((f) => `${t.id}: ${findingLine(f).slice(2)}`));
  return [
    `# ${review.title.replace(/\s+/g, ' ').trim()}`,
    '',
    review.summary.trim(),
    '',
    '## Tasks',
    ...input.tasks.map((t) => `- **${t.id}** ${t.title}${t.commit ? ` — \`${t.commit.sha.slice(0, 12)}\` ${t.commit.subject}` : ' — no commit'}`),
    '',
    '## Test evidence',
    testEvidence(input.tasks),
    ...(findings.length > 0 ? ['', '### Review findings', ...findings.map((f) => `- ${f}`)] : []),
    '',
    '## Risks',
    list(review.risks, '- none named'),
    '',
    '## Follow-ups',
    list(review.followUps, '- none named'),
    '',
  ].join('\n');
}

/** A pull-request description with its footer: a rule and one line naming the run, plan, branch and base. */
export function withPrFooter(markdown: string, footer: PrFooter): string {
  const line = `taskgraph run \`${footer.runId}\` · plan \`${footer.planId}\`${footer.branch ? ` · branch \`${footer.branch}\`` : ''}${footer.base ? ` · base \`${footer.base.slice(0, 12)}\`` : ''}`;
  return `${markdown.replace(/\n+$/, '')}\n\n---\n${line}\n`;
}
