import type { ErrorRecord } from '../core/errors.js';
import { isJsonObject } from '../core/json.js';
import { attemptEditSection } from '../context/attempt-edit.js';
import { modelReadsSection, type ReadRegion } from '../context/model-reads.js';
import { secretRedactor } from '../security/redact.js';
import { diffToTree } from '../workspace/tree-diff.js';
import type { RunState } from './run-state.js';

/** Error codes of an `apply` node that refused the edit (nothing was written). */
const REJECTED = new Set<ErrorRecord['code']>(['EDIT_REJECTED', 'EDIT_INVALID', 'EDIT_PROTECTED', 'PATH_OUTSIDE_WORKTREE', 'EDIT_DECLINED']);

/**
 * The note section recording the edit of a task's failed attempt (issue 9 item 2,
 * `context/attempt-edit.ts`), taken before the worktree is reset:
 *
 * - the apply node refused the edit (EDIT_REJECTED, EDIT_INVALID, EDIT_PROTECTED,
 *   PATH_OUTSIDE_WORKTREE) or a person rejected it at its approval (EDIT_DECLINED): the model's
 *   edit text, the edit node's output, marked `rejected`;
 * - a later node failed (verify, a command, or the task's integration conflicted): `git diff` from
 *   the task's start commit to its worktree's current tree (uncommitted and untracked files
 *   included), marked `applied`.
 *
 * Before the edit comes the list of file regions the model read with its tools in that attempt
 * (`context/model-reads.ts`), when the edit node used tools, so the retry pins them.
 *
 * Secrets are redacted as in the failure note.
 * @param state the run (its worktree and the edit node's output)
 * @param task the task id
 * @param failedAt the node that failed (`T1/verify`)
 * @param error the error it recorded (its code tells a refused edit from an applied one)
 * @param attempt the task attempt that failed (1-based)
 * @param startCommit the commit the task started from (absent: no applied diff can be taken)
 * @returns the sections to append to the failure note, or '' when there is no read and no edit to
 *   show (the model's answer was unusable, the run has no worktree, or the attempt changed nothing)
 * @throws TaskgraphError GIT_ERROR when git cannot diff the worktree
 */
export async function attemptEditNote(state: RunState, task: string, failedAt: string, error: ErrorRecord, attempt: number, startCommit: string | undefined): Promise<string> {
  let section = '';
  if (failedAt === `${task}/apply` && REJECTED.has(error.code)) {
    const out = state.outputs.get(`${task}/edit`);
    const text = typeof out === 'string' ? out : isJsonObject(out) && typeof out['text'] === 'string' ? out['text'] : '';
    section = attemptEditSection({ attempt, status: 'rejected', failedAt, text });
  } else if (failedAt !== `${task}/edit` && failedAt !== `${task}/context` && state.workspaceFor(task) && startCommit) {
    const workspace = state.workspaceFor(task)!;
    const snap = await workspace.snapshot();
    const diff = await diffToTree(workspace.dir, startCommit, snap.tree);
    section = attemptEditSection({ attempt, status: 'applied', failedAt, text: diff });
  }
  const reads = modelReadsSection(attempt, readsOf(state.outputs.get(`${task}/edit`)));
  return reads || section ? secretRedactor().redact(reads + section) : '';
}

/** The regions a tool-using edit node's output records (`output.tools.reads`), else []. */
function readsOf(out: unknown): ReadRegion[] {
  if (!isJsonObject(out) || !isJsonObject(out['tools'])) return [];
  const reads = out['tools']['reads'];
  if (!Array.isArray(reads)) return [];
  return reads.flatMap((r) =>
    isJsonObject(r) && typeof r['path'] === 'string' && typeof r['start'] === 'number' && typeof r['end'] === 'number'
      ? [{ path: r['path'], start: r['start'], end: r['end'], tool: typeof r['tool'] === 'string' ? r['tool'] : 'read_file' }]
      : [],
  );
}
