import { TaskgraphError } from '../core/errors.js';
import type { AuditInput } from './audit.js';
import { insertAudit } from './sqlite-audit.js';
import { runNotFound } from './sqlite-errors.js';
import { encodeOutput, type EncodedOutput } from './sqlite-outputs.js';
import { attemptOutcomeValues, attemptValues, cacheValues, runNodeValues, storedJson } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';
import type { AttemptFinish, AttemptRecord, CacheEntry, FinishedAttemptExtras, RunNodeRecord, WorkspaceSnapshot } from './store.js';

/**
 * The per-node writes of the SQLite store: start, finish, and record-finished of an attempt with
 * its node state, cache entry, output blobs and run workspace. Each function runs INSIDE a
 * transaction the caller opened (`SqliteStore` wraps them in `db.transaction(...)` wrappers made
 * once), so blob, row and cache entry commit together or not at all (DESIGN.md §5: "an entry
 * counts only once it is fully written").
 *
 * Cost notes (the engine's per-node budget): every statement is prepared once and bound
 * positionally; an output or ingredients object shared by the attempt and its cache entry is
 * serialised once; no row is read back: a missing run surfaces as the foreign-key violation of
 * the insert (mapped to `NOT_FOUND` by the caller) instead of a SELECT before every write.
 */

/** Writes a blob (if the output has one) before the row that refers to it. */
function writeBlob(s: Statements, output: EncodedOutput): void {
  if (output.blob) s.insertBlob.run(output.blob.hash, output.blob.size, output.blob.data);
}

/**
 * Writes a cache entry, reusing the attempt's serialised output/ingredients when the entry holds
 * the very same objects (the usual case: the engine caches what the attempt produced).
 */
function writeCache(
  s: Statements,
  entry: CacheEntry,
  attempt: { output?: unknown; ingredients?: unknown },
  attemptOutput: EncodedOutput | undefined,
  attemptIngredients: string | undefined,
): void {
  let output = attemptOutput;
  if (output === undefined || entry.output !== attempt.output) {
    output = encodeOutput(entry.output);
    writeBlob(s, output);
  }
  const ingredients = attemptIngredients !== undefined && entry.ingredients === attempt.ingredients
    ? attemptIngredients
    : storedJson(entry.ingredients);
  s.upsertCache.run(cacheValues(entry, ingredients, output));
}

/** Records the run's workspace; `NOT_FOUND` when the run does not exist. */
function writeRunWorkspace(s: Statements, runId: string, workspace: WorkspaceSnapshot): void {
  if (s.setRunWorkspace.run(JSON.stringify(workspace), new Date().toISOString(), runId).changes === 0) {
    throw runNotFound(runId);
  }
}

/** Appends the audit entries that travel with an attempt's outcome (`FinishedAttemptExtras.audit`). */
function writeAudit(s: Statements, entries: readonly AuditInput[] | undefined): void {
  for (const entry of entries ?? []) insertAudit(s, entry);
}

/**
 * Inserts a `running` attempt and sets its node `running` (attempts = number, lastAttemptSeq = seq,
 * startedAt = the attempt's startedAt).
 * @returns the new seq
 * @throws SqliteError SQLITE_CONSTRAINT_FOREIGNKEY when the run does not exist
 */
export function writeStartAttempt(s: Statements, attempt: Omit<AttemptRecord, 'seq' | 'status'>): number {
  const record = { ...attempt, status: 'running' as const };
  const output = encodeOutput(attempt.output);
  writeBlob(s, output);
  const seq = Number(s.insertAttempt.run(attemptValues(record, storedJson(attempt.ingredients), output)).lastInsertRowid);
  s.startNodeRunning.run(attempt.runId, attempt.nodeId, attempt.number, seq, attempt.startedAt);
  return seq;
}

/**
 * Finishes an attempt: outcome columns, node state (lastAttemptSeq defaults to `finish.seq`),
 * cache entry, run workspace and audit entries.
 * @throws TaskgraphError NOT_FOUND when no attempt has `finish.seq`, or the run is gone
 * @throws SqliteError SQLITE_CONSTRAINT_FOREIGNKEY when `finish.node.runId` does not exist
 * @throws TaskgraphError CONFIG_INVALID for an invalid audit entry (the transaction rolls back)
 */
export function writeFinishAttempt(s: Statements, finish: AttemptFinish): void {
  const output = encodeOutput(finish.output);
  writeBlob(s, output);
  const values = attemptOutcomeValues(finish, output);
  values.push(finish.seq);
  if (s.finishAttempt.run(values).changes === 0) {
    throw new TaskgraphError('NOT_FOUND', `finishAttempt: attempt ${finish.seq} not found`, {
      details: { seq: finish.seq },
      hint: 'finish only attempts returned by startAttempt',
    });
  }
  s.upsertRunNode.run(runNodeValues(finish.node, finish.node.lastAttemptSeq ?? finish.seq));
  if (finish.cache) writeCache(s, finish.cache, finish, output, undefined);
  if (finish.runWorkspace) writeRunWorkspace(s, finish.node.runId, finish.runWorkspace);
  writeAudit(s, finish.audit);
}

/**
 * Inserts an already finished attempt + node state (lastAttemptSeq = the new seq) + optional
 * cache entry + optional run workspace + optional audit entries.
 * @returns the attempt with its seq
 * @throws TaskgraphError STORE_ERROR when `attempt.status` is `running`; CONFIG_INVALID for an
 *   invalid audit entry (the transaction rolls back)
 * @throws SqliteError SQLITE_CONSTRAINT_FOREIGNKEY when the run does not exist
 */
export function writeFinishedAttempt(
  s: Statements,
  attempt: Omit<AttemptRecord, 'seq'>,
  node: RunNodeRecord,
  extras: FinishedAttemptExtras | undefined,
): AttemptRecord {
  if (attempt.status === 'running') {
    throw new TaskgraphError('STORE_ERROR', `recordFinishedAttempt: attempt of node ${attempt.nodeId} has status running`, {
      details: { runId: attempt.runId, nodeId: attempt.nodeId },
      hint: 'record a running attempt with startAttempt and finish it with finishAttempt',
    });
  }
  const output = encodeOutput(attempt.output);
  writeBlob(s, output);
  const ingredients = storedJson(attempt.ingredients);
  const seq = Number(s.insertAttempt.run(attemptValues(attempt, ingredients, output)).lastInsertRowid);
  s.upsertRunNode.run(runNodeValues(node, seq));
  if (extras?.cache) writeCache(s, extras.cache, attempt, output, ingredients);
  if (extras?.runWorkspace) writeRunWorkspace(s, node.runId, extras.runWorkspace);
  writeAudit(s, extras?.audit);
  return { ...attempt, seq };
}
