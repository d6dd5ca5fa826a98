import { TaskgraphError, toErrorRecord, type ErrorRecord } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { IntegrateResult } from '../workspace/integrate.js';

/** A task that could not be integrated: its error, and the run branch's tip to redo it on. */
export interface IntegrationFailure {
  task: string;
  /** `INTEGRATION_CONFLICT` (files and hunks in `details`) or the check's `VERIFY_FAILED` */
  error: ErrorRecord;
  /** the run branch's tip without the task (40 hex) */
  tip: string;
}

/** The `INTEGRATION_CONFLICT` failure of a task whose replay conflicts. */
export function conflictError(task: string, result: Extract<IntegrateResult, { kind: 'conflict' }>): ErrorRecord {
  const files = result.files.join(', ');
  return toErrorRecord(
    new TaskgraphError('INTEGRATION_CONFLICT', `${task}'s commit conflicts with the run branch in ${files || 'the tree'}: it is redone on the new base`, {
      details: { files: result.files, reason: [result.messages, result.hunks].filter((s) => s !== '').join('\n\n') },
      hint: 'the task is refined on the run branch as it is now',
    }),
  );
}

/** The commit sha of a `git-commit` node's output (`{ commit, message }`), if any. */
export function commitOf(out: Json | undefined): string | undefined {
  return isJsonObject(out) && typeof out['commit'] === 'string' ? out['commit'] : undefined;
}
