import { TaskgraphError } from '../core/errors.js';
import { canonicalJson, sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { exec, hasNulEscape, row, type Db } from './postgres-db.js';
import { insertAuditsPg } from './postgres-logs.js';
import { PG } from './postgres-statements.js';
import { runNotFound } from './sqlite-errors.js';
import { encodeOutput, type EncodedOutput } from './sqlite-outputs.js';
import { attemptOutcomeValues, attemptValues, cacheValues, runNodeValues, storedJson } from './sqlite-rows.js';
import type { AttemptFinish, AttemptRecord, CacheEntry, FinishedAttemptExtras, RunNodeRecord, WorkspaceSnapshot } from './store.js';

/**
 * The per-node writes of the PostgreSQL store: start, finish, and record-finished of an attempt
 * with its node state, cache entry, output blobs, run workspace and audit entries, as
 * `sqlite-attempt-writes.ts` does for SQLite, with the same value mappers. Each runs inside a
 * transaction the caller opened, on its client: blob, row and cache entry commit together or
 * not at all (DESIGN.md §5). A missing run surfaces as the foreign-key violation of the insert
 * (mapped to `NOT_FOUND` by the store), as in SQLite: no SELECT before each write.
 */

/**
 * Encodes an output as SQLite's store does (`encodeOutput`: inline JSON up to
 * `BLOB_THRESHOLD_BYTES`, else a content-addressed blob), except that an output holding the NUL
 * character also goes to a blob: `jsonb` cannot hold it, `bytea` keeps it exactly.
 */
export function encodeOutputPg(output: Json | undefined): EncodedOutput {
  const encoded = encodeOutput(output);
  if (encoded.text === null || !hasNulEscape(encoded.text)) return encoded;
  const data = Buffer.from(canonicalJson(JSON.parse(encoded.text) as Json), 'utf8');
  const hash = sha256(data);
  return { text: null, blobHash: hash, blob: { hash, size: data.length, data } };
}

/** Writes a blob (if the output has one) before the row that refers to it. */
async function writeBlob(db: Db, output: EncodedOutput): Promise<void> {
  if (output.blob) await exec(db, PG.insertBlob, [output.blob.hash, output.blob.size, output.blob.data]);
}

/** Writes a cache entry, reusing the attempt's encoded output/ingredients when the entry holds the very same objects. */
async function writeCache(
  db: Db,
  entry: CacheEntry,
  attempt: { output?: unknown; ingredients?: unknown },
  attemptOutput: EncodedOutput | undefined,
  attemptIngredients: string | undefined,
): Promise<void> {
  let output = attemptOutput;
  if (output === undefined || entry.output !== attempt.output) {
    output = encodeOutputPg(entry.output);
    await writeBlob(db, output);
  }
  const ingredients = attemptIngredients !== undefined && entry.ingredients === attempt.ingredients ? attemptIngredients : storedJson(entry.ingredients);
  await exec(db, PG.upsertCache, cacheValues(entry, ingredients, output));
}

/** Records the run's workspace; `NOT_FOUND` when the run does not exist. */
async function writeRunWorkspace(db: Db, runId: string, workspace: WorkspaceSnapshot): Promise<void> {
  if ((await exec(db, PG.setRunWorkspace, [JSON.stringify(workspace), new Date().toISOString(), runId])) === 0) throw runNotFound(runId);
}

/**
 * Inserts a `running` attempt and sets its node `running`.
 * @returns the new seq
 * @throws pg.DatabaseError 23503 (foreign key) when the run does not exist
 */
export async function writeStartAttempt(db: Db, attempt: Omit<AttemptRecord, 'seq' | 'status'>): Promise<number> {
  const output = encodeOutputPg(attempt.output);
  await writeBlob(db, output);
  const inserted = await row<{ seq: number }>(db, PG.insertAttempt, attemptValues({ ...attempt, status: 'running' }, storedJson(attempt.ingredients), output));
  const seq = inserted!.seq;
  await exec(db, PG.startNodeRunning, [attempt.runId, attempt.nodeId, attempt.number, seq, attempt.startedAt]);
  return seq;
}

/**
 * Finishes an attempt: outcome columns, node state (lastAttemptSeq defaults to `finish.seq`),
 * cache entry, run workspace and audit entries.
 * @throws TaskgraphError NOT_FOUND (no attempt `finish.seq`, or the run is gone), CONFIG_INVALID (audit entry)
 * @throws pg.DatabaseError 23503 when `finish.node.runId` does not exist
 */
export async function writeFinishAttempt(db: Db, finish: AttemptFinish): Promise<void> {
  const output = encodeOutputPg(finish.output);
  await writeBlob(db, output);
  const values = attemptOutcomeValues(finish, output);
  values.push(finish.seq);
  if ((await exec(db, PG.finishAttempt, values)) === 0) {
    throw new TaskgraphError('NOT_FOUND', `finishAttempt: attempt ${finish.seq} not found`, {
      details: { seq: finish.seq },
      hint: 'finish only attempts returned by startAttempt',
    });
  }
  await exec(db, PG.upsertRunNode, runNodeValues(finish.node, finish.node.lastAttemptSeq ?? finish.seq));
  if (finish.cache) await writeCache(db, finish.cache, finish, output, undefined);
  if (finish.runWorkspace) await writeRunWorkspace(db, finish.node.runId, finish.runWorkspace);
  await insertAuditsPg(db, finish.audit);
}

/** STORE_ERROR for a `running` attempt handed to recordFinishedAttempt (checked before any write). */
export function checkFinished(attempt: Omit<AttemptRecord, 'seq'>): void {
  if (attempt.status === 'running') {
    throw new TaskgraphError('STORE_ERROR', `recordFinishedAttempt: attempt of node ${attempt.nodeId} has status running`, {
      details: { runId: attempt.runId, nodeId: attempt.nodeId },
      hint: 'record a running attempt with startAttempt and finish it with finishAttempt',
    });
  }
}

/**
 * Inserts an already finished attempt + node state (lastAttemptSeq = the new seq) + optional
 * cache entry, run workspace and audit entries.
 * @returns the attempt with its seq
 * @throws TaskgraphError STORE_ERROR (status `running`), CONFIG_INVALID (audit entry)
 * @throws pg.DatabaseError 23503 when the run does not exist
 */
export async function writeFinishedAttempt(
  db: Db,
  attempt: Omit<AttemptRecord, 'seq'>,
  node: RunNodeRecord,
  extras: FinishedAttemptExtras | undefined,
): Promise<AttemptRecord> {
  checkFinished(attempt);
  const output = encodeOutputPg(attempt.output);
  await writeBlob(db, output);
  const ingredients = storedJson(attempt.ingredients);
  const seq = (await row<{ seq: number }>(db, PG.insertAttempt, attemptValues(attempt, ingredients, output)))!.seq;
  await exec(db, PG.upsertRunNode, runNodeValues(node, seq));
  if (extras?.cache) await writeCache(db, extras.cache, attempt, output, ingredients);
  await writeFinishedExtras(db, node.runId, extras);
  return { ...attempt, seq };
}

/**
 * The run workspace and audit entries of a finished attempt's extras (its cache entry is written
 * with the attempt).
 * @throws TaskgraphError NOT_FOUND (run), CONFIG_INVALID (audit entry)
 */
export async function writeFinishedExtras(db: Db, runId: string, extras: FinishedAttemptExtras | undefined): Promise<void> {
  if (extras?.runWorkspace) await writeRunWorkspace(db, runId, extras.runWorkspace);
  await insertAuditsPg(db, extras?.audit);
}
