import picomatch from 'picomatch';
import { renderNotes } from './attempt-edit.js';
import { dependencySummary, fitDependencyDiff, renderDependency } from './dependency-diff.js';
import { failurePins, latestFailure } from './failure-pins.js';
import { parseModelReads } from './model-reads.js';
import { postEditFiles } from './post-edit-files.js';
import type { ProjectConfig } from '../core/config.js';
import type { Task } from '../core/task.js';
import { LOCK_SKIP, rankFiles, type ContextIndex, type Passage } from './context-index.js';
import type { CodeTrim } from './code/trim-code.js';
import { trimCode } from './code/trim-code.js';
import { codeLanguage, ensureParsers } from './code/parse.js';
import { isAboutDocs, retrievalCandidates } from './retrieve.js';
import { excludeMatcher, parseOverride, pathMatcher, resolvePins } from './overrides.js';
import { renderRepoMap } from './repo-map.js';
import { INDEX_PATH, INDEX_START } from '../project/project-index.js';
import { renderIndexItem } from './project-index-item.js';
import { fenceLanguage } from './render.js';
import { taskQuery } from './search-text.js';
import { TIER_OF, type AssembleInput, type ContextSource, type CutEntry, type ItemOrigin } from './types.js';
import type { TokenizerFamily } from './tokenizer.js';

/**
 * The candidate items of a bundle, per tier, in allocation order (types.ts `RANK_OF`), before
 * any budget is applied. Reads files through the input's reader or the index; no other I/O.
 */

/** An item before allocation. */
export interface Candidate {
  source: ContextSource;
  title: string;
  /** heading line (without `# `) */
  heading: string;
  body: string;
  /** fence language when the body is file text ('' = fence without a language) */
  fence?: string;
  why: string;
  origin: ItemOrigin;
  /** may be given to the summarize callback when oversized (else it is trimmed) */
  summarizable?: boolean;
  /** included whole or not at all: never trimmed or summarized (code named by a failure) */
  whole?: boolean;
  /** shortens the body to a token allowance instead of the head + tail trim (a dependency's diff, file by file); '' = nothing fits */
  shrink?: (maxTokens: number) => string;
  /** builds the body for a token allowance instead of trimming it (the repository map) */
  fit?: (maxTokens: number) => { body: string; note: string };
  /** parseable code: shortens the body to a token allowance keeping the relevant symbols (`code/trim-code.ts`); undefined when not even the outline fits */
  trimCode?: (maxTokens: number) => CodeTrim | undefined;
  /** share of the budget this item may take before it is shortened, instead of the assembly's `maxItemShare` */
  share?: number;
}

/** Files named by a task glob that become items at most (more would crowd out every later tier). */
export const MAX_NAMED_FILES = 24;

/**
 * Renders a task with its notes as Markdown (the tier 2 body). A note's recorded edit is shown
 * whole for the latest attempt only, older ones in one line (`attempt-edit.ts` {@link renderNotes}).
 */
export function renderTaskBody(task: Task): string {
  const lines = [task.description];
  if (task.acceptance.length > 0) lines.push('', '## Acceptance criteria', ...task.acceptance.map((a) => `- ${a}`));
  if (task.files.length > 0) lines.push('', `Files: ${task.files.join(', ')}`);
  if (task.notes.length > 0) {
    lines.push('', '## Notes from earlier attempts (fix these problems)', ...renderNotes(task.notes).map((n, i) => `### Note ${i + 1}\n${n}`));
  }
  return lines.join('\n').trim();
}

