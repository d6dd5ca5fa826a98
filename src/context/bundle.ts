import picomatch from 'picomatch';
import type { ProjectConfig } from '../core/config.js';
import type { Task } from '../core/task.js';

/**
 * SUPERSEDED by `assembleContext` (assemble.ts; types in types.ts, exported from index.ts): this
 * first version stays unchanged, byte for byte in what it renders, until `src/nodes/context.ts`
 * switches over, because the demo cassette (examples/demo.cassette.json) is keyed by the prompts
 * it produces. Switching changes every `edit` prompt, so the cassette must be re-recorded then
 * (`npm run build && node scripts/record-demo-cassette.mjs`).
 *
 * Context bundles (DESIGN.md §7): the ordered, budgeted list of items an `llm` node is given.
 * Tiers, highest first: project index, the task with its notes, outputs of `requires`
 * dependencies, plan siblings (titles), files named by the task, the repository file list.
 * Allocation is greedy in tier order; an item that does not fit is trimmed (head + tail with a
 * marker) or dropped, and the bundle records what was cut.
 *
 * Token counts here are an approximation, ceil(characters / 4) — OpenAI's rule of thumb for
 * English text ("one token is about 4 characters", help.openai.com "What are tokens and how to
 * count them?"). A real tokenizer per model family replaces it with the context-assembly work.
 */

/** One item of a bundle. */
export interface ContextItem {
  /** tier name */
  source: 'project' | 'task' | 'dependency' | 'sibling' | 'file' | 'repo-map';
  title: string;
  text: string;
  /** approximate tokens of `text` */
  tokens: number;
  /** why it is in the bundle */
  why: string;
  /** set when the item was trimmed to fit */
  trimmed?: boolean;
}

/** A built bundle. */
export interface ContextBundle {
  task: string;
  items: ContextItem[];
  /** total approximate tokens */
  tokens: number;
  budget: number;
  /** items left out or trimmed, as `title (reason)` */
  cut: string[];
}

/** What the bundle is built from. */
export interface BundleSources {
  config: ProjectConfig;
  task: Task;
  /** completed `requires` dependencies: task + a summary of what they did */
  dependencies: Array<{ task: Task; summary: string }>;
  siblings: Task[];
  /** repository-relative paths in the worktree */
  files: string[];
  readFile(path: string): Promise<string>;
  /** token budget (approximate tokens) */
  budget: number;
}

/** Approximate token count (see module doc). */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Renders a task with its notes as Markdown. */
export function renderTask(task: Task): string {
  const lines = [`# Task ${task.id}: ${task.title}`, '', task.description];
  if (task.acceptance.length > 0) lines.push('', '## Acceptance criteria', ...task.acceptance.map((a) => `- ${a}`));
  if (task.files.length > 0) lines.push('', `Files: ${task.files.join(', ')}`);
  if (task.notes.length > 0) {
    lines.push('', '## Notes from earlier attempts (fix these problems)', ...task.notes.map((n, i) => `### Note ${i + 1}\n${n}`));
  }
  return lines.join('\n');
}

/**
 * Builds the bundle for a task.
 * @returns the bundle; never more than `budget` approximate tokens
 */
export async function buildTaskBundle(src: BundleSources): Promise<ContextBundle> {
  const candidates: Array<Omit<ContextItem, 'tokens'> & { keep?: boolean }> = [];
  const c = src.config;
  const project = [
    `Project: ${c.name}`,
    c.vision && `Vision: ${c.vision}`,
    c.language && `Language: ${c.language}`,
    c.commands.test && `Test command: ${c.commands.test}`,
    c.commands.build && `Build command: ${c.commands.build}`,
    c.rules.length > 0 && `Rules:\n${c.rules.map((r) => `- ${r}`).join('\n')}`,
    c.styleGuide && `Style guide:\n${c.styleGuide}`,
  ]
    .filter(Boolean)
    .join('\n');
  candidates.push({ source: 'project', title: 'project index', text: project, why: 'tier 1: project index', keep: true });
  candidates.push({ source: 'task', title: `task ${src.task.id}`, text: renderTask(src.task), why: 'tier 2: the task and its notes', keep: true });
  for (const dep of src.dependencies) {
    candidates.push({
      source: 'dependency',
      title: `dependency ${dep.task.id}`,
      text: `Task ${dep.task.id} (${dep.task.title}) is done.\n${dep.summary}`,
      why: `tier 3: ${src.task.id} requires ${dep.task.id}`,
    });
  }
  if (src.siblings.length > 0) {
    candidates.push({
      source: 'sibling',
      title: 'plan siblings',
      text: `Other tasks in the plan:\n${src.siblings.map((s) => `- ${s.id}: ${s.title}`).join('\n')}`,
      why: 'tier 4: plan siblings (titles)',
    });
  }
  const named = src.task.files.length > 0 ? picomatch(src.task.files, { dot: false }) : undefined;
  const fileSet = new Set(src.files);
  for (const path of named ? src.files.filter((f) => named(f)) : []) {
    candidates.push({ source: 'file', title: path, text: `File ${path}:\n\`\`\`\n${await src.readFile(path)}\n\`\`\``, why: `tier 6: named by task ${src.task.id}` });
  }
  for (const f of src.task.files) {
    if (!fileSet.has(f) && !picomatch.scan(f).isGlob) {
      candidates.push({ source: 'file', title: f, text: `File ${f} does not exist yet (create it).`, why: `tier 6: named by task ${src.task.id}` });
    }
  }
  candidates.push({ source: 'repo-map', title: 'repository files', text: `Repository files:\n${src.files.join('\n')}`, why: 'tier 7: repository map (paths)' });

  const items: ContextItem[] = [];
  const cut: string[] = [];
  let used = 0;
  for (const cand of candidates) {
    const { keep: _keep, ...base } = cand;
    const tokens = approxTokens(cand.text);
    const left = src.budget - used;
    if (tokens <= left) {
      items.push({ ...base, tokens });
      used += tokens;
      continue;
    }
    if (left >= 64) {
      const text = trimToTokens(cand.text, left);
      const t = approxTokens(text);
      items.push({ ...base, text, tokens: t, trimmed: true });
      used += t;
      cut.push(`${cand.title} (trimmed from ${tokens} to ${t} tokens)`);
    } else {
      cut.push(`${cand.title} (dropped: ${tokens} tokens, ${left} left)`);
    }
  }
  return { task: src.task.id, items, tokens: used, budget: src.budget, cut };
}

/** Keeps head and tail of `text` within `tokens` approximate tokens, with an explicit marker. */
export function trimToTokens(text: string, tokens: number): string {
  const marker = '\n[... trimmed to fit the token budget ...]\n';
  const chars = tokens * 4 - marker.length;
  if (text.length <= tokens * 4) return text;
  if (chars <= 0) return '';
  const head = Math.floor(chars * 0.6);
  return text.slice(0, head) + marker + text.slice(text.length - (chars - head));
}

/** Renders a bundle as one Markdown document for a prompt. */
export function renderBundle(bundle: ContextBundle): string {
  return bundle.items.map((i) => i.text).join('\n\n---\n\n');
}
