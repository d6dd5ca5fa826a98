import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { pidDir } from '../engine/orphans.js';
import { dependencyHash } from '../verify/dependency-files.js';
import { runSetup, worktreeIdentity } from '../verify/setup-run.js';

const SetupConfig = z
  .object({
    /** the setup command; default the project's `commands.setup` */
    run: z.string().min(1).optional(),
    /** ms; default policy.commandTimeoutMs */
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();

/** Config of a `setup` node. */
export type SetupConfig = z.infer<typeof SetupConfig>;

function commandOf(config: SetupConfig, ctx: NodeContext): string {
  const command = config.run ?? ctx.config.commands.setup;
  if (!command) {
    throw new TaskgraphError('CONFIG_INVALID', 'setup has no command: set commands.setup in taskgraph.yaml or config.run on the node', {
      hint: '`taskgraph init` detects it (npm ci, pip install -e ., cargo fetch, go mod download, ...)',
    });
  }
  return command;
}

/**
 * `setup` nodes (DESIGN.md §2 step 3): prepare a new worktree with `commands.setup` (install its
 * dependencies) before anything else runs in it. The root node `setup` of `do` and `run PLAN`
 * graphs (`planning/plan-graph.ts` {@link baselineRoots}).
 *
 * Cache key adds the command, the hash of the dependency files (lock files and manifests,
 * `verify/dependency-files.ts`) and the worktree's identity (`verify/setup-run.ts`): setup runs
 * once in each new worktree, and a resume in the same worktree is a cache hit. Declared free of
 * side effects for the engine: what it changes (installed dependencies, ignored by git) is not
 * part of a worktree snapshot, so there is nothing to record or restore, and its key already
 * holds the one worktree a cached result is valid for. On success it writes the worktree's setup
 * marker, which `verify` compares with the dependency files to run setup again when a task
 * changed them. Output: `{ command, dependencies, durationMs }`; a failure is COMMAND_FAILED.
 */
export const setupExecutor: NodeExecutor<SetupConfig> = {
  kind: 'setup',
  version: 1,
  configSchema: SetupConfig,
  cacheable: true,
  // an install takes minutes: an attempt killed in flight shows as interrupted
  recordStart: true,
  needsWorkspace: true,
  sideEffects: () => false,
  async keyIngredients(config, _inputs, ctx) {
    const dir = ctx.workspace!.dir;
    return {
      command: commandOf(config, ctx),
      dependencies: (await dependencyHash(dir, await ctx.workspace!.listFiles())).hash,
      worktree: await worktreeIdentity(dir),
    };
  },
  async execute(config, _inputs, ctx) {
    const command = commandOf(config, ctx);
    const dir = ctx.workspace!.dir;
    const { hash } = await dependencyHash(dir, await ctx.workspace!.listFiles());
    const before = (await ctx.workspace!.snapshot()).tree;
    const { result, error } = await runSetup(command, {
      cwd: dir,
      config: ctx.config,
      projectDir: ctx.projectDir,
      dependencies: hash,
      ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
      signal: ctx.signal,
      pidDir: pidDir(ctx.projectDir, ctx.runId),
      log: (m) => ctx.log(m),
      audit: { store: ctx.store, runId: ctx.runId, nodeId: ctx.node.id },
    });
    const output = { command, dependencies: hash, durationMs: result.durationMs };
    if (error) return { status: 'failed', output, error };
    if ((await ctx.workspace!.snapshot()).tree !== before) {
      ctx.log('setup: the command changed files that git tracks or would commit; add what it generates to .gitignore, or it goes into the first task commit');
    }
    return { status: 'succeeded', output };
  },
};
