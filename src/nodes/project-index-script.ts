import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { Task } from '../core/task.js';
import type { NodeContext, ScriptFunction } from '../engine/node-executor.js';
import { ensureParsers } from '../context/code/parse.js';
import { buildProjectIndex, goalsIn, INDEX_PATH, type IndexGoal } from '../project/project-index.js';
import { secretRedactor } from '../security/redact.js';
import type { Workspace } from '../workspace/workspace.js';
import { findProjectIndex, runBaseCommit, type FoundProjectIndex, type ProjectIndexOutput } from './project-index-lookup.js';

/** Files larger than this are named in the module map without being read for symbols (bytes). */
const MAX_FILE_BYTES = 256 * 1024;

const IndexArgs = z
  .object({
    /** the plan the run carried out */
    planId: z.string().min(1),
    goal: z.string(),
    /** the plan's atomic tasks in execution order */
    leaves: z.array(z.string()),
    /** also write INDEX.md into the worktree and commit it (taskgraph.yaml `index.commit`) */
    commit: z.boolean().default(false),
  })
  .strict();

/** Arguments of the `project-index` script. */
export type ProjectIndexArgs = z.infer<typeof IndexArgs>;

function parseArgs(raw: Json): ProjectIndexArgs {
  const parsed = IndexArgs.safeParse(raw);
  if (!parsed.success) {
    throw new TaskgraphError('CONFIG_INVALID', `project-index args: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
      hint: 'pass { planId, goal, leaves, commit? } (planning/plan-graph.ts builds the node)',
    });
  }
  return parsed.data;
}

function worktreeOf(ctx: NodeContext): Workspace {
  if (!ctx.workspace) throw new TaskgraphError('RUN_STATE', 'project-index needs a run worktree', { hint: 'run the plan with a worktree (without --no-worktree)' });
  return ctx.workspace;
}

/**
 * The plan's atomic tasks in execution order with their status in this run. A task split by
 * as-needed decomposition (ADaPT) is listed as its subtasks.
 */
async function goalOf(args: ProjectIndexArgs, ctx: NodeContext): Promise<IndexGoal> {
  const all = await ctx.store.listTasks(args.planId);
  const byId = new Map(all.map((t) => [t.id, t]));
  const listed: Task[] = [];
  for (const id of args.leaves) {
    const split = all.filter((t) => t.atomic && t.id.startsWith(`${id}.`));
    const own = byId.get(id);
    if (split.length > 0) listed.push(...split);
    else if (own) listed.push(own);
  }
  const tasks: IndexGoal['tasks'] = [];
  for (const t of listed) tasks.push({ id: t.id, title: t.title, status: (await ctx.store.getRunTask(ctx.runId, t.id))?.status ?? t.status });
  return { planId: args.planId, goal: args.goal, tasks };
}

/** The worktree's files with their text; binary and very large files keep only their path. */
async function worktreeFiles(ws: Workspace): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  for (const path of await ws.listFiles()) {
    if (path === INDEX_PATH) continue;
    const text = await ws.readFile(path).catch(() => '');
    out.push({ path, text: text.length > MAX_FILE_BYTES || text.includes('\0') ? '' : text });
  }
  return out;
}

/** The worktree's INDEX.md, if it has one. */
async function indexFile(ws: Workspace): Promise<string | undefined> {
  return ws.readFile(INDEX_PATH).catch((error: unknown) => {
    if (error instanceof TaskgraphError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  });
}

/** The project index this run started from: the one stored for its base commit (see `project-index-lookup.ts`). */
async function previousIndex(ctx: NodeContext, ws: Workspace): Promise<FoundProjectIndex | undefined> {
  return findProjectIndex(ctx.store, ws, await runBaseCommit(ctx), ctx.runId);
}

/**
 * The `project-index` script of a plan's root node (`index`, see `planning/plan-graph.ts`): after
 * every task of the plan has committed, it builds the project index of the worktree
 * (`project/project-index.ts`: project line, module map, goals done) and returns it as its
 * output, {@link ProjectIndexOutput}, which the store keeps with the run. The earlier goals come
 * from the index the run started from: the stored one of its base commit
 * (`project-index-lookup.ts`), else the goals in the worktree's INDEX.md. Later runs whose base
 * holds this run's commits take the output as tier 1 of their context bundles.
 *
 * By default nothing is written. With `args.commit` (taskgraph.yaml `index.commit: true`) it also
 * rewrites the generated part of INDEX.md in the worktree, keeps the rest of the file, and commits
 * it as `docs(index): update INDEX.md`; then the node has side effects, and `changed` is false (no
 * commit made) when INDEX.md already said the same.
 *
 * Cache key: besides args and inputs, the worktree HEAD + tree it indexes, the goals of the index
 * it started from, the tasks' run statuses and the project's name and vision.
 * @throws TaskgraphError RUN_STATE without a run worktree; CONFIG_INVALID for malformed args
 */
export const projectIndexScript: ScriptFunction = {
  // 3: the module map's symbols come from the tree-sitter parse (context/code/parse.ts)
  version: 3,
  sideEffects: (args) => IndexArgs.safeParse(args).data?.commit === true,
  forecastSafe: true,
  description: 'builds the project index (INDEX.md: module map and goals done) as its output; commits INDEX.md with args.commit',
  async keyIngredients(rawArgs, _inputs, ctx): Promise<Record<string, Json>> {
    const args = parseArgs(rawArgs);
    const ws = worktreeOf(ctx);
    const previous = await previousIndex(ctx, ws);
    return {
      indexed: { ...(await ws.snapshot()) },
      previousGoals: previous ? hashJson(previous.index.goals) : null,
      goal: (await goalOf(args, ctx)) as unknown as Json,
      project: { name: ctx.config.name, vision: ctx.config.vision },
    };
  },
  async run(rawArgs, _inputs, ctx): Promise<Json> {
    const args = parseArgs(rawArgs);
    const ws = worktreeOf(ctx);
    const snapshot = await ws.snapshot();
    const previous = await previousIndex(ctx, ws);
    const existing = await indexFile(ws);
    await ensureParsers();
    const built = buildProjectIndex(args.commit ? existing : undefined, {
      name: ctx.config.name,
      vision: ctx.config.vision,
      files: await worktreeFiles(ws),
      goal: await goalOf(args, ctx),
      history: previous?.index.goals ?? (existing !== undefined ? goalsIn(existing) : []),
    });
    // taskgraph writes this from goal, task and file text: no secret goes into the store or the branch
    const content = secretRedactor().redactValue(built);
    const output: ProjectIndexOutput = {
      kind: 'project-index',
      planId: args.planId,
      path: INDEX_PATH,
      text: content.text,
      head: snapshot.head,
      tree: snapshot.tree,
      project: content.project,
      modules: content.modules,
      goals: content.goals,
      committed: false,
    };
    if (!args.commit) return output as unknown as Json;
    const goal = args.goal.replace(/\s+/g, ' ').trim();
    const message = `docs(index): update ${INDEX_PATH}\n\nGoal: ${goal}\n\nTaskgraph-Plan: ${args.planId}`;
    const changed = content.text !== existing;
    if (changed) await ws.writeFile(INDEX_PATH, content.text);
    // with nothing changed, commit() makes no commit and returns HEAD
    return { ...output, committed: true, commit: await ws.commit(message), message, changed } as unknown as Json;
  },
};
