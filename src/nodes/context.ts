import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { Task } from '../core/task.js';
import { buildTaskBundle, type ContextBundle } from '../context/bundle.js';
import { GitWorkspace } from '../workspace/git-workspace.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';

const ContextConfig = z
  .object({
    /** task id in the run's plan */
    task: z.string().min(1),
    /** approximate tokens (see context/bundle.ts) */
    budget: z.number().int().min(256).default(24_000),
  })
  .strict();

/** Config of a `context` node. */
export type ContextConfig = z.infer<typeof ContextConfig>;

/** The parts of a task that shape its context (status is not one: it changes as runs go). */
function taskContent(t: Task): Json {
  return { id: t.id, title: t.title, description: t.description, acceptance: t.acceptance, files: t.files, notes: t.notes, dependencies: t.dependencies };
}

async function loadTask(ctx: NodeContext, id: string): Promise<{ task: Task; siblings: Task[]; all: Task[] }> {
  if (!ctx.planId) throw new TaskgraphError('RUN_STATE', `context node ${ctx.node.id} needs a plan, but the run has none`);
  const all = await ctx.store.listTasks(ctx.planId);
  const task = all.find((t) => t.id === id);
  if (!task) throw new TaskgraphError('NOT_FOUND', `task "${id}" is not in plan ${ctx.planId}`);
  const siblings = all.filter((t) => t.id !== id && t.atomic && t.parent === task.parent);
  return { task, siblings, all };
}

/**
 * `context` nodes (DESIGN.md §4, §7): assemble the context bundle for a task — project index,
 * the task with its notes, what its `requires` dependencies did (inputs named `dep:<taskId>`),
 * plan siblings, files the task names, the repository file list — under a token budget. Output
 * is the bundle (persisted with the attempt, so a person can read what the model saw). Cache key
 * adds the task content (notes included: a failure note dirties the task), sibling titles, the
 * project index and the worktree tree.
 */
export const contextExecutor: NodeExecutor<ContextConfig> = {
  kind: 'context',
  version: 1,
  configSchema: ContextConfig,
  cacheable: true,
  sideEffects: () => false,
  async keyIngredients(config, _inputs, ctx) {
    const { task, siblings } = await loadTask(ctx, config.task);
    const c = ctx.config;
    return {
      task: taskContent(task),
      siblings: siblings.map((s) => `${s.id}: ${s.title}`),
      project: { name: c.name, vision: c.vision, language: c.language, rules: c.rules, styleGuide: c.styleGuide, commands: { ...c.commands } },
      ...(ctx.workspace ? { tree: (await ctx.workspace.snapshot()).tree } : {}),
    };
  },
  async execute(config, inputs, ctx) {
    const { task, siblings, all } = await loadTask(ctx, config.task);
    const dependencies = Object.entries(inputs)
      .filter(([name]) => name.startsWith('dep:'))
      .map(([name, value]) => {
        const id = name.slice(4);
        const dep = all.find((t) => t.id === id);
        return dep ? { task: dep, summary: summarise(value) } : undefined;
      })
      .filter((d): d is { task: Task; summary: string } => d !== undefined);
    const files = ctx.workspace ? await ctx.workspace.listFiles() : [];
    const bundle = await buildTaskBundle({
      config: ctx.config,
      task,
      dependencies,
      siblings,
      files,
      readFile: (p) => ctx.workspace!.readFile(p),
      budget: config.budget,
    });
    return { status: 'succeeded', output: bundle as unknown as Json };
  },
};

function summarise(value: Json): string {
  if (isJsonObject(value)) {
    const files = Array.isArray(value['files']) ? `Changed files: ${value['files'].join(', ')}` : '';
    // the commit message, not its sha: a sha changes with every run and would change the prompt
    const commit = typeof value['message'] === 'string' ? `Commit message: ${value['message'].split('\n')[0]}` : '';
    const text = [files, commit].filter(Boolean).join('\n');
    if (text) return text;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a context preview needs of a project. */
export interface PreviewProject {
  dir: string;
  config: NodeContext['config'];
  store: NodeContext['store'];
}

/**
 * The bundle a task's `context` node would be given in a new run (`taskgraph context preview`):
 * the same assembly, with files read from the project's checkout, and what dependencies did
 * taken from their latest successful commit in any run.
 * @throws TaskgraphError NOT_FOUND for an unknown plan or task
 */
export async function previewTaskContext(project: PreviewProject, planId: string, taskId: string): Promise<ContextBundle> {
  const all = await project.store.listTasks(planId);
  const task = all.find((t) => t.id === taskId);
  if (!task) throw new TaskgraphError('NOT_FOUND', `task "${taskId}" is not in plan ${planId}`, { hint: 'list the plan with `taskgraph graph PLAN --format json`' });
  const siblings = all.filter((t) => t.id !== taskId && t.atomic && t.parent === task.parent);
  const dependencies: Array<{ task: Task; summary: string }> = [];
  for (const id of task.dependencies) {
    const dep = all.find((t) => t.id === id);
    if (!dep) continue;
    const last = await project.store.lastSuccessfulAttempt(`${id}/commit`);
    dependencies.push({ task: dep, summary: last?.output !== undefined ? summarise(last.output) : `status: ${dep.status}` });
  }
  const workspace = new GitWorkspace(project.dir, 'HEAD');
  const files = await workspace.listFiles().catch(() => [] as string[]);
  return buildTaskBundle({
    config: project.config,
    task,
    dependencies,
    siblings,
    files,
    readFile: (p) => workspace.readFile(p),
    budget: ContextConfig.parse({ task: taskId }).budget,
  });
}
