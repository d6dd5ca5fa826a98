import type Database from 'better-sqlite3';
import { TaskgraphError } from '../core/errors.js';
import { runNotFound, sqliteCode } from './sqlite-errors.js';
import { RUN_PATCH_COLUMNS, REDACTED_RUN_COLUMNS, runNodeValues, runParams, storedJson, storedText, type Params } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';
import type { RunRecord } from './store.js';

/**
 * Writes of the `runs` table for {@link import('./sqlite-store.js').SqliteStore}: creating a run
 * with its pending nodes, and patching a run with a statement prepared per set of columns.
 */

/**
 * Inserts the run and one `pending` node row per graph node. Run inside a write transaction.
 * @throws TaskgraphError STORE_ERROR when a run with this id exists (the primary key says so,
 *   so there is no SELECT before every insert)
 */
export function writeCreateRun(s: Statements, run: RunRecord): void {
  try {
    s.insertRun.run(runParams(run));
  } catch (error) {
    if (sqliteCode(error) !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
    throw new TaskgraphError('STORE_ERROR', `createRun: run ${run.id} already exists`, {
      cause: error,
      details: { runId: run.id },
      hint: 'use a new run id, or resume the existing run',
    });
  }
  for (const node of run.graph.nodes) {
    s.insertRunNode.run(runNodeValues({ runId: run.id, nodeId: node.id, status: 'pending', attempts: 0, task: node.task }));
  }
}

/**
 * Applies `patch` to run `id` in one UPDATE. A key present with value `undefined` clears a
 * nullable column (non-nullable ones are skipped); `updatedAt` defaults to `now`. The UPDATE is
 * prepared once per sorted column set and kept in `cache` (the caller's, one per connection).
 * @param now ISO-8601 timestamp used when the patch has no `updatedAt`
 * @throws TaskgraphError NOT_FOUND when the run is missing
 */
export function writeRunPatch(
  db: Database.Database,
  cache: Map<string, Database.Statement>,
  id: string,
  patch: Partial<Omit<RunRecord, 'id' | 'createdAt'>>,
  now: string,
): void {
  const params: Params = { id, updated_at: patch.updatedAt ?? now };
  const columns: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const column = RUN_PATCH_COLUMNS[key];
    if (!column || (value === undefined && !column.nullable)) continue;
    const redact = REDACTED_RUN_COLUMNS.has(column.column);
    if (value === undefined) params[column.column] = null;
    else if (column.json) params[column.column] = redact ? storedJson(value) : JSON.stringify(value);
    else params[column.column] = redact ? storedText(value as string) : (value as string);
    columns.push(column.column);
  }
  columns.sort();
  const signature = columns.join(',');
  let stmt = cache.get(signature);
  if (!stmt) {
    const sets = [...columns, 'updated_at'].map((c) => `${c} = @${c}`).join(', ');
    stmt = db.prepare(`UPDATE runs SET ${sets} WHERE id = @id`);
    cache.set(signature, stmt);
  }
  if (stmt.run(params).changes === 0) throw runNotFound(id);
}
