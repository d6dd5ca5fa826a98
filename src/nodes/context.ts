import picomatch from 'picomatch';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { Task } from '../core/task.js';
import { assembleContext } from '../context/assemble.js';
import { buildContextIndex } from '../context/context-index.js';
import { ContextIndexCache } from '../context/index-cache.js';
import { markedGenerated } from '../context/file-filter.js';
import { dependencyChange } from '../context/dependency-diff.js';
import { docGlobs, isDocUrl, webDocs } from '../context/web-docs.js';
import { hashJson } from '../core/hash.js';
import { tokenizerFamily } from '../context/tokenizer.js';
import type { AssembleInput, ContextBundle, SummarizeFn } from '../context/types.js';
import { builtinPromptFor, promptIngredients } from '../library/prompt-source.js';
import { renderPrompt } from '../library/prompt-render.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { sumUsage } from '../core/usage.js';
import type { Store, Usage } from '../store/store.js';
import { GitWorkspace } from '../workspace/git-workspace.js';
import { findProjectIndex, runBaseCommit, type FoundProjectIndex } from './project-index-lookup.js';
import type { Workspace } from '../workspace/workspace.js';

const ContextConfig = z
  .object({
    /** task id in the run's plan */
    task: z.string().min(1),
    /** tokens the rendered bundle may use; default taskgraph.yaml `contextBudget` */
    budget: z.number().int().min(256).optional(),
  })
  .strict();

/** Config of a `context` node. */
export type ContextConfig = z.infer<typeof ContextConfig>;

/** Where a context is assembled from: a run (worktree, run-local statuses) or a preview. */
interface ContextSite {
  store: Store;
  config: NodeContext['config'];
  planId: string;
  workspace: Pick<Workspace, 'listFiles' | 'readFile' | 'dir'>;
  /** run-local status of a task ('pending' when it has not started in this run) */
  statusOf(taskId: string): Promise<string>;
  /** text of what other tasks' edits produced so far (retrieval) */
  earlierOutputs(all: Task[], self: string): Array<{ taskId: string; text: string }>;
  /** paths the task's earlier edits touched */
  editedFiles(taskId: string): Promise<string[]>;
  summarize?: SummarizeFn;
  /** a key for everything the retrieval index is built from, when indexes may be reused (see INDEX_CACHE) */
  indexKey?(earlierOutputs: Array<{ taskId: string; text: string }>): string;
  /** the project index an earlier plan's root task produced for the base commit, if any (tier 1) */
  projectIndex(): Promise<FoundProjectIndex | undefined>;
}

/** Retrieval indexes of this process, reused by context nodes that see the same worktree tree (a task's retry). */
const INDEX_CACHE = new ContextIndexCache(2);

/** The store-side facts of a task's context: cheap reads, enough for the cache key. */
interface TaskFacts {
  task: Task;
  all: Task[];
  siblings: Task[];
  refers: Task[];
  pins: string[];
  excludes: string[];
}

/** Reads the task, its siblings (with run-local status), its `refers` links and its pins/excludes. */
async function taskFacts(site: ContextSite, taskId: string): Promise<TaskFacts> {
  const all = await site.store.listTasks(site.planId);
  const task = all.find((t) => t.id === taskId);
  if (!task) throw new TaskgraphError('NOT_FOUND', `task "${taskId}" is not in plan ${site.planId}`);
  const siblings: Task[] = [];
  for (const t of all) {
    if (t.id !== taskId && t.atomic && t.parent === task.parent) siblings.push({ ...t, status: (await site.statusOf(t.id)) as Task['status'] });
  }
  const links = await site.store.listLinks(site.planId, taskId);
  const refers = links.filter((l) => l.type === 'refers' && l.from === taskId).map((l) => all.find((t) => t.id === l.to)).filter((t): t is Task => !!t);
  const overrides = await site.store.getContextOverrides(site.planId, taskId);
  return { task, all, siblings, refers, pins: overrides.pins, excludes: overrides.excludes };
}

/** The tokenizer family of the coder profile. */
function familyOf(config: NodeContext['config']): AssembleInput['family'] {
  const coder = config.models[config.roles.coder];
  return tokenizerFamily(coder ? { provider: coder.provider, model: coder.model } : undefined);
}

