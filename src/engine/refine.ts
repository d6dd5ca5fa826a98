import type { ErrorRecord } from '../core/errors.js';

/**
 * Refinement (DESIGN.md §2 step 6): a failed verify or apply improves the task's *input* — a
 * note with the command, exit code and trimmed output is appended to the task's notes, which is
 * an ingredient of the task's context and so dirties its nodes for the retry.
 */

/**
 * Failures that a better input can fix, so refinement retries the task with a note: a failed
 * check, an edit that does not parse or apply, a malformed model answer, a failed command.
 * Anything else (missing API key, cassette miss, provider down, invalid config, git or store
 * trouble) fails at once: retrying the same task would fail the same way, and the person has to
 * fix the cause and `taskgraph resume` the run.
 */
export const REFINABLE_CODES: ReadonlySet<ErrorRecord['code']> = new Set([
  'VERIFY_FAILED',
  'EDIT_INVALID',
  'EDIT_REJECTED',
  'PATH_OUTSIDE_WORKTREE',
  'MODEL_OUTPUT_INVALID',
  'COMMAND_FAILED',
]);

/**
 * Formats a failure note for a task.
 * @param nodeId the node that failed (`T1/verify`)
 * @param attempt the task attempt that failed (1-based)
 * @param error the recorded error; VERIFY_FAILED/COMMAND_FAILED carry `details.command`,
 *        `details.exitCode` and `details.output`; EDIT_* carry `details.reason`/`details.path`
 * @returns a Markdown note of at most a few KB (output is already trimmed by the node)
 */
export function failureNote(nodeId: string, attempt: number, error: ErrorRecord): string {
  const d = error.details;
  const lines = [`Attempt ${attempt} failed at ${nodeId} (${error.code}): ${firstLine(error.message)}`];
  if (typeof d['command'] === 'string') lines.push(`Command: ${d['command']}`);
  if (typeof d['exitCode'] === 'number' || d['exitCode'] === null) lines.push(`Exit code: ${String(d['exitCode'])}`);
  if (typeof d['path'] === 'string') lines.push(`File: ${d['path']}`);
  if (typeof d['reason'] === 'string') lines.push(`Reason: ${d['reason']}`);
  if (typeof d['output'] === 'string' && d['output'].trim() !== '') {
    lines.push('Output:', '```', d['output'].trimEnd(), '```');
  }
  return lines.join('\n');
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/**
 * Keeps the head and tail of a long text with an explicit marker in between.
 * @param text any text
 * @param limit maximum characters kept (head gets 40%, tail 60%: test runners print the
 *        summary and the failures last)
 */
export function trimMiddle(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const head = Math.floor(limit * 0.4);
  const tail = limit - head;
  const cut = text.length - head - tail;
  return `${text.slice(0, head)}\n[... ${cut} characters trimmed ...]\n${text.slice(text.length - tail)}`;
}
