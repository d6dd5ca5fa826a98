import pg from 'pg';

/**
 * The connection layer of the PostgreSQL store (`postgres-store.ts`): a `pg.Pool` with the type
 * parsers the row mappers expect, statements sent by name (so each connection parses and plans
 * a statement once: https://node-postgres.com/features/queries#prepared-statements), and
 * transactions on one pooled client (BEGIN ... COMMIT, ROLLBACK on any error).
 */

/** A pool or one of its clients (inside a transaction). */
export type Db = pg.Pool | pg.PoolClient;

/** A statement: its text and the name it is prepared under on each connection (unique per text). */
export interface Stmt {
  name: string;
  text: string;
  /** 0-based indexes of the parameters that are JSON text for a `jsonb` column ({@link pgJson} is applied) */
  json?: readonly number[];
}

/** How a statement is defined: its SQL, or its SQL and the indexes of its JSON parameters. */
export type StmtSpec = string | { sql: string; json: readonly number[] };

/** Defines named statements from `{ key: spec }`; each is prepared as `<prefix>.<key>`. */
export function statements<K extends string>(specs: Record<K, StmtSpec>, prefix: string): Record<K, Stmt> {
  const out = {} as Record<K, Stmt>;
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    out[key] = typeof spec === 'string' ? { name: `${prefix}.${key}`, text: spec } : { name: `${prefix}.${key}`, text: spec.sql, json: spec.json };
  }
  return out;
}

/** A `\u0000` escape in JSON text (not an escaped backslash followed by `u0000`). */
const NUL_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\u0000/g;

/** True when JSON text holds the NUL character (as the escape `\u0000`), which `jsonb` refuses. */
export function hasNulEscape(json: string): boolean {
  if (!json.includes('\\u0000')) return false;
  NUL_ESCAPE.lastIndex = 0;
  return NUL_ESCAPE.test(json);
}

/**
 * JSON text `jsonb` accepts: a NUL character (the escape `\u0000`, refused by jsonb:
 * https://www.postgresql.org/docs/current/datatype-json.html) becomes U+FFFD. Other text is
 * returned as it is.
 */
export function pgJson(json: string): string {
  return json.includes('\\u0000') ? json.replace(NUL_ESCAPE, '\\ufffd') : json;
}

/** `int8` (bigint: ms, seqs, ids) as a JS number: every value the store writes is a safe integer. */
const parseInt8 = (text: string): number => Number(text);
/** `json`/`jsonb` as their text: the row mappers parse it (as they do SQLite's TEXT JSON). */
const keepText = (text: string): string => text;

/**
 * Type parsers of the store's pools: int8 -> number, json/jsonb -> text, the rest as `pg` does
 * (int4/float8 -> number, bool -> boolean, bytea -> Buffer, text -> string). OIDs from
 * `pg_type`: 20 int8, 114 json, 3802 jsonb.
 */
export const STORE_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === 20) return parseInt8;
    if (oid === 114 || oid === 3802) return keepText;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * Text PostgreSQL can hold: `text` and `jsonb` cannot hold the NUL character (U+0000), which
 * SQLite keeps; it becomes U+FFFD (the replacement character) in every string value written.
 * (Outputs keep it exactly: `postgres-rows.ts` stores an output with one as a blob.)
 */
function clean(values: readonly unknown[], json?: readonly number[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string' && v.includes('\0')) {
      out ??= [...values];
      out[i] = v.replaceAll('\0', '\uFFFD');
    }
  }
  if (json) {
    for (const i of json) {
      const v = (out ?? values)[i];
      if (typeof v === 'string' && v.includes('\\u0000')) {
        out ??= [...values];
        out[i] = pgJson(v);
      }
    }
  }
  return out ?? (values as unknown[]);
}

/** Runs a statement; returns its rows. */
export async function rows<R>(db: Db, stmt: Stmt, values: readonly unknown[] = []): Promise<R[]> {
  const result = await db.query<R & pg.QueryResultRow>({ name: stmt.name, text: stmt.text, values: clean(values, stmt.json) });
  return result.rows;
}

/** Runs a statement; returns its first row, if any. */
export async function row<R>(db: Db, stmt: Stmt, values: readonly unknown[] = []): Promise<R | undefined> {
  return (await rows<R>(db, stmt, values))[0];
}

/** Runs a statement; returns how many rows it changed. */
export async function exec(db: Db, stmt: Stmt, values: readonly unknown[] = []): Promise<number> {
  const result = await db.query({ name: stmt.name, text: stmt.text, values: clean(values, stmt.json) });
  return result.rowCount ?? 0;
}

/** Runs unnamed SQL (dynamic statements, DDL); returns the result. */
export async function query<R extends pg.QueryResultRow>(db: Db, text: string, values: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
  return db.query<R>(text, clean(values));
}

/**
 * Runs `fn` in a transaction on one client of `pool`: BEGIN, `fn`, COMMIT; ROLLBACK when `fn`
 * (or COMMIT) throws, and the error is rethrown. A client whose ROLLBACK fails (the connection
 * broke) is discarded rather than returned to the pool.
 * @param pool the store's pool
 * @param fn the transaction's work (all its statements on `client`)
 */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollback) {
      broken = rollback as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