/** The tier 1 body from taskgraph.yaml: name, vision, language, commands, rules, style guide. */
export function renderProjectIndex(c: ProjectConfig): string {
  return [
    `Project: ${c.name}`,
    c.vision && `Vision: ${c.vision}`,
    c.language && `Language: ${c.language}`,
    c.commands.test && `Test command: ${c.commands.test}`,
    c.commands.build && `Build command: ${c.commands.build}`,
    c.commands.run && `Run command: ${c.commands.run}`,
    c.rules.length > 0 && `Rules:\n${c.rules.map((r) => `- ${r}`).join('\n')}`,
    c.styleGuide && `Style guide:\n${c.styleGuide}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** Lines of a text (a final line break does not start another line); at least 1. */
function lineCount(text: string): number {
  return Math.max(1, text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim())?.trim() ?? '';
}

/** Options the collection needs from the assembly. */
export interface CollectOptions {
  family: TokenizerFamily;
  /** whether the bundle may include the repository map (a non-zero allowance): the project index then leaves out what the map lists */
  repoMap: boolean;
  /** what the repository map ranks against, in words (`task`, `goal`) */
  subject: string;
}

/**
 * Builds the candidates of every tier and the entries cut before allocation (excluded items,
 * missing pins).
 */
export async function collectCandidates(input: AssembleInput, index: ContextIndex, opts: CollectOptions): Promise<{ candidates: Candidate[]; cut: CutEntry[] }> {
  // the candidates' code trimmers and the repository map parse synchronously
  await ensureParsers();
  const out: Candidate[] = [];
  const cut: CutEntry[] = [];
  const excluded = excludeMatcher(input.excludes);
  const task = input.task;
  const repoSet = new Set(input.repoFiles);
  const inFull = new Set<string>(); // paths whose whole text is a candidate already
  const notRetrieved = new Set<string>(); // paths another item already stands for
  const excludeCut = (source: ContextSource, title: string, origin: ItemOrigin, by: string) =>
    cut.push({ source, tier: TIER_OF[source], title, origin, action: 'excluded', tokens: 0, reason: `excluded by override "${by}"` });
  const skippedWhy = new Map(index.skipped.map((s) => [s.path, s.reason]));
  const read = async (path: string): Promise<string> => {
    const indexed = index.files.get(path);
    if (indexed) return indexed.text;
    const why = skippedWhy.get(path);
    // binary and unreadable files are shown as a note; oversized text and lock files are read (and trimmed later)
    if (why !== undefined && !why.startsWith('larger than') && why !== LOCK_SKIP) return `(not shown: ${why})`;
    return input.readFile(path);
  };

  const query = taskQuery(task);
  // parseable code too large for its share keeps its relevant symbols (code/trim-code.ts)
  const codeTrimmer = (path: string, text: string) =>
    codeLanguage(path) !== undefined && !text.startsWith('(not shown: ') ? { trimCode: (maxTokens: number) => trimCode(path, text, query, maxTokens, opts.family) } : {};

  // tier 1: project index
  out.push({ source: 'project', title: 'project index', heading: 'Project index (taskgraph.yaml)', body: renderProjectIndex(input.config), why: 'tier 1: project vision, rules, style guide and commands', origin: { config: 'taskgraph.yaml' } });
  if (input.projectIndex) {
    const by = excluded.path(INDEX_PATH);
    const title = 'project index (INDEX.md)';
    const origin: ItemOrigin = { planId: input.projectIndex.planId };
    if (by) excludeCut('project', title, origin, by);
    else {
      const body = renderIndexItem(input.projectIndex, { repoMap: opts.repoMap, keep: (p) => repoSet.has(p) && !excluded.path(p) && !index.noise.has(p) });
      const why = `tier 1: the project index, output of plan ${input.projectIndex.planId}'s root task${opts.repoMap ? ' (files and symbols: see the repository map)' : ''}`;
      if (body) out.push({ source: 'project', title, heading: 'Project index (INDEX.md, kept by taskgraph)', body, why, origin, summarizable: true });
    }
    // an INDEX.md committed by `index.commit: true` says it all again: no retrieval of it (pins still may)
    if (repoSet.has(INDEX_PATH) && (await read(INDEX_PATH)).includes(INDEX_START)) notRetrieved.add(INDEX_PATH);
  }

  // tier 2: the task with its notes
  out.push({ source: 'task', title: `task ${task.id}`, heading: `Task ${task.id}: ${task.title}`, body: renderTaskBody(task), why: 'tier 2: the task and its notes', origin: { taskId: task.id } });

  // tier 10, allocated third: the code the latest failure names, whole blocks
  out.push(...(await failureCandidates(input, read, excluded, excludeCut)));

  // tier 9, allocated fourth: pins
  const known = new Map<string, Task>();
  for (const t of [...(input.allTasks ?? []), ...input.siblings, ...input.refers, ...input.requires.map((r) => r.task)]) known.set(t.id, t);
  const outputs = new Map<string, string>(input.earlierOutputs.map((o) => [o.taskId, o.text]));
  for (const r of input.requires) outputs.set(r.task.id, r.output);
  const pinnedTasks = new Set<string>();
  for (const pin of resolvePins(input.pins, input.repoFiles, new Set([...known.keys(), ...outputs.keys()]))) {
    if (pin.kind === 'missing') {
      cut.push({ source: 'pin', tier: 9, title: pin.pin, origin: {}, action: 'missing', tokens: 0, reason: `pin "${pin.pin}" names no repository file and no task of the plan` });
    } else if (pin.kind === 'task') {
      const by = excluded.task(pin.taskId);
      const t = known.get(pin.taskId);
      const title = `task ${pin.taskId}`;
      if (by) excludeCut('pin', title, { taskId: pin.taskId }, by);
      else {
        const out0 = outputs.get(pin.taskId);
        const body = [t ? `Status: ${t.status}\n${t.description}`.trim() : '', out0 !== undefined ? `## Output\n${out0}` : ''].filter(Boolean).join('\n\n');
        out.push({ source: 'pin', title, heading: `Pinned task ${pin.taskId}${t ? `: ${t.title}` : ''}`, body, why: `tier 9 (pinned): "${pin.pin}"`, origin: { taskId: pin.taskId }, summarizable: true });
        pinnedTasks.add(pin.taskId);
      }
    } else {
      for (const path of pin.paths) {
        const by = excluded.path(path);
        if (by) excludeCut('pin', path, { path }, by);
        else if (!inFull.has(path)) {
          const text = await read(path);
          out.push({ source: 'pin', title: path, heading: `Pinned file ${path}`, body: text, fence: fenceLanguage(path), why: `tier 9 (pinned): "${pin.pin}"`, origin: { path, lines: [1, lineCount(text)] }, summarizable: true, ...codeTrimmer(path, text) });
          inFull.add(path);
        }
      }
    }
  }

  // tier 3: what `requires` dependencies changed (their commit's diff), else their outputs
  for (const dep of input.requires) {
    const title = `dependency ${dep.task.id}`;
    const by = excluded.task(dep.task.id);
    if (by) excludeCut('dependency', title, { taskId: dep.task.id }, by);
    else if (!pinnedTasks.has(dep.task.id)) {
      const why = `tier 3: ${task.id} requires ${dep.task.id}`;
      const change = dep.change;
      if (change) {
        // what the dependency's commit changed: summary line + diff, trimmed file by file (never summarized)
        const summary = dependencySummary(`${dep.task.id} ${dep.task.title}`, change);
        out.push({ source: 'dependency', title, heading: `Change made by required task ${dep.task.id}: ${dep.task.title}`, body: renderDependency(summary, change), why: `${why} (the diff of its commit)`, origin: { taskId: dep.task.id }, shrink: (max) => fitDependencyDiff(summary, change, max, opts.family, query) });
      } else out.push({ source: 'dependency', title, heading: `Output of required task ${dep.task.id}: ${dep.task.title}`, body: dep.output, why, origin: { taskId: dep.task.id }, summarizable: true });
    }
  }

  // tier 4: plan siblings, titles and status
  const siblings = input.siblings.filter((s) => s.id !== task.id && !excluded.task(s.id));
  if (siblings.length > 0) {
    out.push({ source: 'sibling', title: 'plan siblings', heading: 'Other tasks in this plan', body: siblings.map((s) => `- ${s.id} [${s.status}]: ${s.title}`).join('\n'), why: 'tier 4: plan siblings (titles and status)', origin: {} });
  }
  for (const s of input.siblings) {
    const by = excluded.task(s.id);
    if (by && s.id !== task.id) excludeCut('sibling', `sibling ${s.id}`, { taskId: s.id }, by);
  }

  // tier 5: `refers` links, in short
  const refers = input.refers.filter((r) => {
    const by = excluded.task(r.id);
    if (by) excludeCut('refers', `refers ${r.id}`, { taskId: r.id }, by);
    return !by;
  });
  if (refers.length > 0) {
    out.push({ source: 'refers', title: 'referenced tasks', heading: 'Tasks this task refers to', body: refers.map((r) => `- ${r.id} [${r.status}]: ${r.title}${firstLine(r.description) ? ` — ${firstLine(r.description)}` : ''}`).join('\n'), why: `tier 5: ${task.id} refers to ${refers.map((r) => r.id).join(', ')}`, origin: {}, summarizable: true });
  }

  // tier 6: files named by the task (paths or globs) or by its earlier edits
  const named: Array<{ path: string; why: string }> = [];
  const seenNamed = new Set<string>();
  for (const [spec, why] of [...task.files.map((f) => [f, `named by task ${task.id}`] as const), ...input.files.map((f) => [f, `edited by an earlier attempt of ${task.id}`] as const)]) {
    const clean = spec.replace(/^\.\//, '');
    const isGlob = picomatch.scan(clean).isGlob;
    const matches = input.repoFiles.filter(pathMatcher(clean)).sort();
    if (matches.length === 0 && !isGlob && !seenNamed.has(clean)) {
      seenNamed.add(clean);
      const by = excluded.path(clean);
      if (by) excludeCut('file', clean, { path: clean }, by);
      else out.push({ source: 'file', title: clean, heading: `File ${clean}`, body: 'This file does not exist yet (create it).', why: `tier 6: ${why}`, origin: { path: clean } });
    }
    for (const path of matches) {
      if (seenNamed.has(path)) continue;
      seenNamed.add(path);
      named.push({ path, why: isGlob ? `${why} (glob ${clean})` : why });
    }
  }
  let namedCount = 0;
  for (const { path, why } of named) {
    const by = excluded.path(path);
    if (by) {
      excludeCut('file', path, { path }, by);
      continue;
    }
    if (inFull.has(path)) continue;
    if (namedCount >= MAX_NAMED_FILES) {
      cut.push({ source: 'file', tier: 6, title: path, origin: { path }, action: 'dropped', tokens: 0, reason: `more than ${MAX_NAMED_FILES} named files; pin it to include it` });
      continue;
    }
    namedCount++;
    const text = await read(path);
    out.push({ source: 'file', title: path, heading: `File ${path}`, body: text, fence: fenceLanguage(path), why: `tier 6: ${why}`, origin: { path, lines: [1, lineCount(text)] }, summarizable: true, ...codeTrimmer(path, text) });
    inFull.add(path);
  }

  // tier 7: repository map
  const allowPath = (p: string) => !excluded.path(p);
  out.push({
    source: 'repo-map',
    title: 'repository map',
    heading: `Repository map (files by relevance to the ${opts.subject}, with exported symbols)`,
    body: '',
    why: 'tier 7: files ranked by BM25 of path + exported symbols against the task',
    origin: {},
    fit: (maxTokens) => {
      const ranked = rankFiles(index, query, allowPath);
      const map = renderRepoMap(ranked, maxTokens, opts.family, opts.subject);
      return { body: map.text, note: `${map.listed} of ${ranked.length} files listed, ${map.withSymbols.length} with symbols` };
    },
  });

  // excludes that removed repository files from the map and retrieval: one entry per override
  for (const raw of input.excludes) {
    const spec = parseOverride(raw);
    const n = spec.kind === 'task' ? 0 : input.repoFiles.filter(pathMatcher(spec.value)).length;
    if (n > 0) cut.push({ source: 'retrieval', tier: 8, title: raw, origin: {}, action: 'excluded', tokens: 0, reason: `excluded by override "${raw}": ${n} repository file${n === 1 ? '' : 's'} left out of the map and retrieval` });
  }

  // tier 8: retrieval over repository files, earlier outputs and docs
  const requiresIds = new Set(input.requires.map((r) => r.task.id));
  const allow = (p: Passage): boolean => {
    if (p.kind === 'output') return p.taskId !== undefined && !excluded.task(p.taskId) && !requiresIds.has(p.taskId) && !pinnedTasks.has(p.taskId);
    return p.path !== undefined && !excluded.path(p.path) && !(p.kind === 'file' && (inFull.has(p.path) || notRetrieved.has(p.path)));
  };
  out.push(...retrievalCandidates(index, { budget: input.budget, family: opts.family, query, aboutDocs: isAboutDocs(task), allow }));
  return { candidates: out, cut };
}

