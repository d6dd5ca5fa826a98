import { SqliteStore } from './sqlite-store.js';
import { addSecretEnvNames } from '../security/redact.js';
import { DATABASE_URL_ENV, resolveStoreLocation, STORE_RELATIVE_PATH } from './store-location.js';
import type { Store } from './store.js';

export { STORE_RELATIVE_PATH };

/** How {@link openStore} chooses the store. */
export interface OpenStoreOptions {
  /** `store:` of taskgraph.yaml: a `postgres://` URL, `sqlite:PATH` or a path (default: the project's SQLite file) */
  store?: string;
  /** the environment whose `TASKGRAPH_DATABASE_URL` wins over `store` (default `process.env`) */
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens the project's store and applies pending migrations. Where it lives
 * (`store-location.ts`): `TASKGRAPH_DATABASE_URL` when set, else `options.store`, else
 * `<projectDir>/.taskgraph/taskgraph.db` (the directory is created). A `postgres://` value opens
 * the `PostgresStore` (`postgres-store.ts`) (its schema is created by the migration when the URL names one); a
 * `sqlite:` or path value a {@link SqliteStore}.
 * @param projectDir the project directory (the user's checkout)
 * @throws TaskgraphError CONFIG_INVALID for a PostgreSQL URL that does not parse; STORE_ERROR when
 *   the database cannot be opened, reached or migrated (messages never show a URL's password)
 */
export async function openStore(projectDir: string, options: OpenStoreOptions = {}): Promise<Store> {
  const env = options.env ?? process.env;
  const location = resolveStoreLocation(projectDir, options.store, env);
  // a URL with a password, given in the environment, is a secret as a whole: the redactor then
  // removes it from every output, note and record, wherever it turns up (security/redact.ts)
  if (location.kind === 'postgres' && env === process.env && env[DATABASE_URL_ENV] && /\/\/[^/@]*:[^/@]*@/.test(env[DATABASE_URL_ENV])) {
    addSecretEnvNames([DATABASE_URL_ENV]);
  }
  // the PostgreSQL driver is loaded only for a PostgreSQL store (it adds ~0.1 s to every CLI start)
  const store = location.kind === 'postgres' ? (await import('./postgres-store.js')).PostgresStore.open(location) : SqliteStore.open(location.path);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
