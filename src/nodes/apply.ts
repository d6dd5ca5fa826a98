import { z } from 'zod';
import { type ProjectConfig, verifyGates } from '../core/config.js';
import { TaskgraphError, toErrorRecord } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import type { ApplyEditOptions } from '../workspace/workspace.js';

const ApplyConfig = z.object({}).strict();

/** Config of an `apply` node (none yet). */
export type ApplyConfig = z.infer<typeof ApplyConfig>;

/**
 * The edit text carried by an input: a string, or an `llm` output `{ text }`.
 * @throws TaskgraphError EDIT_INVALID when there is no text
 */
export function editText(input: Json | undefined): string {
  if (typeof input === 'string') return input;
  if (isJsonObject(input) && typeof input['text'] === 'string') return input['text'];
  throw new TaskgraphError('EDIT_INVALID', 'apply: input "edit" holds no edit text (expected a string or { text })');
}

/**
 * The checks an edit passes before it is written, from taskgraph.yaml: `policy.maxEditBytes`, and
 * with `policy.protectConfig` (default true) the protected configuration, including the files
 * `commands.test`, `commands.build`, `commands.setup` and the `verify.gates` commands run (a task
 * may not pass a lint gate by editing the lint script).
 */
export function applyOptions(config: ProjectConfig): ApplyEditOptions {
  const { test, build, setup } = config.commands;
  const gates = verifyGates(config).map((g) => g.command);
  return {
    maxEditBytes: config.policy.maxEditBytes,
    ...(config.policy.protectConfig ? { protectConfig: { commands: [test, build, setup, ...gates].filter((c): c is string => typeof c === 'string') } } : {}),
  };
}

/**
 * `apply` nodes (DESIGN.md §4): apply a unified diff, search/replace blocks or whole files to the run's
 * worktree with git, rejecting any path outside it. Output `{ format, files, tree }`. An edit that
 * does not apply, or is refused (a file over `policy.maxEditBytes`, a protected configuration
 * file: see {@link applyOptions}), fails the node (EDIT_REJECTED / EDIT_INVALID /
 * EDIT_PROTECTED / PATH_OUTSIDE_WORKTREE with the reason), which refinement turns into a task
 * note. Cache key adds the edit hash (via the input), the base workspace state (HEAD + tree) and
 * those two policy values; a cache hit restores the resulting worktree.
 */
export const applyExecutor: NodeExecutor<ApplyConfig> = {
  kind: 'apply',
  version: 1,
  configSchema: ApplyConfig,
  cacheable: true,
  needsWorkspace: true,
  requiredInputs: ['edit'],
  sideEffects: () => true,
  // deterministic and confined to the worktree: a forecast applies the edit in its scratch worktree
  forecastSafe: () => true,
  async keyIngredients(_config, _inputs, ctx) {
    const { maxEditBytes, protectConfig } = ctx.config.policy;
    return { workspace: { ...(await ctx.workspace!.snapshot()) }, limits: { maxEditBytes, protectConfig } };
  },
  async execute(_config, inputs, ctx) {
    try {
      const result = await ctx.workspace!.applyEdit(editText(inputs['edit']), applyOptions(ctx.config));
      await rememberEditedFiles(ctx, result.files);
      return { status: 'succeeded', output: { format: result.format, files: result.files, tree: result.snapshot.tree } };
    } catch (error) {
      const record = toErrorRecord(error);
      if (record.code === 'INTERNAL' || record.code === 'GIT_ERROR') throw error;
      return { status: 'failed', error: record };
    }
  },
};

/**
 * Files a task's edits touched become part of the task (its `files`), so a later attempt — or a
 * later run of the plan — puts them into the task's context (DESIGN.md §7 tier "files named by the
 * task or by its earlier edits"). Done by the node that knows them, once per applied edit.
 */
async function rememberEditedFiles(ctx: NodeContext, files: readonly string[]): Promise<void> {
  if (!ctx.planId || !ctx.node.task || files.length === 0) return;
  const task = await ctx.store.getTask(ctx.planId, ctx.node.task);
  if (!task) return;
  const missing = files.filter((f) => !task.files.includes(f));
  if (missing.length > 0) await ctx.store.putTask({ ...task, files: [...task.files, ...missing] });
}
