import { MAX_TASKS_PER_LEVEL, type PlanIssue } from './plan-schema.js';
import { FILE_LIST_LIMIT, type ProjectContext, README_EXCERPT_CHARS } from './project-context.js';
import { formatPlanIssues } from './validate-plan.js';
import { processQueryTerm, tokenizeText } from '../context/search-text.js';
import { builtinPrompt } from '../library/bundled-library.js';

/**
 * Version of the planner prompts below. It goes into every cache key that covers a planner call:
 * bump it whenever the wording of {@link PLANNER_SYSTEM_PROMPT}, {@link buildPlannerPrompt} or
 * {@link buildRepairPrompt} changes, so cached plans made with the old wording become dirty.
 */
export const PLANNER_PROMPT_VERSION = 2;

/** Characters of a previous (invalid) answer quoted back to the model in a repair request. */
export const REPAIR_ECHO_CHARS = 6000;

/**
 * The planner's system prompt: the role and the rules every task must follow. It is the bundled
 * library prompt `planner.system@1` (`library/prompts/planner.system@1.yaml`); a `decompose`
 * node reads the newest version of the project's library instead, so a project can override it.
 */
export const PLANNER_SYSTEM_PROMPT = builtinPrompt('planner.system').text;

/** The parent task when decomposing one task of a plan further. */
export interface ParentTaskContext {
  id: string;
  title: string;
  description: string;
  acceptance: string[];
  files?: string[];
  /** titles of the enclosing tasks, outermost first (empty for a top-level task) */
  ancestors?: string[];
  /** the other tasks at the parent's level (id + title), for scope */
  siblings: Array<{ id: string; title: string }>;
}

/** Everything one planner request is built from. */
export interface PlannerPromptInput {
  goal: string;
  project: ProjectContext;
  /** set when decomposing a task instead of the goal */
  parent?: ParentTaskContext;
  /** depth of the tasks this request produces (0 for the goal's tasks) */
  depth: number;
  /** deepest depth a task may have; tasks at this depth are not decomposed again */
  maxDepth: number;
  /** notes from earlier attempts (failures, reviewer remarks), oldest first */
  notes?: string[];
}

/**
 * Builds the user prompt for one planner request: goal, project context (README trimmed to
 * {@link README_EXCERPT_CHARS} characters; the code context when given, else at most
 * {@link FILE_LIST_LIMIT} paths, the most relevant to the goal, with a line counting the rest),
 * the parent task and its siblings when decomposing, notes from earlier attempts, and what to answer.
 * @param input goal, project, parent, depth and notes
 * @returns Markdown text
 */
export function buildPlannerPrompt(input: PlannerPromptInput): string {
  const parts: string[] = [];
  parts.push(`# Goal\n\n${input.goal.trim()}`);
  parts.push(projectSection(input.project, input.goal));
  if (input.project.code?.trim()) {
    parts.push(`# Code (the project's files ranked by relevance to the goal)\n\n${input.project.code.trim()}`);
  }
  if (input.parent) parts.push(parentSection(input.parent));
  const notes = (input.notes ?? []).map((n) => n.trim()).filter((n) => n !== '');
  if (notes.length > 0) {
    parts.push(`# Notes from earlier attempts\n\nTake these into account:\n\n${notes.map((n) => `- ${n.replace(/\n/g, '\n  ')}`).join('\n')}`);
  }
  parts.push(answerSection(input));
  return parts.join('\n\n');
}

/**
 * Builds a repair request: the original prompt, the previous answer (trimmed to
 * {@link REPAIR_ECHO_CHARS} characters, head and tail kept) and the problems found in it.
 * @param prompt the prompt the invalid answer replied to
 * @param previousOutput the model's raw answer
 * @param issues the problems found (schema, unknown ids, cycles ...)
 */
export function buildRepairPrompt(prompt: string, previousOutput: string, issues: readonly PlanIssue[]): string {
  const echo = previousOutput.trim() === '' ? '(empty answer)' : trimMiddle(previousOutput.trim(), REPAIR_ECHO_CHARS);
  return `${prompt}\n\n# Your previous answer\n\n${echo}\n\nYour previous answer had these problems:\n${formatPlanIssues(issues)}\n\nReturn the corrected JSON.`;
}

/**
 * Shortens text to at most about `limit` characters by keeping its head and tail and marking
 * the cut (`[... 1234 characters cut ...]`).
 * @param text any text
 * @param limit characters to keep (values under 20 count as 20)
 */
export function trimMiddle(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const keep = Math.max(20, limit);
  const head = Math.ceil(keep * 0.6);
  const tail = keep - head;
  return `${text.slice(0, head)}\n[... ${text.length - head - tail} characters cut ...]\n${text.slice(text.length - tail)}`;
}