/**
 * The items of tier 10: each block the task's latest failure note names (`failure-pins.ts`),
 * whole (never trimmed: `whole`), headed with its path and lines; `why` says "named by the
 * failure of attempt N" and what named it. Excluded paths are left out (and said so).
 */
async function failureCandidates(
  input: AssembleInput,
  read: (path: string) => Promise<string>,
  excluded: ReturnType<typeof excludeMatcher>,
  excludeCut: (source: ContextSource, title: string, origin: ItemOrigin, by: string) => void,
): Promise<Candidate[]> {
  const failure = latestFailure(input.task.notes);
  if (!failure) return [];
  const out: Candidate[] = [];
  // the failure happened in the files as the attempt's applied edit left them; the worktree is back at the task's start
  const post = failure.edit?.status === 'applied' ? postEditFiles(failure.edit.text, read) : undefined;
  const files = post ? [...new Set([...input.repoFiles, ...post.created])] : input.repoFiles;
  for (const pin of await failurePins(failure.text, files.filter((p) => !excluded.path(p)), post?.read ?? read)) {
    const title = `${pin.path}:${pin.start}-${pin.end}`;
    const origin: ItemOrigin = { path: pin.path, lines: [pin.start, pin.end] };
    const by = excluded.path(pin.path);
    if (by) {
      excludeCut('failure', title, origin, by);
      continue;
    }
    const what = pin.kind === 'function' ? 'the enclosing block' : 'the lines around it';
    out.push({
      source: 'failure',
      title,
      heading: `Named by the failure of attempt ${failure.attempt}: ${pin.path} lines ${pin.start}-${pin.end}${post?.edited.has(pin.path) ? `, as attempt ${failure.attempt} left it (its edit is undone in the worktree)` : ''}`,
      body: pin.text,
      fence: fenceLanguage(pin.path),
      why: `tier 10: named by the failure of attempt ${failure.attempt} (${pin.named.join(', ')}): ${what}${post?.edited.has(pin.path) ? `, as that attempt's edit left it` : ''}`,
      origin,
      whole: true,
    });
  }
  // what the model asked for with its tools in that attempt (`model-reads.ts`), unless shown already
  const asked = parseModelReads(failure.text);
  const repoSet = new Set(input.repoFiles);
  for (const r of asked?.reads ?? []) {
    if (!repoSet.has(r.path) || out.some((c) => c.origin.path === r.path && c.origin.lines && c.origin.lines[0] <= r.start && c.origin.lines[1] >= r.end)) continue;
    const title = `${r.path}:${r.start}-${r.end}`;
    const origin: ItemOrigin = { path: r.path, lines: [r.start, r.end] };
    const by = excluded.path(r.path);
    if (by) {
      excludeCut('failure', title, origin, by);
      continue;
    }
    const lines = (await read(r.path)).split('\n');
    if (r.start > lines.length) continue;
    out.push({
      source: 'failure',
      title,
      heading: `Asked for by the model in attempt ${asked!.attempt}: ${r.path} lines ${r.start}-${Math.min(r.end, lines.length)}`,
      body: lines.slice(r.start - 1, r.end).join('\n'),
      fence: fenceLanguage(r.path),
      why: `tier 10: asked for by the model in attempt ${asked!.attempt} (${r.tool})`,
      origin,
      whole: true,
    });
  }
  return out;
}
