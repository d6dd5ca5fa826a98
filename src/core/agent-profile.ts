import { z } from 'zod';

/**
 * Agent profiles (issue 13 "Agent CLI node kind"): a model profile with `provider: agent` names an
 * external coding-agent CLI (`claude -p`, `codex exec`, `aider --message`, `goose run`, any
 * command) that a task's `agent` node runs in the task's worktree instead of asking a model for
 * an edit (`nodes/agent.ts`). Written under `models:` in taskgraph.yaml, so `roles.coder:
 * claude-code` picks one; the config keeps them apart in `agents` (`core/config.ts`).
 */

/** Placeholder in an agent command template replaced by the quoted prompt (`input: arg`). */
export const PROMPT_PLACEHOLDER = '{prompt}';
/** Placeholder in an agent command template replaced by the quoted path of the prompt file (`input: file`). */
export const PROMPT_FILE_PLACEHOLDER = '{prompt_file}';
/** Environment variable holding the prompt when `input` is `arg`. */
export const PROMPT_ENV = 'TASKGRAPH_PROMPT';
/** Environment variable holding the prompt file's absolute path when `input` is `file`. */
export const PROMPT_FILE_ENV = 'TASKGRAPH_PROMPT_FILE';

/**
 * `models.<name>` with `provider: agent`:
 * - `command`: the shell line (run through the command gate in the task's worktree);
 * - `input`: how the task prompt and its context bundle reach it: `stdin` (default), `file` (a
 *   file whose path replaces `{prompt_file}` in the line, else is appended to it), `arg` (the
 *   prompt replaces `{prompt}`, else is appended as the last argument);
 * - `timeoutMs`: how long one run may take (default `policy.commandTimeoutMs`); past it the
 *   agent's whole process tree is killed and the attempt fails;
 * - `env`: variable names passed through to the CLI besides `policy.envAllowlist` (its API key);
 * - `transcriptLimit`: characters of stdout and stderr each kept with the attempt (default 20,000).
 */
export const AgentProfileSchema = z
  .object({
    provider: z.literal('agent'),
    command: z.string().min(1),
    input: z.enum(['stdin', 'file', 'arg']).default('stdin'),
    timeoutMs: z.number().int().positive().optional(),
    env: z.array(z.string().min(1)).default([]),
    transcriptLimit: z.number().int().min(200).default(20_000),
  })
  .strict();

/** {@link AgentProfileSchema} as a type. */
export type AgentProfile = z.infer<typeof AgentProfileSchema>;

/**
 * The shell line an agent profile runs. The prompt never enters the line itself: `{prompt}`
 * becomes `"$TASKGRAPH_PROMPT"` and `{prompt_file}` `"$TASKGRAPH_PROMPT_FILE"` (set in the CLI's
 * environment), so the line is the same for every task, the shell never parses the prompt, and
 * the command policy sees one fixed line it can allow as configured (`sandbox/command-policy.ts`).
 * Without the placeholder the reference is appended (`arg`, `file`); `stdin` leaves the line as
 * written.
 * @param profile the agent profile
 */
export function agentCommandLine(profile: Pick<AgentProfile, 'command' | 'input'>): string {
  const command = profile.command.trim();
  if (profile.input === 'arg') {
    const ref = `"$${PROMPT_ENV}"`;
    return command.includes(PROMPT_PLACEHOLDER) ? command.split(PROMPT_PLACEHOLDER).join(ref) : `${command} ${ref}`;
  }
  if (profile.input === 'file') {
    const ref = `"$${PROMPT_FILE_ENV}"`;
    return command.includes(PROMPT_FILE_PLACEHOLDER) ? command.split(PROMPT_FILE_PLACEHOLDER).join(ref) : `${command} ${ref}`;
  }
  return command;
}
