import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import type { NodeExecutor } from '../engine/node-executor.js';
import { pidDir } from '../engine/orphans.js';
import { runGated } from '../sandbox/gate.js';

const VerifyConfig = z
  .object({
    /** commands to run in order; default: the project's test command (taskgraph.yaml commands.test) */
    commands: z.array(z.string().min(1)).optional(),
    /** ms per command; default policy.commandTimeoutMs */
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();

/** Config of a `verify` node. */
export type VerifyConfig = z.infer<typeof VerifyConfig>;

/**
 * `verify` nodes (DESIGN.md §4, §2 step 4): run the project's checks in the worktree with a
 * timeout. All pass -> `{ passed: true, checks: [{ command, exitCode, durationMs }] }`. The first
 * failing check fails the node with VERIFY_FAILED carrying `details.command`, `details.exitCode`
 * and the trimmed `details.output`, which refinement turns into a task note. Cache key adds the
 * commands and the worktree state, so an unchanged tree is not tested twice.
 */
export const verifyExecutor: NodeExecutor<VerifyConfig> = {
  kind: 'verify',
  version: 1,
  configSchema: VerifyConfig,
  cacheable: true,
  sideEffects: () => false,
  async keyIngredients(config, _inputs, ctx) {
    return {
      commands: commandsOf(config, ctx.config.commands),
      ...(ctx.workspace ? { tree: (await ctx.workspace.snapshot()).tree } : {}),
    };
  },
  async execute(config, _inputs, ctx) {
    const checks: Json[] = [];
    for (const command of commandsOf(config, ctx.config.commands)) {
      ctx.log(`verify: ${command}`);
      const r = await runGated(command, {
        kind: 'verify',
        cwd: ctx.workspace?.dir ?? ctx.projectDir,
        config: ctx.config,
        projectDir: ctx.projectDir,
        ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
        signal: ctx.signal,
        pidDir: pidDir(ctx.projectDir, ctx.runId),
        log: ctx.log,
      });
      checks.push({ command, exitCode: r.exitCode, durationMs: r.durationMs });
      if (r.exitCode !== 0) {
        const why = r.timedOut ? 'timed out' : `exit code ${r.exitCode ?? r.signal}`;
        return {
          status: 'failed',
          output: { passed: false, checks },
          error: {
            code: 'VERIFY_FAILED',
            message: `verify failed: \`${command}\` (${why})`,
            retryable: false,
            details: { command, exitCode: r.exitCode, output: r.output, timedOut: r.timedOut },
          },
        };
      }
    }
    return { status: 'succeeded', output: { passed: true, checks } };
  },
};

function commandsOf(config: VerifyConfig, commands: { test?: string | undefined; build?: string | undefined }): string[] {
  if (config.commands && config.commands.length > 0) return config.commands;
  if (commands.test) return [commands.test];
  throw new TaskgraphError('CONFIG_INVALID', 'verify has no command: set commands.test in taskgraph.yaml or config.commands on the node', {
    hint: '`taskgraph init` detects the test command from package.json, pytest, cargo, go or make',
  });
}
