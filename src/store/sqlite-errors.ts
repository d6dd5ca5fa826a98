import { TaskgraphError } from '../core/errors.js';

/**
 * Turns errors thrown by better-sqlite3 into {@link TaskgraphError}s with a hint. better-sqlite3
 * throws `SqliteError` whose `code` is the SQLite extended result code name
 * (https://www.sqlite.org/rescode.html), e.g. `SQLITE_BUSY`, `SQLITE_CONSTRAINT_FOREIGNKEY`.
 */

/** What the caller knows about the operation, to word the error. */
export interface StoreErrorContext {
  /** the Store method, e.g. `finishAttempt` */
  op: string;
  /** database file path (or `:memory:`) */
  path: string;
  /** message (or a function making it, called only on failure) for a foreign-key violation: which
   * parent record is missing (becomes `NOT_FOUND`) */
  missing?: string | (() => string);
  /** message for a primary-key/unique violation (e.g. "run r1 already exists") */
  duplicate?: string;
}

/** The SQLite result code name of an error, if it has one. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Wraps `error` as a `TaskgraphError`. A `TaskgraphError` passes through unchanged; a foreign-key
 * violation with `ctx.missing` becomes `NOT_FOUND`; everything else becomes `STORE_ERROR`
 * (retryable for `SQLITE_BUSY`/`SQLITE_LOCKED`).
 * @param error anything thrown by better-sqlite3 or by the store's own code
 * @param ctx operation and wording
 */
export function toStoreError(error: unknown, ctx: StoreErrorContext): TaskgraphError {
  if (error instanceof TaskgraphError) return error;
  const code = sqliteCode(error) ?? '';
  const text = error instanceof Error ? error.message : String(error);
  const details = { op: ctx.op, path: ctx.path, sqliteCode: code || undefined };
  const fail = (message: string, hint: string, retryable = false) =>
    new TaskgraphError('STORE_ERROR', `${ctx.op}: ${message}`, { cause: error, details, hint, retryable });

  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' && ctx.missing) {
    const missing = typeof ctx.missing === 'function' ? ctx.missing() : ctx.missing;
    return new TaskgraphError('NOT_FOUND', `${ctx.op}: ${missing}`, {
      cause: error,
      details,
      hint: 'create the parent record first (savePlan / createRun), or check the id',
    });
  }
  if ((code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') && ctx.duplicate) {
    return fail(ctx.duplicate, 'use a new id, or update the existing record instead');
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return fail(`database is busy (${text})`, 'another process holds the database; retry', true);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return fail(
      `database file ${ctx.path} is damaged or not a database (${text})`,
      'restore the file from a backup or delete .taskgraph/taskgraph.db (this loses run history)',
    );
  }
  if (code.startsWith('SQLITE_FULL')) return fail(`disk full (${text})`, 'free disk space and retry');
  if (code.startsWith('SQLITE_READONLY')) {
    return fail(`database ${ctx.path} is read-only (${text})`, 'check the file and directory permissions');
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return fail(`cannot open database ${ctx.path} (${text})`, 'check that the directory exists and is writable');
  }
  if (/no such (table|column)/.test(text)) {
    return fail(`schema missing or outdated (${text})`, 'call migrate() (openStore does) before using the store');
  }
  if (/database connection is not open/.test(text)) {
    return fail('the store is closed', 'open the store again; do not use it after close()');
  }
  return fail(text, 'see the cause; if it repeats, report it with the database file');
}

/** `NOT_FOUND` for a task id that is not in the plan. */
export function taskNotFound(planId: string, taskId: string): TaskgraphError {
  return new TaskgraphError('NOT_FOUND', `task ${taskId} not found in plan ${planId}`, {
    details: { planId, taskId },
    hint: 'check the task id with `taskgraph plan` / listTasks',
  });
}

/** `NOT_FOUND` for an unknown run id. */
export function runNotFound(runId: string): TaskgraphError {
  return new TaskgraphError('NOT_FOUND', `run ${runId} not found`, {
    details: { runId },
    hint: 'list runs with `taskgraph runs`',
  });
}
