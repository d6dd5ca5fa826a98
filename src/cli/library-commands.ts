import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { formatItemRef, type Library, type LibraryItem, type LibraryItemInput, type LibraryKind, parseItemRef, toLibraryItem } from '../library/library.js';
import { itemYaml, PROJECT_LIBRARY_DIR, readLibraryDir, writeLibraryDir } from '../library/library-files.js';
import { resolveLibrarySource } from '../library/library-package.js';
import { openLibraryOf } from '../library/open-library.js';
import { promptOf } from '../library/prompt-format.js';
import { renderPrompt } from '../library/prompt-render.js';
import { sha256 } from '../core/hash.js';
import { safeJson, safeText } from './safe-text.js';

/**
 * `taskgraph library ls|search|show|add|rm|export|import` and `taskgraph prompt
 * ls|show|render|add` (issue 14; README "Library"). They open only the project's library (the
 * store's SQLite database, `open-library.ts`), not its models, so they work in any directory,
 * with or without taskgraph.yaml.
 */

/** Options every library command takes. */
export interface LibraryOptions {
  /** the project directory (`-C`) */
  project: string;
  json?: boolean;
}

const write = (text: string) => process.stdout.write(`${safeText(text)}\n`);

async function withLibrary<T>(opts: LibraryOptions, fn: (library: Library) => Promise<T>): Promise<T> {
  const library = await openLibraryOf(resolve(opts.project));
  try {
    return await fn(library);
  } finally {
    await library.close();
  }
}

/** The JSON of an item in listings (the body only in `show`). */
function summary(item: LibraryItem): Record<string, Json> {
  return { kind: item.kind, name: item.name, version: item.version, ref: formatItemRef(item), description: item.description, tags: item.tags, createdAt: item.createdAt };
}

function line(item: LibraryItem): string {
  return `${item.kind.padEnd(8)} ${formatItemRef(item).padEnd(32)} ${item.tags.length > 0 ? `[${item.tags.join(', ')}] ` : ''}${item.description}`;
}

function parseKind(kind: string | undefined): LibraryKind | undefined {
  if (kind === undefined || kind === 'prompt' || kind === 'template') return kind;
  throw new TaskgraphError('CONFIG_INVALID', `unknown kind "${kind}"`, { hint: '--kind prompt or --kind template' });
}

/** Finds the item a reference names; without `kind`, a prompt first, then a template. */
async function find(library: Library, ref: string, kind: LibraryKind | undefined): Promise<LibraryItem> {
  const { name, version } = parseItemRef(ref);
  for (const k of kind ? [kind] : (['prompt', 'template'] as const)) {
    const item = await library.get(k, name, version);
    if (item) return item;
  }
  throw new TaskgraphError('NOT_FOUND', `no ${kind ?? 'prompt or template'} ${ref} in the library`, { details: { ref }, hint: 'taskgraph library ls --all-versions lists what the library holds' });
}

/** `library ls` / `prompt ls`. */
export async function libraryLsCommand(opts: LibraryOptions & { kind?: string; allVersions?: boolean }): Promise<number> {
  return withLibrary(opts, async (library) => {
    const kind = parseKind(opts.kind);
    const items = await library.list({ ...(kind ? { kind } : {}), ...(opts.allVersions ? { allVersions: true } : {}) });
    if (opts.json) write(safeJson(items.map(summary)));
    else if (items.length === 0) write('the library is empty');
    else for (const item of items) write(line(item));
    return 0;
  });
}

/** `library search [TEXT] --tag T ... [--any]`. */
export async function librarySearchCommand(text: string | undefined, opts: LibraryOptions & { kind?: string; tag?: string[]; any?: boolean; allVersions?: boolean; limit?: number }): Promise<number> {
  return withLibrary(opts, async (library) => {
    const kind = parseKind(opts.kind);
    if ((text ?? '').trim() === '' && (opts.tag ?? []).length === 0) {
      throw new TaskgraphError('CONFIG_INVALID', 'say what to search for', { hint: 'taskgraph library search "words" and/or --tag TAG (repeatable; --any for any of them)' });
    }
    const hits = await library.search({
      ...(kind ? { kind } : {}),
      ...(text ? { text } : {}),
      ...(opts.tag ? { tags: opts.tag } : {}),
      tagMode: opts.any ? 'any' : 'all',
      ...(opts.allVersions ? { allVersions: true } : {}),
      ...(opts.limit ? { limit: opts.limit } : {}),
    });
    if (opts.json) write(safeJson(hits.map((h) => ({ ...summary(h.item), score: Number(h.score.toFixed(4)), matchedTags: h.matchedTags }))));
    else if (hits.length === 0) write('nothing found');
    else for (const h of hits) write(`${h.score.toFixed(2).padStart(7)}  ${line(h.item)}`);
    return 0;
  });
}

/** `library show REF` / `prompt show REF`: the item's YAML file (or JSON). */
export async function libraryShowCommand(ref: string, opts: LibraryOptions & { kind?: string }): Promise<number> {
  return withLibrary(opts, async (library) => {
    const item = await find(library, ref, parseKind(opts.kind));
    if (opts.json) write(safeJson({ ...summary(item), body: item.body }));
    else process.stdout.write(safeText(itemYaml(item)));
    return 0;
  });
}

