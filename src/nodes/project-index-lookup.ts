import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { INDEX_NODE_ID } from '../planning/plan-graph.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';

/**
 * The project index a run builds on: the output of an earlier plan's root `index` node
 * (`project-index-script.ts`), kept in the store. A run uses the newest such output whose indexed
 * commit is its base commit or an ancestor of it — the index of a tree the run's worktree holds.
 * A branch that was never merged therefore never feeds a later run (as an unmerged INDEX.md
 * commit did not), and a second run of the same goal from the same base sees exactly what the
 * first saw, so its nodes stay cache hits.
 */

/** How many of the newest `index` outputs a lookup looks at, newest first. */
export const INDEX_LOOKBACK = 20;

const ModuleEntrySchema = z.object({
  path: z.string(),
  files: z.number().int().nonnegative().optional(),
  doc: z.string().optional(),
  exports: z.array(z.string()),
  more: z.number().int().positive().optional(),
});

/**
 * The output of the `project-index` script: the INDEX.md document and its parts.
 * - `kind`: always `project-index` (a node named `index` in a hand-written graph is not one)
 * - `planId`, `path` (`INDEX.md`), `text` (the whole document)
 * - `head`, `tree`: the commit and tree that were indexed (the run's last task commit)
 * - `project`, `modules`, `goals`: the project line, the module map, the goals done (newest first)
 * - `committed`: whether INDEX.md was written and committed (`index.commit: true`); then `commit`
 *   (the commit, or HEAD when INDEX.md already said the same), `message` and `changed`
 */
export const ProjectIndexOutputSchema = z.object({
  kind: z.literal('project-index'),
  planId: z.string(),
  path: z.string(),
  text: z.string(),
  head: z.string().regex(/^[0-9a-f]{40}$/),
  tree: z.string(),
  project: z.string(),
  modules: z.array(ModuleEntrySchema),
  goals: z.array(z.string()),
  committed: z.boolean(),
  commit: z.string().optional(),
  message: z.string().optional(),
  changed: z.boolean().optional(),
});

/** See {@link ProjectIndexOutputSchema}. */
export type ProjectIndexOutput = z.infer<typeof ProjectIndexOutputSchema>;

/** A project index found for a run. */
export interface FoundProjectIndex {
  index: ProjectIndexOutput;
  /** the run whose `index` node produced it */
  runId: string;
  /** SHA-256 (hex) of what context bundles use of it (plan id, modules, goals): a context node's key ingredient */
  hash: string;
}

/** Ancestry answers by `ancestor..descendant` (commits never change, so neither does the answer), bounded. */
const ANCESTRY = new Map<string, boolean>();
const ANCESTRY_MAX = 1024;

async function isAncestor(workspace: Pick<Workspace, 'isAncestor'>, ancestor: string, descendant: string): Promise<boolean> {
  const key = `${ancestor}..${descendant}`;
  const known = ANCESTRY.get(key);
  if (known !== undefined) return known;
  const answer = await workspace.isAncestor(ancestor, descendant);
  if (ANCESTRY.size >= ANCESTRY_MAX) ANCESTRY.delete(ANCESTRY.keys().next().value!);
  ANCESTRY.set(key, answer);
  return answer;
}

/** What a context bundle uses of an index, hashed (see {@link FoundProjectIndex.hash}). */
export function projectIndexHash(index: Pick<ProjectIndexOutput, 'planId' | 'modules' | 'goals'>): string {
  return hashJson({ planId: index.planId, modules: index.modules, goals: index.goals } as unknown as Json);
}

/**
 * The project index a run from `base` builds on: of the {@link INDEX_LOOKBACK} newest successful
 * `index` attempts (outside `beforeRunId`), the first whose output is a project index whose
 * indexed commit is `base` or an ancestor of it.
 * @param base the run's base commit (40 hex)
 * @param beforeRunId the asking run: its own index is not an earlier one
 * @returns undefined when no earlier index applies
 * @throws TaskgraphError STORE_ERROR, GIT_ERROR when the store or git fails
 */
export async function findProjectIndex(store: Pick<Store, 'recentSuccessfulAttempts'>, workspace: Pick<Workspace, 'isAncestor'>, base: string, beforeRunId?: string): Promise<FoundProjectIndex | undefined> {
  for (const attempt of await store.recentSuccessfulAttempts(INDEX_NODE_ID, INDEX_LOOKBACK, beforeRunId)) {
    const parsed = ProjectIndexOutputSchema.safeParse(attempt.output);
    if (!parsed.success) continue;
    if (await isAncestor(workspace, parsed.data.head, base)) return { index: parsed.data, runId: attempt.runId, hash: projectIndexHash(parsed.data) };
  }
  return undefined;
}

/**
 * The base commit of the node's run (the commit its worktree started from); the worktree's HEAD
 * when the store has no base for the run (a node called outside the engine).
 * @throws TaskgraphError RUN_STATE without a worktree; STORE_ERROR, GIT_ERROR
 */
export async function runBaseCommit(ctx: { store: Pick<Store, 'getRun'>; runId: string; workspace: Pick<Workspace, 'snapshot'> | undefined }): Promise<string> {
  const base = (await ctx.store.getRun(ctx.runId))?.baseCommit;
  if (base) return base;
  if (!ctx.workspace) throw new TaskgraphError('RUN_STATE', `run ${ctx.runId} has no worktree, so it has no base commit`, { hint: 'run the plan with a worktree (without --no-worktree)' });
  return (await ctx.workspace.snapshot()).head;
}
