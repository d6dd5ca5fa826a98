import { join } from 'node:path';
import Database from 'better-sqlite3';
import { mulberry32 as seededRandom } from '../../src/testing/prng.js';
export { seededRandom };

/** One row of the store's `attempts` table, as the tests need it. */
export interface AttemptRow {
  seq: number;
  node_id: string;
  number: number;
  status: string;
}

/**
 * Reads a run's attempts straight from the project's SQLite store
 * (`<project>/.taskgraph/taskgraph.db`), opened read-only; call it only while no taskgraph
 * process writes (e.g. after a kill or after a command exited).
 * @returns attempts in `seq` order
 */
export function readAttempts(projectDir: string, runId: string): AttemptRow[] {
  const db = new Database(join(projectDir, '.taskgraph', 'taskgraph.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, node_id, number, status FROM attempts WHERE run_id = ? ORDER BY seq').all(runId) as AttemptRow[];
  } finally {
    db.close();
  }
}

/** The `status` column of a run in the `runs` table. */
export function readRunStatus(projectDir: string, runId: string): string | undefined {
  const db = new Database(join(projectDir, '.taskgraph', 'taskgraph.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string } | undefined)?.status;
  } finally {
    db.close();
  }
}

/** Groups attempts by node id. */
export function byNode(rows: readonly AttemptRow[]): Map<string, AttemptRow[]> {
  const map = new Map<string, AttemptRow[]>();
  for (const r of rows) map.set(r.node_id, [...(map.get(r.node_id) ?? []), r]);
  return map;
}


/**
 * Runs one read-only query against the project's SQLite store (safe while a taskgraph process
 * writes: WAL readers never block the writer).
 * @returns the rows
 */
export function queryStore<T = Record<string, unknown>>(projectDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(projectDir, '.taskgraph', 'taskgraph.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