/**
 * Collects everything the assembly needs for a task (DESIGN.md §7): the task facts above, the
 * outputs of its `requires` dependencies (inputs `dep:<id>`), files from earlier edits, the
 * repository, knowledge docs (taskgraph.yaml `docs:` globs) and earlier task outputs.
 */
async function assembleInput(site: ContextSite, taskId: string, deps: Record<string, Json>, budget: number): Promise<AssembleInput> {
  const { task, all, siblings, refers, pins, excludes } = await taskFacts(site, taskId);
  const requires: AssembleInput['requires'] = [];
  for (const [id, value] of Object.entries(deps)) {
    const dep = all.find((t) => t.id === id);
    if (!dep) continue;
    // the dependency's commit (its `commit` node's output): the tier shows that commit's diff
    const sha = isJsonObject(value) && typeof value['commit'] === 'string' ? value['commit'] : undefined;
    const message = isJsonObject(value) && typeof value['message'] === 'string' ? value['message'] : undefined;
    const change = sha ? await dependencyChange(site.workspace.dir, sha, message) : undefined;
    requires.push({ task: dep, output: describeOutput(value), ...(change ? { change } : {}) });
  }
  const repoFiles = await site.workspace.listFiles();
  const globs = docGlobs(site.config.docs);
  const docMatch = globs.length > 0 ? picomatch(globs) : undefined;
  const docs: AssembleInput['docs'] = [];
  for (const path of docMatch ? repoFiles.filter((f) => docMatch(f)) : []) docs.push({ path, text: await site.workspace.readFile(path) });
  // `docs:` URLs: web pages as Markdown (issue 16), after the repository's docs
  for (const doc of await webDocs(site.config)) docs.push({ path: doc.path, text: doc.text });
  const readFile = (p: string) => site.workspace.readFile(p);
  const earlierOutputs = site.earlierOutputs(all, taskId);
  const build = () => buildContextIndex({ repoFiles, readFile, docs, earlierOutputs, marked: (paths) => markedGenerated(site.workspace.dir, paths) });
  const index = site.indexKey ? await INDEX_CACHE.get(site.indexKey(earlierOutputs), build) : await build();
  const found = await site.projectIndex();
  return {
    config: site.config,
    task,
    requires,
    siblings,
    refers,
    files: await site.editedFiles(taskId),
    repoFiles,
    readFile,
    earlierOutputs,
    docs,
    pins,
    excludes,
    budget,
    family: familyOf(site.config),
    allTasks: all,
    ...(site.summarize ? { summarize: site.summarize } : {}),
    index,
    ...(found ? { projectIndex: { planId: found.index.planId, modules: found.index.modules, goals: found.index.goals } } : {}),
  };
}

/**
 * A summarizer on the `cheap` model profile, when one is configured. Each call's tokens and USD
 * are added to `spent`, so the context node reports them as its usage (run totals, budgets).
 */
function cheapSummarizer(ctx: NodeContext, spent?: { usage: Usage }): SummarizeFn | undefined {
  if (!ctx.models || !ctx.config.models['cheap']) return undefined;
  const models = ctx.models;
  return async (text, maxTokens) => {
    // the summariser's system prompt, through the project's library (`summariser.system`, newest version)
    const system = await builtinPromptFor(ctx, 'summariser.system');
    const response = await models.generate({
      profile: 'cheap',
      system: renderPrompt(system, { maxTokens }),
      prompt: text,
      label: `${ctx.node.id} (summary)`,
      signal: ctx.signal,
    });
    if (spent) spent.usage = sumUsage(spent.usage, response.usage);
    return response.text;
  };
}

/**
 * Tasks in parallel (issue 10): the other tasks whose commits this task's worktree starts from
 * (integrated into the run branch at or before its start commit). Sibling statuses and earlier
 * edits are read from those only, so the context — and its cache key — does not depend on what
 * the tasks running beside it happen to have done so far. Undefined for a task of the shared
 * worktree (there the plan's order already fixes what came before).
 */
async function parallelBase(ctx: NodeContext, task: string): Promise<ReadonlySet<string> | undefined> {
  const own = await ctx.store.getRunTask(ctx.runId, task);
  if (!own?.worktree || !own.startCommit || !ctx.workspace) return undefined;
  const base = new Set<string>();
  for (const t of await ctx.store.listRunTasks(ctx.runId)) {
    if (t.taskId !== task && t.integratedCommit && (await ctx.workspace.isAncestor(t.integratedCommit, own.startCommit))) base.add(t.taskId);
  }
  return base;
}

