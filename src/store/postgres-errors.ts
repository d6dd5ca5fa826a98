import { TaskgraphError } from '../core/errors.js';

/**
 * Turns errors thrown by `pg` into {@link TaskgraphError}s with a hint, as `sqlite-errors.ts` does
 * for SQLite: the same codes for the same situations (a missing parent row is `NOT_FOUND`, the
 * rest `STORE_ERROR`). Server errors carry a SQLSTATE in `code`
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html); connection failures carry
 * Node's errno code (`ECONNREFUSED`). Messages name the database by its URL without the password.
 */

/** What the caller knows about the operation, to word the error. */
export interface PgErrorContext {
  /** the Store method, e.g. `finishAttempt` */
  op: string;
  /** the database URL without its password ({@link import('./store-location.js').redactDatabaseUrl}) */
  display: string;
  /** message (or a function making it) for a foreign-key violation: which parent record is missing (becomes `NOT_FOUND`) */
  missing?: string | (() => string);
  /** message for a unique violation (e.g. "run r1 already exists") */
  duplicate?: string;
}

/** The hint for a server that cannot be reached (the way `.ci/run` starts it). */
export const START_POSTGRES_HINT =
  'start PostgreSQL (on Debian: `pg_ctlcluster <version> main start`; `.ci/run` starts it when it is down), check the host and port of the URL, ' +
  'or unset TASKGRAPH_DATABASE_URL / `store:` to use the SQLite file';

/** The SQLSTATE or errno code of an error, if it has one. */
export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Wraps `error` as a `TaskgraphError`. A `TaskgraphError` passes through unchanged.
 * @param error anything thrown by `pg` or by the store's own code
 * @param ctx operation and wording
 */
export function toPgStoreError(error: unknown, ctx: PgErrorContext): TaskgraphError {
  if (error instanceof TaskgraphError) return error;
  const code = pgCode(error) ?? '';
  const text = error instanceof Error ? error.message : String(error);
  const details = { op: ctx.op, store: ctx.display, sqlState: code || undefined };
  const fail = (message: string, hint: string, retryable = false) =>
    new TaskgraphError('STORE_ERROR', `${ctx.op}: ${message}`, { cause: error, details, hint, retryable });

  if (code === '23503' && ctx.missing) {
    const missing = typeof ctx.missing === 'function' ? ctx.missing() : ctx.missing;
    return new TaskgraphError('NOT_FOUND', `${ctx.op}: ${missing}`, {
      cause: error,
      details,
      hint: 'create the parent record first (savePlan / createRun), or check the id',
    });
  }
  if (code === '23505' && ctx.duplicate) return fail(ctx.duplicate, 'use a new id, or update the existing record instead');
  if (code === '40001' || code === '40P01' || code === '55P03') {
    return fail(`the database refused the transaction because of a concurrent one (${text})`, 'another process wrote the same rows; retry', true);
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET'].includes(code) || code.startsWith('08') || code === '57P01' || code === '57P03') {
    return fail(`cannot reach PostgreSQL at ${ctx.display} (${code || text})`, START_POSTGRES_HINT, true);
  }
  if (code === '28P01' || code === '28000') return fail(`PostgreSQL refused the login for ${ctx.display} (${text})`, 'check the user and password of the URL, and pg_hba.conf');
  if (code === '3D000') return fail(`database of ${ctx.display} does not exist (${text})`, 'create it (`createdb NAME`) or name another database in the URL');
  if (code === '42P01' || code === '42703' || code === '3F000') {
    return fail(`schema missing or outdated (${text})`, 'call migrate() (openStore does) before using the store');
  }
  if (/Cannot use a pool after calling end/i.test(text)) return fail('the store is closed', 'open the store again; do not use it after close()');
  return fail(text, 'see the cause; if it repeats, report it with the PostgreSQL server log');
}
