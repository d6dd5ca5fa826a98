import { z } from 'zod';
import type { NodeExecutor } from '../engine/node-executor.js';
import { pidDir } from '../engine/orphans.js';
import { runGated } from '../sandbox/gate.js';

const CommandConfig = z
  .object({
    /** shell command, run with /bin/sh -c in the run's worktree (else the project directory) */
    run: z.string().min(1),
    /** ms; default policy.commandTimeoutMs */
    timeoutMs: z.number().int().positive().optional(),
    /** extra environment variable names passed through */
    env: z.array(z.string()).default([]),
    /** a non-zero exit still counts as success (the exit code is in the output) */
    allowFailure: z.boolean().default(false),
  })
  .strict();

/** Config of a `command` node. */
export type CommandConfig = z.infer<typeof CommandConfig>;

/**
 * `command` nodes (DESIGN.md §4): run a shell command with a timeout. Output
 * `{ exitCode, stdout, stderr }` (trimmed to policy.outputLimit characters, head + tail). A
 * non-zero exit fails the node with COMMAND_FAILED (details: command, exitCode, output) unless
 * `allowFailure`. Cache key adds the command, the env allowlist and the worktree state.
 */
export const commandExecutor: NodeExecutor<CommandConfig> = {
  kind: 'command',
  version: 1,
  configSchema: CommandConfig,
  cacheable: true,
  sideEffects: () => true,
  async keyIngredients(config, _inputs, ctx) {
    return {
      env: [...ctx.config.policy.envAllowlist, ...config.env].sort(),
      ...(ctx.workspace ? { workspace: { ...(await ctx.workspace.snapshot()) } } : {}),
    };
  },
  async execute(config, _inputs, ctx) {
    const result = await runGated(config.run, {
      kind: 'command',
      cwd: ctx.workspace?.dir ?? ctx.projectDir,
      config: ctx.config,
      projectDir: ctx.projectDir,
      ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
      envNames: config.env,
      signal: ctx.signal,
      pidDir: pidDir(ctx.projectDir, ctx.runId),
      log: ctx.log,
      origin: 'graph',
      audit: { store: ctx.store, runId: ctx.runId, nodeId: ctx.node.id },
    });
    const output = { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs };
    if (result.exitCode === 0 || config.allowFailure) return { status: 'succeeded', output };
    const why = result.timedOut ? `timed out after ${config.timeoutMs ?? ctx.config.policy.commandTimeoutMs} ms` : `exited with ${result.exitCode ?? result.signal}`;
    return {
      status: 'failed',
      output,
      error: {
        code: 'COMMAND_FAILED',
        message: `command \`${config.run}\` ${why}`,
        retryable: false,
        details: { command: config.run, exitCode: result.exitCode, output: result.output, timedOut: result.timedOut },
      },
    };
  },
};