function runSite(ctx: NodeContext, spent?: { usage: Usage }, base?: ReadonlySet<string>): ContextSite {
  if (!ctx.planId) throw new TaskgraphError('RUN_STATE', `context node ${ctx.node.id} needs a plan, but the run has none`);
  if (!ctx.workspace) throw new TaskgraphError('RUN_STATE', `context node ${ctx.node.id} needs the run's worktree`);
  const summarize = cheapSummarizer(ctx, spent);
  return {
    store: ctx.store,
    config: ctx.config,
    planId: ctx.planId,
    workspace: ctx.workspace,
    statusOf: async (id) => (base ? (base.has(id) ? 'done' : 'pending') : ((await ctx.store.getRunTask(ctx.runId, id))?.status ?? 'pending')),
    earlierOutputs: (all, self) =>
      all.flatMap((t) => {
        const out = t.id === self || (base && !base.has(t.id)) ? undefined : ctx.outputOf(`${t.id}/edit`);
        return isJsonObject(out) && typeof out['text'] === 'string' ? [{ taskId: t.id, text: out['text'] }] : [];
      }),
    // files the task's earlier edits touched are kept on the task itself (see nodes/apply.ts), so
    // they are part of the task's content; nothing run-local is needed here
    editedFiles: async () => [],
    ...(summarize ? { summarize } : {}),
    // the worktree tree (hashed in this attempt's key ingredients) covers every file and doc the
    // index reads; earlier outputs are not in it. Without ingredients (outside the engine) no reuse.
    ...(ctx.ingredients?.extra['tree'] ? { indexKey: (earlier) => hashJson({ tree: ctx.ingredients!.extra['tree'], docs: ctx.config.docs, earlier }) } : {}),
    projectIndex: async () => findProjectIndex(ctx.store, ctx.workspace!, await runBaseCommit(ctx), ctx.runId),
  };
}

function depInputs(inputs: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(inputs).filter(([k]) => k.startsWith('dep:')).map(([k, v]) => [k.slice(4), v]));
}

/**
 * `context` nodes (DESIGN.md §4, §7): assemble the context bundle for a task under a token budget
 * (`context/assemble.ts`: tiers in order, greedy allocation, trimming or summarizing with the
 * `cheap` profile, never over budget). The output is the bundle, persisted with the attempt: its
 * items, where each came from, tokens, why it is there and what was cut. The cache key adds
 * everything the bundle is made of that is not already an input: the task (notes included), the
 * siblings' titles and run-local status, `refers` links, pins and excludes, docs globs, earlier
 * outputs, the project's taskgraph.yaml facts, the stored project index it shows (its hash: the
 * index of the run's base commit, `project-index-lookup.ts`), the budget and tokenizer, and the
 * worktree tree (files and docs). A retry's bundle also shows the previous attempt's edit and
 * the code its failure names (`context/attempt-edit.ts`, `context/failure-pins.ts`): both are
 * made from the task's notes and the worktree's files, so the key above covers them. Tier 3
 * shows the diff of each dependency's commit: its sha is the `dep:<id>` input, so in the key.
 * Which files are noise (`context/file-filter.ts`) follows from the worktree tree.
 * The `llm` node that reads the bundle takes it as an input, so the bundle's hash (its manifest)
 * is in the llm node's key.
 */
