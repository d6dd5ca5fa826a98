import { isAbsolute, join, resolve } from 'node:path';
import { TaskgraphError } from '../core/errors.js';

/**
 * Where a project's store lives (issue 15): SQLite in `<project>/.taskgraph/taskgraph.db` (the
 * default), another SQLite file, or a PostgreSQL database. Chosen by the
 * `TASKGRAPH_DATABASE_URL` environment variable, else by `store:` in taskgraph.yaml, else the
 * default. Values:
 * - `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` (or `postgresql://`): the
 *   PostgreSQL store; `schema` puts every table in that schema (created by `migrate()` when
 *   missing), so teams and tests can share one database. `?options=-c search_path=NAME` also works,
 *   and other server settings can be given the same way (`?options=-c statement_timeout=5000`).
 * - `sqlite:PATH` or a plain path: a SQLite file (relative to the project directory).
 *
 * The password of a URL is a secret: {@link redactDatabaseUrl} replaces it before a URL reaches a
 * message, a log or a record; no error of this module or of the PostgreSQL store quotes it.
 */

/** Environment variable naming the store; wins over `store:` in taskgraph.yaml. */
export const DATABASE_URL_ENV = 'TASKGRAPH_DATABASE_URL';

/** Database file of a project, relative to the project directory. */
export const STORE_RELATIVE_PATH = join('.taskgraph', 'taskgraph.db');

/** A PostgreSQL location, parsed. */
export interface PostgresLocation {
  kind: 'postgres';
  /** the connection string handed to `pg`, without the `schema` parameter (holds the password) */
  connectionString: string;
  /** the schema named by `?schema=` (or `search_path` in `options`), when one was */
  schema?: string;
  /** the URL with its password replaced by `***`, for messages */
  display: string;
}

/** A SQLite location. */
export interface SqliteLocation {
  kind: 'sqlite';
  /** absolute file path */
  path: string;
}

/** Where the store lives. */
export type StoreLocation = PostgresLocation | SqliteLocation;

/** A schema name `?schema=` accepts: an unquoted PostgreSQL identifier, at most 63 bytes. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value.trim());
}

/**
 * `url` with the password (if any) replaced by `***`; a value that is not a URL is returned
 * with anything between `://` and `@` hidden, so even a malformed URL cannot leak it.
 * @param url a database URL
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}

/**
 * Parses a PostgreSQL URL: takes `schema` out of the query (it is not a libpq parameter) and
 * checks it, so it can be quoted safely in SQL.
 * @throws TaskgraphError CONFIG_INVALID (message without the password) for an unparsable URL or a bad schema name
 */
export function parsePostgresUrl(url: string): PostgresLocation {
  const display = redactDatabaseUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new TaskgraphError('CONFIG_INVALID', `store: ${display} is not a valid PostgreSQL URL`, {
      details: { store: display },
      hint: 'write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]',
    });
  }
  const schemaParam = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const searchPath = /(?:^|\s)-c\s*search_path=([^\s,]+)/.exec(parsed.searchParams.get('options') ?? '')?.[1];
  const schema = schemaParam ?? searchPath;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new TaskgraphError('CONFIG_INVALID', `store: schema "${schema}" in ${display} is not a plain identifier`, {
      details: { store: display, schema },
      hint: 'use letters, digits and underscores (not starting with a digit), at most 63 characters',
    });
  }
  // the server sets search_path at connection start (libpq `options`), so every pooled
  // connection works in the schema; other `options` of the URL are kept
  if (schemaParam !== null) {
    const other = parsed.searchParams.get('options')?.trim();
    parsed.searchParams.set('options', `${other ? `${other} ` : ''}-c search_path=${schemaParam}`);
  }
  return { kind: 'postgres', connectionString: parsed.toString(), ...(schema !== undefined ? { schema } : {}), display: redactDatabaseUrl(parsed.toString()) };
}

/**
 * Decides where a project's store lives: `env.TASKGRAPH_DATABASE_URL` when set (non-empty), else
 * `configured` (`store:` of taskgraph.yaml), else `<projectDir>/.taskgraph/taskgraph.db`.
 * @param projectDir the project directory (relative SQLite paths are resolved against it)
 * @param configured the `store:` value of taskgraph.yaml, if any
 * @param env the environment (default `process.env`)
 * @throws TaskgraphError CONFIG_INVALID for a PostgreSQL URL that does not parse
 */
export function resolveStoreLocation(projectDir: string, configured?: string, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  const fromEnv = env[DATABASE_URL_ENV]?.trim();
  const value = fromEnv ? fromEnv : configured?.trim();
  if (!value) return { kind: 'sqlite', path: join(projectDir, STORE_RELATIVE_PATH) };
  if (isPostgresUrl(value)) return parsePostgresUrl(value);
  const path = value.replace(/^sqlite:(?:\/\/)?/i, '');
  return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(projectDir, path) };
}
