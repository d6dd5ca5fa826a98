import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type AgentProfile, agentCommandLine, PROMPT_ENV, PROMPT_FILE_ENV } from '../core/agent-profile.js';
import type { ErrorRecord } from '../core/errors.js';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { NodeContext, NodeExecutor, NodeOutcome } from '../engine/node-executor.js';
import { pidDir } from '../engine/orphans.js';
import { runGated } from '../sandbox/gate.js';
import type { Usage } from '../store/store.js';
import { diffToTree } from '../workspace/tree-diff.js';
import { agentPrompt, reportedCostUsd } from './agent-transcript.js';
import type { ProcessResult } from './run-process.js';

const AgentConfig = z
  .object({
    /** agent profile name (a `models:` entry with `provider: agent`); default: the `coder` role's profile */
    profile: z.string().min(1).optional(),
  })
  .strict();

/** Config of an `agent` node. */
export type AgentConfig = z.infer<typeof AgentConfig>;

/** The file, at the worktree's root, that holds the prompt while an `input: file` agent runs; removed before the diff is taken. */
export const PROMPT_FILE = '.taskgraph-agent-prompt.md';

/**
 * The agent profile a node uses: its `profile`, else `roles.coder`.
 * @throws TaskgraphError CONFIG_INVALID when no agent profile has that name
 */
export function agentProfileOf(config: AgentConfig, ctx: Pick<NodeContext, 'config' | 'node'>): { name: string; profile: AgentProfile } {
  const name = config.profile ?? ctx.config.roles.coder;
  const profile = ctx.config.agents[name];
  if (!profile) {
    const known = Object.keys(ctx.config.agents);
    throw new TaskgraphError('CONFIG_INVALID', `agent node ${ctx.node.id} uses the agent profile "${name}", which taskgraph.yaml does not define`, {
      details: { profile: name, known },
      hint: `add \`models: { ${name}: { provider: agent, command: 'claude -p --output-format json' } }\` to taskgraph.yaml${known.length > 0 ? `, or use one of: ${known.join(', ')}` : ''}`,
    });
  }
  return { name, profile };
}

/**
 * `agent` nodes (issue 13): an external coding-agent CLI (`claude -p`, `codex exec`, `aider
 * --message`, `goose run`, any command template: `core/agent-profile.ts`) edits the task's
 * worktree, and what it changed becomes the node's output as a unified diff, shaped like an `llm`
 * edit's (`{ text, format: 'udiff' }`), so the task's `apply`, `verify`, `review` and commit nodes
 * run unchanged: the safety policy's path rules (`policy.safety.protectedPaths`, secrets, risk)
 * and `policy.protectConfig` judge the diff in `apply`, which may suspend it for approval.
 *
 * One execution: snapshot the worktree; run the profile's line through the command gate
 * (`sandbox/gate.ts`: command policy, sandbox, scrubbed environment plus `env`, audit) in the
 * worktree with the prompt (instructions + the task's context bundle, {@link agentPrompt}) on
 * stdin, in {@link PROMPT_FILE} or in `$TASKGRAPH_PROMPT`, bounded by the profile's `timeoutMs`;
 * take the diff between the snapshot's tree and the worktree's new tree (untracked files and any
 * commits the agent made included); restore the snapshot. The worktree is left as it was,
 * whatever happened, so `apply` writes the diff as it would a model's.
 *
 * Output `{ text, format, agent: { profile, command, exitCode, timedOut, durationMs, costUsd,
 * cost: 'reported' | 'unknown', transcript: { stdout, stderr } } }`, the transcript trimmed to the
 * profile's `transcriptLimit` and redacted. Usage: one call, the cost the CLI printed as JSON
 * ({@link reportedCostUsd}) or 0 with `cost: 'unknown'`. Fails (refinable, with the transcript)
 * with COMMAND_FAILED when the CLI exits non-zero or times out (its tree is killed), and with
 * EDIT_INVALID when it changed no file. Cache key: the profile's line, input mode and env names,
 * the prompt's hash and the worktree's state.
 */
