import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { TaskgraphError } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import { formatItemRef, type LibraryItem, type LibraryItemInput, type LibraryKind, toLibraryItem } from './library.js';
import './prompt-format.js'; // registers the prompt validator

/**
 * A library directory (issue 14, "Shared library file formats"): `prompts/*.yaml` and
 * `templates/*.yaml`, one item per file, named `<name>@<version>.yaml`. The repository's
 * bundled starter library is `library/` at the package root; a project's is
 * `.taskgraph/library/` (`taskgraph library export|import`).
 */

/** The sub-directory of each kind. */
export const KIND_DIRS: Record<LibraryKind, string> = { prompt: 'prompts', template: 'templates' };

/** A project's default library directory, relative to the project directory. */
export const PROJECT_LIBRARY_DIR = join('.taskgraph', 'library');

/** The file name of an item: `<name>@<version>.yaml`. */
export function itemFileName(item: { name: string; version: number }): string {
  return `${formatItemRef(item)}.yaml`;
}

/**
 * Reads every item of a library directory (synchronously: a library is a few dozen small files).
 * A missing `prompts/` or `templates/` sub-directory holds nothing.
 * @param dir the library directory
 * @param kinds the kinds to read (default both)
 * @returns the items, prompts first, each kind in file-name order
 * @throws TaskgraphError NOT_FOUND when `dir` does not exist; CONFIG_INVALID for a file that is
 *   not valid YAML, not a valid item, of the other kind, or whose name is not `<name>@<version>.yaml`
 */
export function readLibraryDir(dir: string, kinds: readonly LibraryKind[] = ['prompt', 'template']): LibraryItemInput[] {
  let top: string[];
  try {
    top = readdirSync(dir);
  } catch {
    throw new TaskgraphError('NOT_FOUND', `library directory ${dir} does not exist`, { details: { dir }, hint: 'give a directory holding prompts/*.yaml and templates/*.yaml' });
  }
  const items: LibraryItemInput[] = [];
  for (const kind of (['prompt', 'template'] as const).filter((k) => kinds.includes(k))) {
    if (!top.includes(KIND_DIRS[kind])) continue;
    const sub = join(dir, KIND_DIRS[kind]);
    for (const file of readdirSync(sub).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()) {
      const path = join(sub, file);
      let doc: unknown;
      try {
        doc = parseYaml(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new TaskgraphError('CONFIG_INVALID', `${path}: not valid YAML: ${(error as Error).message.split('\n')[0]}`, { details: { path }, cause: error });
      }
      const item = toLibraryItem(doc, path);
      if (item.kind !== kind) {
        throw new TaskgraphError('CONFIG_INVALID', `${path}: a ${item.kind} in ${KIND_DIRS[kind]}/`, { details: { path }, hint: `move it to ${KIND_DIRS[item.kind]}/` });
      }
      if (file.replace(/\.ya?ml$/, '') !== formatItemRef(item)) {
        throw new TaskgraphError('CONFIG_INVALID', `${path}: the file of ${formatItemRef(item)} must be named ${itemFileName(item)}`, { details: { path }, hint: `rename it to ${itemFileName(item)}` });
      }
      items.push(item);
    }
  }
  return items;
}

/** The item document with its common fields first (kind, name, version, description, tags), then the kind's own in their order. */
export function itemDocument(item: Pick<LibraryItem, 'body'>): Json {
  if (!isJsonObject(item.body)) return item.body;
  const { kind, name, version, description, tags, ...rest } = item.body;
  return { kind: kind ?? null, name: name ?? null, version: version ?? null, description: description ?? null, tags: tags ?? [], ...rest };
}

/** The YAML text of an item's file. Long texts are written as literal blocks (`|-`), kept line for line. */
export function itemYaml(item: Pick<LibraryItem, 'body'>): string {
  return stringify(itemDocument(item), { lineWidth: 0, blockQuote: 'literal' });
}

/**
 * Writes items into a library directory, one file per item (`<kind dir>/<name>@<version>.yaml`),
 * each through a temporary file and a rename, so a file is never half-written. Other files in the
 * directory are left alone.
 * @returns the paths written
 */
export function writeLibraryDir(dir: string, items: readonly Pick<LibraryItem, 'kind' | 'name' | 'version' | 'body'>[]): string[] {
  const written: string[] = [];
  for (const item of items) {
    const sub = join(dir, KIND_DIRS[item.kind]);
    mkdirSync(sub, { recursive: true });
    const path = join(sub, itemFileName(item));
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, itemYaml(item));
    renameSync(tmp, path);
    written.push(path);
  }
  return written;
}
