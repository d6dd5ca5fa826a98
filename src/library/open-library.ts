import { join } from 'node:path';
import { STORE_RELATIVE_PATH } from '../store/open-store.js';
import { bundledItems } from './bundled-library.js';
import { registerItemValidator } from './library.js';
import { SqliteLibrary } from './sqlite-library.js';
import { parseTemplateDocument } from './template-files.js';

// a template item's body is checked against the template format (`template-schema.ts`) when it is added
registerItemValidator('template', (body) => {
  parseTemplateDocument(body, 'template');
});

/**
 * Opens a project's library: the `library_items` tables of its store database
 * (`.taskgraph/taskgraph.db`, store migration 11), holding the bundled starter library
 * (`bundled-library.ts`) as seed.
 * @param projectDir the project directory
 * @throws TaskgraphError STORE_ERROR when the database cannot be opened or migrated
 */
export function openProjectLibrary(projectDir: string): SqliteLibrary {
  return SqliteLibrary.open(join(projectDir, STORE_RELATIVE_PATH), { seed: bundledItems() });
}
