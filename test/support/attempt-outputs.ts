import { join } from 'node:path';
import Database from 'better-sqlite3';

/** One attempt with its recorded result, as read straight from the store. */
export interface AttemptResult {
  seq: number;
  node_id: string;
  number: number;
  status: string;
  /** the output column: JSON text, or null when the attempt recorded no output */
  output: string | null;
  output_hash: string | null;
  /** model calls the attempt recorded */
  calls: number;
}

/**
 * Reads every attempt of a run with its output from `<project>/.taskgraph/taskgraph.db`, opened
 * read-only; call it only while no taskgraph process writes (after a kill or an exit).
 * @returns attempts in `seq` order
 * @throws SqliteError when the database does not exist
 */
export function readAttemptResults(projectDir: string, runId: string): AttemptResult[] {
  const db = new Database(join(projectDir, '.taskgraph', 'taskgraph.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        // outputs over 64 KiB live in the blobs table (content-addressed)
        'SELECT a.seq, a.node_id, a.number, a.status, coalesce(a.output, CAST(b.data AS TEXT)) AS output, a.output_hash, a.calls FROM attempts a LEFT JOIN blobs b ON b.hash = a.output_blob WHERE a.run_id = ? ORDER BY a.seq',
      )
      .all(runId) as AttemptResult[];
  } finally {
    db.close();
  }
}
