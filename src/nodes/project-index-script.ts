import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import type { Task } from '../core/task.js';
import type { NodeContext, ScriptFunction } from '../engine/node-executor.js';
import { INDEX_PATH, renderIndexDocument, type IndexGoal } from '../project/project-index.js';
import { secretRedactor } from '../security/redact.js';

/** Files larger than this are named in the module map without being read for symbols (bytes). */
const MAX_FILE_BYTES = 256 * 1024;

const IndexArgs = z
  .object({
    /** the plan the run carried out */
    planId: z.string().min(1),
    goal: z.string(),
    /** the plan's atomic tasks in execution order */
    leaves: z.array(z.string()),
  })
  .strict();

/** Arguments of the `project-index` script. */
export type ProjectIndexArgs = z.infer<typeof IndexArgs>;

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
async function worktreeFiles(ctx: NodeContext): Promise<Array<{ path: string; text: string }>> {
  const ws = ctx.workspace!;
  const out: Array<{ path: string; text: string }> = [];
  for (const path of await ws.listFiles()) {
    if (path === INDEX_PATH) continue;
    const text = await ws.readFile(path).catch(() => '');
    out.push({ path, text: text.length > MAX_FILE_BYTES || text.includes('\0') ? '' : text });
  }
  return out;
}

/**
 * The `project-index` script of a plan's root node (`index`, see `planning/plan-graph.ts`): after
 * every task of the plan has committed, it rewrites the generated part of INDEX.md in the run's
 * worktree (project line, module map, goals done; `project/project-index.ts`), keeps the rest of
 * the file, and commits it as `docs(index): update INDEX.md`. The next run's context bundles
 * read it as tier 1. Returns `{ commit, message, path, changed }`; `changed` is false (and no
 * commit is made) when INDEX.md already said the same.
 * @throws TaskgraphError RUN_STATE without a run worktree; CONFIG_INVALID for malformed args
 */
export const projectIndexScript: ScriptFunction = {
  version: 1,
  sideEffects: true,
  forecastSafe: true,
  description: 'writes and commits INDEX.md, the project index (module map and goals done)',
  async run(rawArgs, _inputs, ctx): Promise<Json> {
    if (!ctx.workspace) throw new TaskgraphError('RUN_STATE', 'project-index needs a run worktree');
    const parsed = IndexArgs.safeParse(rawArgs);
    if (!parsed.success) {
      throw new TaskgraphError('CONFIG_INVALID', `project-index args: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
        hint: 'pass { planId, goal, leaves } (planning/plan-graph.ts builds the node)',
      });
    }
    const args = parsed.data;
    const existing = await ctx.workspace.readFile(INDEX_PATH).catch((error: unknown) => {
      if (error instanceof TaskgraphError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    });
    // taskgraph writes this file from goal and task text: no secret goes into the branch
    const next = secretRedactor().redact(renderIndexDocument(existing, {
      name: ctx.config.name,
      vision: ctx.config.vision,
      files: await worktreeFiles(ctx),
      goal: await goalOf(args, ctx),
    }));
    const goal = args.goal.replace(/\s+/g, ' ').trim();
    const message = `docs(index): update ${INDEX_PATH}\n\nGoal: ${goal}\n\nTaskgraph-Plan: ${args.planId}`;
    const changed = next !== existing;
    if (changed) await ctx.workspace.writeFile(INDEX_PATH, next);
    // with nothing changed, commit() makes no commit and returns HEAD
    return { commit: await ctx.workspace.commit(message), message, path: INDEX_PATH, changed };
  },
};
