import type { ErrorRecord } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { secretRedactor } from '../security/redact.js';

/**
 * Refinement (DESIGN.md §2 step 6): a failed verify or apply improves the task's *input* — a
 * note with the command, exit code and trimmed output is appended to the task's notes, which is
 * an ingredient of the task's context and so dirties its nodes for the retry.
 */

/**
 * Failures that a better input can fix, so refinement retries the task with a note: a failed
 * check, an edit that does not parse or apply, an edit to protected configuration (the note's
 * `Reason:` lists the files the model may not change), an edit a person rejected at its approval
 * (the note's `Reason:` is their comment), an unlisted command a person rejected at its approval
 * (COMMAND_DECLINED: likewise), a malformed model answer, a failed command, a task
 * commit that conflicts with the run branch (issue 10: refined on the new base).
 * Anything else (missing API key, cassette miss, provider down, invalid config, git or store
 * trouble) fails at once: retrying the same task would fail the same way, and the person has to
 * fix the cause and `taskgraph resume` the run.
 */
export const REFINABLE_CODES: ReadonlySet<ErrorRecord['code']> = new Set([
  'VERIFY_FAILED',
  'EDIT_INVALID',
  'EDIT_REJECTED',
  'EDIT_PROTECTED',
  'PATH_OUTSIDE_WORKTREE',
  'MODEL_OUTPUT_INVALID',
  'COMMAND_FAILED',
  'REVIEW_FAILED',
  'INTEGRATION_CONFLICT',
  'EDIT_DECLINED',
  'COMMAND_DECLINED',
]);

/**
 * Formats a failure note for a task. The note goes into the task's notes, the next prompt, the
 * report and the store, so secrets are redacted from it (`security/redact.ts`).
 * @param nodeId the node that failed (`T1/verify`)
 * @param attempt the task attempt that failed (1-based)
 * @param error the recorded error; VERIFY_FAILED/COMMAND_FAILED carry `details.command`,
 *        `details.exitCode` and `details.output`; a failed verify check also carries
 *        `details.digest` (`verify/failure-digest.ts`: the command, exit code, failing tests,
 *        their error lines and project frames), which the note then shows instead of the
 *        command, exit code and head/tail output; EDIT_* carry `details.reason`/`details.path`
 * @returns a Markdown note of at most a few KB (output and digest are already cut to
 *        `policy.outputLimit` by the node)
 */
export function failureNote(nodeId: string, attempt: number, error: ErrorRecord): string {
  const d = error.details;
  const lines = [`Attempt ${attempt} failed at ${nodeId} (${error.code}) [signature ${failureSignature(error)}]: ${firstLine(error.message)}`];
  if (typeof d['digest'] === 'string' && d['digest'].trim() !== '') {
    lines.push('```', d['digest'].trimEnd(), '```');
    return secretRedactor().redact(lines.join('\n'));
  }
  if (typeof d['command'] === 'string') lines.push(`Command: ${d['command']}`);
  if (typeof d['exitCode'] === 'number' || d['exitCode'] === null) lines.push(`Exit code: ${String(d['exitCode'])}`);
  if (typeof d['path'] === 'string') lines.push(`File: ${d['path']}`);
  if (typeof d['reason'] === 'string') lines.push(`Reason: ${d['reason']}`);
  if (typeof d['output'] === 'string' && d['output'].trim() !== '') {
    lines.push('Output:', '```', d['output'].trimEnd(), '```');
  }
  return secretRedactor().redact(lines.join('\n'));
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

/** Lines that name a failure: failing tests, assertion and error lines. */
const FAILURE_LINE = /\b(fail(s|ed|ing|ure)?|error|exception|assert(ion)?|expected|panic(ked)?|not ok)\b|✖|×|✗/i;

/**
 * Normalizes a failure line so that two runs of the same failure compare equal: durations
 * (`12ms`, `(0.5 s)`), clock times, hexadecimal ids of 7+ digits and absolute paths (down to the
 * file name) are replaced, whitespace collapsed.
 */
export function normalizeFailureLine(line: string): string {
  return line
    .replace(/\b\d+(\.\d+)?\s?(ms|s|sec|seconds|µs|us|ns)\b/gi, '<time>')
    .replace(/\b\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\b/g, '<clock>')
    .replace(/\b[0-9a-f]{7,}\b/gi, '<hex>')
    .replace(/(?:[A-Za-z]:)?(?:\/[^\s/:'"()]+)+\/([^\s/:'"()]+)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A failure signature (loop detection, DESIGN.md §2 step 6): SHA-256 (first 12 hex digits) of the
 * error code plus the normalized failing-test and error lines of the output (sorted, unique), or
 * of the normalized first message line when the output names none. The same signature twice for
 * one task means the task is going round in a loop.
 * @param error the recorded error (VERIFY_FAILED / COMMAND_FAILED carry `details.output`)
 */
export function failureSignature(error: ErrorRecord): string {
  // a review failure is its findings (file, severity, message; line numbers move between attempts)
  const findings = error.code === 'REVIEW_FAILED' ? findingSignatureLines(error.details['findings']) : [];
  if (findings.length > 0) return sha256(`${error.code}\n${findings.join('\n')}`).slice(0, 12);
  const output = typeof error.details['output'] === 'string' ? error.details['output'] : '';
  let lines = [...new Set(output.split('\n').filter((l) => FAILURE_LINE.test(l)).map(normalizeFailureLine))].sort();
  if (lines.length === 0) lines = [normalizeFailureLine(firstLine(error.message))];
  return sha256(`${error.code}\n${lines.join('\n')}`).slice(0, 12);
}

/**
 * The lines of a review failure that identify it for loop detection: each finding of
 * `details.findings` (`{ file, severity, message }`, see `review/review-schema.ts`) as severity,
 * file and message, without line numbers (they move between attempts), sorted and unique.
 */
function findingSignatureLines(findings: unknown): string[] {
  if (!Array.isArray(findings)) return [];
  const lines = findings
    .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null && typeof (f as { message?: unknown }).message === 'string')
    .map((f) => `${String(f['severity'] ?? '')} ${String(f['file'] ?? '')}: ${(f['message'] as string).replace(/\s+/g, ' ').trim().toLowerCase()}`);
  return [...new Set(lines)].sort();
}

/** The signature written into a failure note, if any. */
export function noteSignature(note: string): string | undefined {
  return /\[signature ([0-9a-f]{12})\]/.exec(note)?.[1];
}
