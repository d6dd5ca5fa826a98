import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE_NAMES, loadProjectConfig } from '../project/load-config.js';
import { resolveStoreLocation, STORE_RELATIVE_PATH } from '../store/store-location.js';
import { bundledItems } from './bundled-library.js';
import { registerItemValidator } from './library.js';
import { SqliteLibrary } from './sqlite-library.js';
import { parseTemplateDocument } from './template-files.js';

// a template item's body is checked against the template format (`template-schema.ts`) when it is added
registerItemValidator('template', (body) => {
  parseTemplateDocument(body, 'template');
});

/**
 * The SQLite file that holds a project's library: the store's database when the store is SQLite
 * (`store-location.ts`: `TASKGRAPH_DATABASE_URL`, else `store:` of taskgraph.yaml, else
 * `.taskgraph/taskgraph.db`); with a PostgreSQL store the library stays in the project's local
 * `.taskgraph/taskgraph.db` (it uses SQLite's FTS5).
 * @param projectDir the project directory
 * @param configuredStore `store:` of taskgraph.yaml, if any
 * @throws TaskgraphError CONFIG_INVALID for a PostgreSQL URL that does not parse
 */
export function libraryDatabasePath(projectDir: string, configuredStore?: string): string {
  const location = resolveStoreLocation(projectDir, configuredStore);
  return location.kind === 'sqlite' ? location.path : join(projectDir, STORE_RELATIVE_PATH);
}

/**
 * Opens a project's library: the `library_items` tables of its SQLite database
 * ({@link libraryDatabasePath}; store migration 11), holding the bundled starter library
 * (`bundled-library.ts`) as seed.
 * @param projectDir the project directory
 * @param configuredStore `store:` of taskgraph.yaml, if any
 * @throws TaskgraphError STORE_ERROR when the database cannot be opened or migrated
 */
export function openProjectLibrary(projectDir: string, configuredStore?: string): SqliteLibrary {
  return SqliteLibrary.open(libraryDatabasePath(projectDir, configuredStore), { seed: bundledItems() });
}

/**
 * {@link openProjectLibrary} for a command that does not otherwise load the project: reads
 * `store:` from taskgraph.yaml when the project has one (a project without it uses the default).
 * @throws TaskgraphError CONFIG_INVALID for an invalid taskgraph.yaml; STORE_ERROR as above
 */
export async function openLibraryOf(projectDir: string): Promise<SqliteLibrary> {
  const hasConfig = CONFIG_FILE_NAMES.some((name) => existsSync(join(projectDir, name)));
  const store = hasConfig ? (await loadProjectConfig(projectDir)).config.store : undefined;
  return openProjectLibrary(projectDir, store);
}
