import type { Json } from '../core/json.js';
import { pgJson, rows, statements, type Db } from './postgres-db.js';
import { checkFinished, encodeOutputPg, writeFinishedAttempt, writeFinishedExtras } from './postgres-attempt-writes.js';
import { PG } from './postgres-statements.js';
import type { RunEvent, RunEventInput } from './run-events.js';
import { checkRunEvents } from './sqlite-run-events.js';
import { attemptValues, cacheValues, runNodeValues, storedJson } from './sqlite-rows.js';
import type { AttemptRecord, FinishedAttemptWrite } from './store.js';

/**
 * Multi-row writes of the PostgreSQL store: the engine's group commit (`recordFinishedAttempts`,
 * up to 256 cheap pure nodes per transaction) and batches of run events, each as a handful of
 * statements over `unnest` of array parameters instead of several statements per row. Every
 * statement is a round trip to the server, so this is where the store's per-node cost goes
 * (`bench/postgres-overhead.mjs`). The results are those of the row-by-row writes: rows are
 * inserted in the order given, and identity values are drawn in that order, so the seqs returned
 * (sorted) belong to the inputs in order.
 */

/** Array element types of the `unnest` columns, in the column order of `attemptValues`. */
const ATTEMPT_TYPES = ['text', 'text', 'int', 'text', 'jsonb', 'text', 'text', 'jsonb', 'text', 'text', 'jsonb', 'text', 'int8', 'int8', 'float8', 'text', 'int', 'text', 'float8', 'jsonb'];
const NODE_TYPES = ['text', 'text', 'text', 'int', 'text', 'int8', 'text'];
const CACHE_TYPES = ['text', 'text', 'text', 'jsonb', 'jsonb', 'text', 'text', 'int8', 'int8', 'float8', 'text', 'int', 'jsonb', 'text'];
const unnest = (types: string[]): string => `unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;

const BATCH = statements(
  {
    insertAttempts: `INSERT INTO attempts (run_id, node_id, number, cache_key, ingredients, started_at, status, output, output_blob, output_hash,
        error, suspend_reason, input_tokens, output_tokens, cost_usd, model, calls, finished_at, duration_ms, workspace_after)
      SELECT * FROM ${unnest(ATTEMPT_TYPES)} RETURNING seq`,
    upsertRunNodes: `INSERT INTO run_nodes (run_id, node_id, status, attempts, task, last_attempt_seq, started_at)
      SELECT * FROM ${unnest(NODE_TYPES)}
      ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
        task = excluded.task, last_attempt_seq = excluded.last_attempt_seq, started_at = excluded.started_at`,
    upsertCaches: `INSERT INTO cache_entries (key, kind, node_id, ingredients, output, output_blob, output_hash, input_tokens, output_tokens,
        cost_usd, model, calls, workspace_after, created_at)
      SELECT * FROM ${unnest(CACHE_TYPES)}
      ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, node_id = excluded.node_id, ingredients = excluded.ingredients,
        output = excluded.output, output_blob = excluded.output_blob, output_hash = excluded.output_hash,
        input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, cost_usd = excluded.cost_usd,
        model = excluded.model, calls = excluded.calls, workspace_after = excluded.workspace_after, created_at = excluded.created_at`,
    insertRunEvents: `INSERT INTO run_events (run_id, at, type, node_id, data) SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::jsonb[])
      RETURNING seq, data`,
  },
  'tg.batch',
);

/** A value as an array element: NUL-free text (see `postgres-db.ts`), jsonb-safe JSON text. */
function element(value: unknown, type: string): unknown {
  if (typeof value !== 'string') return value;
  const text = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
  return type === 'jsonb' ? pgJson(text) : text;
}

/** Rows of positional values -> one array per column. */
function columns(rowsOfValues: readonly unknown[][], types: readonly string[]): unknown[][] {
  return types.map((type, c) => rowsOfValues.map((values) => element(values[c], type)));
}

/** True when two items share a key: such a batch goes row by row (an upsert cannot touch one row twice). */
function hasDuplicates(keys: readonly string[]): boolean {
  return new Set(keys).size !== keys.length;
}

/**
 * Writes finished attempts (each with its node state, optional cache entry, run workspace and
 * audit entries) inside the caller's transaction, in order; the batched path when no two items
 * name the same node or cache key, else row by row.
 * @returns the attempts with their seqs, in input order
 * @throws TaskgraphError STORE_ERROR (a `running` attempt, before anything is written), CONFIG_INVALID (an audit entry)
 * @throws pg.DatabaseError 23503 when a run does not exist
 */
export async function writeFinishedBatch(db: Db, batch: readonly FinishedAttemptWrite[]): Promise<AttemptRecord[]> {
  for (const w of batch) checkFinished(w.attempt);
  const cached = batch.flatMap((w) => (w.extras?.cache ? [w.extras.cache.key] : []));
  if (batch.length < 2 || hasDuplicates(batch.map((w) => `${w.node.runId}\u0000${w.node.nodeId}`)) || hasDuplicates(cached)) {
    const out: AttemptRecord[] = [];
    for (const w of batch) out.push(await writeFinishedAttempt(db, w.attempt, w.node, w.extras));
    return out;
  }
  const encoded = batch.map((w) => ({ output: encodeOutputPg(w.attempt.output), ingredients: storedJson(w.attempt.ingredients) }));
  const caches = batch.map((w, i) => {
    const entry = w.extras?.cache;
    if (!entry) return undefined;
    const output = entry.output === w.attempt.output ? encoded[i]!.output : encodeOutputPg(entry.output as Json);
    const ingredients = entry.ingredients === w.attempt.ingredients ? encoded[i]!.ingredients : storedJson(entry.ingredients);
    return { entry, output, ingredients };
  });
  const blobs = new Map([...encoded.map((e) => e.output), ...caches.flatMap((c) => (c ? [c.output] : []))].flatMap((o) => (o.blob ? [[o.blob.hash, o.blob] as const] : [])));
  for (const blob of blobs.values()) await rows(db, PG.insertBlob, [blob.hash, blob.size, blob.data]);

  const seqs = (await rows<{ seq: number }>(db, BATCH.insertAttempts, columns(batch.map((w, i) => attemptValues(w.attempt, encoded[i]!.ingredients, encoded[i]!.output)), ATTEMPT_TYPES)))
    .map((r) => r.seq)
    .sort((a, b) => a - b);
  await rows(db, BATCH.upsertRunNodes, columns(batch.map((w, i) => runNodeValues(w.node, seqs[i])), NODE_TYPES));
  const entries = caches.flatMap((c) => (c ? [cacheValues(c.entry, c.ingredients, c.output)] : []));
  if (entries.length > 0) await rows(db, BATCH.upsertCaches, columns(entries, CACHE_TYPES));
  for (const w of batch) await writeFinishedExtras(db, w.node.runId, w.extras);
  return batch.map((w, i) => ({ ...w.attempt, seq: seqs[i]! }));
}

/**
 * Inserts `events` in order inside the caller's transaction, in one statement, after the
 * run-event lock (seq order is commit order; see migration 9).
 * @returns the events as stored
 * @throws TaskgraphError CONFIG_INVALID before anything is written; pg foreign-key error for an unknown run
 */
export async function insertRunEventsBatch(db: Db, events: readonly RunEventInput[]): Promise<RunEvent[]> {
  checkRunEvents(events);
  await rows(db, PG.lockRunEvents);
  const values = events.map((e) => [e.runId, e.at, e.type, e.nodeId ?? null, storedJson(e.data)]);
  const stored = (await rows<{ seq: number; data: string }>(db, BATCH.insertRunEvents, columns(values, ['text', 'int8', 'text', 'text', 'jsonb']))).sort((a, b) => a.seq - b.seq);
  return events.map((e, i) => ({
    seq: stored[i]!.seq,
    runId: e.runId,
    at: e.at,
    type: e.type,
    ...(e.nodeId !== undefined ? { nodeId: e.nodeId } : {}),
    data: JSON.parse(stored[i]!.data) as Record<string, Json>,
  }));
}