export const contextExecutor: NodeExecutor<ContextConfig> = {
  kind: 'context',
  // 3: a retry's bundle holds the code its latest failure names (tier 10) and the previous edit
  // 4: retrieval fills the budget (whole files, code-aware trimming), tree-sitter symbols in the map
  // 5: tier 3 shows the diff of a dependency's commit; noise (generated, lock, minified, copies) leaves the map and retrieval
  version: 4,
  configSchema: ContextConfig,
  cacheable: true,
  needsWorkspace: true,
  sideEffects: () => false,
  // reads the store and the worktree only; a summary call goes through ctx.models, which a
  // forecast replaces with one that refuses (the forecast then says the bundle is not known)
  forecastSafe: () => true,
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    // only the store-side facts: files and docs are covered by the worktree tree
    const site = runSite(ctx, undefined, await parallelBase(ctx, config.task));
    const facts = await taskFacts(site, config.task);
    const c = ctx.config;
    return {
      task: taskContent(facts.task),
      siblings: facts.siblings.map((s) => `${s.id}: ${s.title} [${s.status}]`),
      refers: facts.refers.map((t) => taskContent(t)),
      overrides: { pins: facts.pins, excludes: facts.excludes },
      earlier: site.earlierOutputs(facts.all, config.task).map((o) => `${o.taskId}:${o.text.length}:${o.text.slice(0, 64)}`),
      project: { name: c.name, vision: c.vision, language: c.language, rules: c.rules, styleGuide: c.styleGuide, commands: { ...c.commands }, docs: c.docs },
      budget: config.budget ?? c.contextBudget,
      family: familyOf(c),
      summarizer: site.summarize ? (c.models['cheap']?.model ?? 'cheap') : null,
      // the summariser's prompt (issue 14): a new version dirties the context nodes that may summarise
      ...(site.summarize ? promptIngredients([await builtinPromptFor(ctx, 'summariser.system')]) : {}),
      tree: (await ctx.workspace!.snapshot()).tree,
      index: (await site.projectIndex())?.hash ?? null,
      deps: Object.keys(depInputs(inputs)),
      // `docs:` URLs: the pages' content (the tree covers the repository's docs only)
      ...(c.docs.some(isDocUrl) ? { webDocs: (await webDocs(c, ctx.signal)).map((d) => d.hash) } : {}),
    };
  },
  async execute(config, inputs, ctx) {
    const spent = { usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 } as Usage };
    const input = await assembleInput(runSite(ctx, spent, await parallelBase(ctx, config.task)), config.task, depInputs(inputs), config.budget ?? ctx.config.contextBudget);
    const output = (await assembleContext(input)) as unknown as Json;
    return { status: 'succeeded', output, ...(spent.usage.calls > 0 ? { usage: spent.usage } : {}) };
  },
};

/** The parts of a task that shape its context (its plan-wide status is not one). */
function taskContent(t: Task): Json {
  return { id: t.id, title: t.title, description: t.description, acceptance: t.acceptance, files: t.files, notes: t.notes, dependencies: t.dependencies };
}

/** What a dependency did, as text: its commit message and changed files (never a sha, which changes with every run). */
function describeOutput(value: Json): string {
  if (isJsonObject(value)) {
    const files = Array.isArray(value['files']) ? `Changed files: ${value['files'].join(', ')}` : '';
    const commit = typeof value['message'] === 'string' ? `Commit message: ${value['message']}` : '';
    const text = [commit, files].filter(Boolean).join('\n');
    if (text) return text;
  }
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** What a context preview needs of a project. */
export interface PreviewProject {
  dir: string;
  config: NodeContext['config'];
  store: Store;
}

/**
 * The bundle a task's `context` node would be given in a new run (`taskgraph context preview`):
 * the same assembly, with files read from the project's checkout (HEAD and working files), the
 * task's stored pins and excludes, what dependencies did taken from their latest successful
 * commit in any run, and the stored project index of the checkout's HEAD.
 * @throws TaskgraphError NOT_FOUND for an unknown plan or task
 */
export async function previewTaskContext(project: PreviewProject, planId: string, taskId: string): Promise<ContextBundle> {
  const task = await project.store.getTask(planId, taskId);
  if (!task) throw new TaskgraphError('NOT_FOUND', `task "${taskId}" is not in plan ${planId}`, { hint: 'list the plan with `taskgraph graph PLAN --format json`' });
  const deps: Record<string, Json> = {};
  for (const id of task.dependencies) {
    const last = await project.store.lastSuccessfulAttempt(`${id}/commit`);
    if (last?.output !== undefined) deps[id] = last.output;
  }
  const workspace = new GitWorkspace(project.dir, 'HEAD');
  const site: ContextSite = {
    store: project.store,
    config: project.config,
    planId,
    workspace,
    statusOf: async () => 'pending',
    earlierOutputs: () => [],
    editedFiles: async () => [],
    // a new run starts from the checkout's HEAD
    projectIndex: async () => findProjectIndex(project.store, workspace, (await workspace.commitSnapshot('HEAD')).head),
  };
  return assembleContext(await assembleInput(site, taskId, deps, project.config.contextBudget));
}
