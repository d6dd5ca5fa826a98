import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.js';

/** Database file of a project, relative to the project directory. */
export const STORE_RELATIVE_PATH = join('.taskgraph', 'taskgraph.db');

/**
 * Opens the project's store at `<projectDir>/.taskgraph/taskgraph.db` (creating the directory)
 * and applies pending migrations.
 * @param projectDir the project directory (the user's checkout)
 * @throws TaskgraphError STORE_ERROR when the file cannot be opened or migrated
 */
export async function openStore(projectDir: string): Promise<SqliteStore> {
  const store = SqliteStore.open(join(projectDir, STORE_RELATIVE_PATH));
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