function readItemFile(file: string): LibraryItemInput {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TaskgraphError('NOT_FOUND', `${file}: no such file`, { details: { path } });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new TaskgraphError('CONFIG_INVALID', `${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`, { details: { path }, cause: error });
  }
  return toLibraryItem(doc, file);
}

/** `library add FILE...` / `prompt add FILE...` (all files or none). */
export async function libraryAddCommand(files: string[], opts: LibraryOptions & { onlyKind?: LibraryKind }): Promise<number> {
  const items = files.map(readItemFile);
  const wrong = opts.onlyKind ? items.find((i) => i.kind !== opts.onlyKind) : undefined;
  if (wrong) throw new TaskgraphError('CONFIG_INVALID', `${formatItemRef(wrong)} is a ${wrong.kind}, not a ${opts.onlyKind}`, { hint: 'taskgraph library add FILE adds any kind' });
  return withLibrary(opts, async (library) => {
    const added = await library.add(items);
    if (opts.json) write(safeJson(added.map(summary)));
    else for (const item of added) write(`added ${item.kind} ${formatItemRef(item)}`);
    return 0;
  });
}

/** `library rm REF`: one version, or every version with `--all-versions` and a bare name. */
export async function libraryRmCommand(ref: string, opts: LibraryOptions & { kind?: string; allVersions?: boolean }): Promise<number> {
  return withLibrary(opts, async (library) => {
    const { name, version } = parseItemRef(ref);
    if (version === undefined && !opts.allVersions) {
      throw new TaskgraphError('CONFIG_INVALID', `say which version of ${name} to remove`, { hint: `taskgraph library rm ${name}@VERSION, or --all-versions to remove every version` });
    }
    const item = await find(library, ref, parseKind(opts.kind));
    const removed = await library.remove(item.kind, name, version);
    if (opts.json) write(safeJson({ kind: item.kind, name, version: version ?? null, removed }));
    else write(`removed ${removed} version${removed === 1 ? '' : 's'} of ${item.kind} ${name}`);
    return 0;
  });
}

/** `library export [DIR]`: every version of every item, one YAML file each. */
export async function libraryExportCommand(dir: string | undefined, opts: LibraryOptions): Promise<number> {
  return withLibrary(opts, async (library) => {
    const target = resolve(opts.project, dir ?? PROJECT_LIBRARY_DIR);
    const items = await library.list({ allVersions: true });
    const written = writeLibraryDir(target, items);
    if (opts.json) write(safeJson({ dir: target, files: written.length, items: items.map(formatItemRef) }));
    else write(`wrote ${written.length} item${written.length === 1 ? '' : 's'} to ${target}`);
    return 0;
  });
}

/** `library import [SOURCE]`: a library directory, a package directory or an installed `taskgraph-library-*` package (all items or none). */
export async function libraryImportCommand(sourceArg: string | undefined, opts: LibraryOptions): Promise<number> {
  const projectDir = resolve(opts.project);
  const source = resolveLibrarySource(sourceArg ?? resolve(projectDir, PROJECT_LIBRARY_DIR), projectDir);
  const items = readLibraryDir(source.dir);
  return withLibrary(opts, async (library) => {
    const before = new Set((await library.list({ allVersions: true })).map((i) => `${i.kind} ${formatItemRef(i)}`));
    await library.add(items);
    const added = items.filter((i) => !before.has(`${i.kind} ${formatItemRef(i)}`)).map((i) => `${i.kind} ${formatItemRef(i)}`);
    if (opts.json) write(safeJson({ dir: source.dir, ...(source.package ? { package: source.package.name, packageVersion: source.package.version } : {}), items: items.length, added }));
    else write(`imported ${items.length} item${items.length === 1 ? '' : 's'} from ${source.package ? `package ${source.package.name}@${source.package.version}` : source.dir} (${added.length} new)`);
    return 0;
  });
}

/** Variables from `--var NAME=VALUE` (repeatable) over `--vars FILE` (a JSON object). */
function variables(opts: { var?: string[]; vars?: string }): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (opts.vars) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(resolve(opts.vars), 'utf8')) as unknown;
    } catch (error) {
      throw new TaskgraphError('CONFIG_INVALID', `--vars ${opts.vars}: cannot read it as JSON (${(error as Error).message})`, { hint: '--vars FILE holds {"name": value, ...}', cause: error });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TaskgraphError('CONFIG_INVALID', `${opts.vars}: not a JSON object`, { hint: '--vars FILE holds {"name": value, ...}' });
    Object.assign(out, parsed);
  }
  for (const pair of opts.var ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TaskgraphError('CONFIG_INVALID', `--var ${pair}: expected NAME=VALUE`, { hint: '--var diff="$(git diff)"' });
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `prompt render REF --var NAME=VALUE ...`: a missing variable is an error. */
export async function promptRenderCommand(ref: string, opts: LibraryOptions & { var?: string[]; vars?: string }): Promise<number> {
  return withLibrary(opts, async (library) => {
    const item = await find(library, ref, 'prompt');
    const prompt = promptOf(item);
    const text = renderPrompt(prompt, variables(opts));
    if (opts.json) write(safeJson({ ref: formatItemRef(item), hash: sha256(prompt.text), text }));
    else write(text);
    return 0;
  });
}