/**
 * Orders paths by relevance to the goal: how many of the goal's terms (stemmed, stop words out)
 * the path's words hold, most first; equal ones keep their given order.
 * @param files repository-relative paths
 * @param goal the goal (and whatever else the request is about)
 */
export function rankPathsByGoal(files: readonly string[], goal: string): string[] {
  const terms = new Set(tokenizeText(goal).flatMap((w) => processQueryTerm(w) ?? []));
  const score = (path: string) => new Set(tokenizeText(path).flatMap((w) => processQueryTerm(w) ?? []).filter((w) => terms.has(w))).size;
  return files
    .map((f, i) => ({ f, i, s: score(f) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.f);
}

function projectSection(project: ProjectContext, goal: string): string {
  const lines: string[] = [`# Project: ${project.name}`];
  if (project.language?.trim()) lines.push(`\nLanguage: ${project.language.trim()}`);
  if (project.vision?.trim()) lines.push(`\n## Vision\n\n${project.vision.trim()}`);
  const commands = project.commands ?? {};
  const commandLines = [
    commands.test ? `- test: \`${commands.test}\`` : '- test: (none configured)',
    ...(commands.build ? [`- build: \`${commands.build}\``] : []),
  ];
  lines.push(`\n## Commands\n\n${commandLines.join('\n')}`);
  const rules = (project.rules ?? []).filter((r) => r.trim() !== '');
  if (rules.length > 0) lines.push(`\n## Rules\n\n${rules.map((r) => `- ${r.trim()}`).join('\n')}`);
  if (project.styleGuide?.trim()) lines.push(`\n## Style guide\n\n${project.styleGuide.trim()}`);
  if (project.readme?.trim()) {
    const readme = project.readme.trim();
    const excerpt = readme.length > README_EXCERPT_CHARS ? `${readme.slice(0, README_EXCERPT_CHARS)}\n[... README cut ...]` : readme;
    lines.push(`\n## README (excerpt)\n\n${excerpt}`);
  }
  const files = project.files ?? [];
  if (files.length > 0 && !project.code?.trim()) {
    // cut by relevance, never by name order; kept in the given order
    const kept = new Set(files.length > FILE_LIST_LIMIT ? rankPathsByGoal(files, goal).slice(0, FILE_LIST_LIMIT) : files);
    const shown = files.filter((f) => kept.has(f));
    const more = files.length > shown.length ? `\n- … and ${files.length - shown.length} more (not shown: least relevant to the goal)` : '';
    lines.push(`\n## Files (${files.length})\n\n${shown.map((f) => `- ${f}`).join('\n')}${more}`);
  }
  return lines.join('\n');
}

function parentSection(parent: ParentTaskContext): string {
  const lines: string[] = ['# Task to decompose', ''];
  const ancestors = parent.ancestors ?? [];
  if (ancestors.length > 0) lines.push(`It is part of: ${ancestors.map((a) => `"${a}"`).join(' > ')}`, '');
  lines.push(`## ${parent.id}: ${parent.title}`, '');
  if (parent.description.trim()) lines.push(parent.description.trim(), '');
  if (parent.acceptance.length > 0) lines.push('Acceptance criteria:', ...parent.acceptance.map((a) => `- ${a}`), '');
  if (parent.files && parent.files.length > 0) lines.push(`Files: ${parent.files.join(', ')}`, '');
  const siblings = parent.siblings.filter((s) => s.id !== parent.id);
  if (siblings.length > 0) {
    lines.push('Other tasks at the same level (done separately; do not repeat their work):', ...siblings.map((s) => `- ${s.id}: ${s.title}`));
  }
  return lines.join('\n').trimEnd();
}

function answerSection(input: PlannerPromptInput): string {
  const what = input.parent
    ? `Decompose task ${input.parent.id} into smaller tasks that together meet all of its acceptance criteria.`
    : 'Decompose the goal into tasks.';
  const ids = input.parent
    ? `Use short ids "1", "2", "3", ... for these subtasks; they become ${input.parent.id}.1, ${input.parent.id}.2, .... Dependencies may only name subtasks in this list.`
    : 'Use ids "T1", "T2", "T3", .... Dependencies may only name tasks in this list.';
  const depth =
    input.depth >= input.maxDepth
      ? 'These tasks will not be decomposed again: make every task atomic ("atomic": true) and small enough for one change.'
      : `Tasks marked "atomic": false will be decomposed again (${input.maxDepth - input.depth} more level${input.maxDepth - input.depth === 1 ? '' : 's'} allowed); prefer atomic tasks when they are small enough.`;
  return [
    '# Your answer',
    '',
    what,
    ids,
    depth,
    `Return between 1 and ${MAX_TASKS_PER_LEVEL} tasks (usually 3 to 10), in the order they should be done, as JSON:`,
    '{"tasks": [{"id": "...", "title": "...", "description": "...", "acceptance": ["..."], "dependencies": ["..."], "atomic": true, "files": ["..."]}]}',
  ].join('\n');
}