export const agentExecutor: NodeExecutor<AgentConfig> = {
  kind: 'agent',
  version: 1,
  configSchema: AgentConfig,
  cacheable: true,
  recordStart: true,
  needsWorkspace: true,
  requiredInputs: ['context'],
  sideEffects: () => false,
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    const { name, profile } = agentProfileOf(config, ctx);
    return {
      agent: { profile: name, line: agentCommandLine(profile), input: profile.input, env: [...profile.env].sort() },
      prompt: sha256(agentPrompt(inputs['context'])),
      workspace: { ...(await ctx.workspace!.snapshot()) },
    };
  },
  async execute(config, inputs, ctx): Promise<NodeOutcome> {
    const { name, profile } = agentProfileOf(config, ctx);
    const workspace = ctx.workspace!;
    const prompt = agentPrompt(inputs['context']);
    const line = agentCommandLine(profile);
    const before = await workspace.snapshot();
    const promptFile = join(workspace.dir, PROMPT_FILE);
    let result: ProcessResult;
    let diff: string;
    try {
      if (profile.input === 'file') await writeFile(promptFile, prompt);
      ctx.log(`${ctx.node.id}: running agent ${name} (${line})`);
      try {
        result = await runGated(line, {
          kind: 'command',
          cwd: workspace.dir,
          config: ctx.config,
          projectDir: ctx.projectDir,
          timeoutMs: profile.timeoutMs ?? ctx.config.policy.commandTimeoutMs,
          envNames: profile.env,
          env: profile.input === 'arg' ? { [PROMPT_ENV]: prompt } : profile.input === 'file' ? { [PROMPT_FILE_ENV]: promptFile } : {},
          ...(profile.input === 'stdin' ? { stdin: prompt } : {}),
          limit: profile.transcriptLimit,
          signal: ctx.signal,
          pidDir: pidDir(ctx.projectDir, ctx.runId),
          log: ctx.log,
          audit: { store: ctx.store, runId: ctx.runId, nodeId: ctx.node.id },
        });
      } finally {
        await rm(promptFile, { force: true });
      }
      const after = await workspace.snapshot();
      diff = after.tree === before.tree ? '' : await diffToTree(workspace.dir, before.tree, after.tree);
    } finally {
      // the worktree goes back to where it was: `apply` writes the diff (or asks about it first)
      await workspace.restore(before);
    }
    const costUsd = reportedCostUsd(result.stdout);
    const usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: costUsd ?? 0, calls: 1, model: `agent:${name}` };
    const agent: Record<string, Json> = {
      profile: name,
      command: line,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      costUsd: costUsd ?? null,
      cost: costUsd === undefined ? 'unknown' : 'reported',
      transcript: { stdout: result.stdout, stderr: result.stderr },
    };
    const failure = agentFailure(ctx, name, line, profile, result, diff);
    if (failure) return { status: 'failed', output: { text: diff, agent }, error: failure, usage };
    return { status: 'succeeded', output: { text: diff, format: 'udiff', agent }, usage };
  },
};

/** Why an agent run failed (exit, timeout, no change), or undefined when it left a diff. */
function agentFailure(ctx: Pick<NodeContext, 'config'>, name: string, line: string, profile: AgentProfile, result: ProcessResult, diff: string): ErrorRecord | undefined {
  if (result.timedOut || result.exitCode !== 0) {
    const timeoutMs = profile.timeoutMs ?? ctx.config.policy.commandTimeoutMs;
    const why = result.timedOut ? `timed out after ${timeoutMs} ms and was killed` : `exited with ${result.exitCode ?? result.signal}`;
    return {
      code: 'COMMAND_FAILED',
      message: `agent ${name} (\`${line}\`) ${why}; nothing it changed was kept`,
      retryable: false,
      details: { command: line, exitCode: result.exitCode, timedOut: result.timedOut, output: result.output },
    };
  }
  if (diff.trim() === '') {
    return {
      code: 'EDIT_INVALID',
      message: `agent ${name} (\`${line}\`) exited 0 but changed no file in the worktree`,
      retryable: false,
      details: { command: line, output: result.output },
    };
  }
  return undefined;
}
