import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { zodIssues } from '../core/validate.js';
import { parseYamlText } from '../project/parse-yaml.js';
import { ITEM_NAME_PATTERN, TemplateDocumentSchema, type TemplateDocument } from './template-schema.js';

/**
 * Finding templates and the prompts they use on disk (issue 14's shared library format): a
 * library directory holds `templates/<name>@<version>.yaml` and `prompts/<name>@<version>.yaml`.
 * A reference `name@version` (or `name` alone: the newest version) is looked up in the project's
 * `.taskgraph/library/` first, then in the bundled starter library (`library/` at the package
 * root); the first directory that has the name answers.
 */

/** The starter library shipped with taskgraph (`library/` at the package root, from `src/library` or `dist/library`). */
export const BUNDLED_LIBRARY_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../library');

/** The project's own library directory. */
export const projectLibraryDir = (projectDir: string): string => join(projectDir, '.taskgraph', 'library');

/** The library directories searched for a project, strongest first. */
export const libraryDirs = (projectDir: string): string[] => [projectLibraryDir(projectDir), BUNDLED_LIBRARY_DIR];

/** A parsed reference: name, and version when pinned. */
export interface ItemRef {
  name: string;
  version?: number;
}

/**
 * Parses `name@version` or `name`.
 * @throws TaskgraphError CONFIG_INVALID for anything else
 */
export function parseItemRef(ref: string): ItemRef {
  const m = /^([a-z0-9][a-z0-9._-]*)(?:@([1-9][0-9]*))?$/.exec(ref);
  if (!m || !ITEM_NAME_PATTERN.test(m[1]!)) {
    throw new TaskgraphError('CONFIG_INVALID', `"${ref}" is not a library reference`, { hint: 'write name@version (e.g. code-review@1) or a name alone for the newest version' });
  }
  return m[2] ? { name: m[1]!, version: Number(m[2]) } : { name: m[1]! };
}

/** One library file found for a reference. */
export interface FoundItem {
  path: string;
  name: string;
  version: number;
  /** the library directory it came from */
  dir: string;
}

/** The versions of `name` in `dir/sub`, newest first. */
function versionsIn(dir: string, sub: 'templates' | 'prompts', name: string): FoundItem[] {
  const folder = join(dir, sub);
  if (!existsSync(folder)) return [];
  const found: FoundItem[] = [];
  for (const file of readdirSync(folder)) {
    const m = /^(.+)@([1-9][0-9]*)\.ya?ml$/.exec(file);
    if (m && m[1] === name) found.push({ path: join(folder, file), name, version: Number(m[2]), dir });
  }
  return found.sort((a, b) => b.version - a.version);
}

/**
 * Finds the file of a library item.
 * @param dirs library directories, strongest first ({@link libraryDirs})
 * @throws TaskgraphError NOT_FOUND naming the directories searched and the versions that exist
 */
export function findItem(dirs: readonly string[], sub: 'templates' | 'prompts', ref: string): FoundItem {
  const { name, version } = parseItemRef(ref);
  const seen: number[] = [];
  for (const dir of dirs) {
    const versions = versionsIn(dir, sub, name);
    seen.push(...versions.map((v) => v.version));
    const hit = version === undefined ? versions[0] : versions.find((v) => v.version === version);
    if (hit) return hit;
  }
  const what = sub === 'templates' ? 'template' : 'prompt';
  throw new TaskgraphError('NOT_FOUND', `no ${what} "${ref}" in ${dirs.map((d) => join(d, sub)).join(' or ')}`, {
    details: { ref, versions: [...new Set(seen)].sort((a, b) => a - b) },
    hint: seen.length > 0 ? `versions of ${name}: ${[...new Set(seen)].join(', ')}` : `list the templates with: taskgraph template show --list`,
  });
}

/** Every item of a kind in the directories (the strongest directory's copy of each name@version), sorted by name then version. */
export function listItems(dirs: readonly string[], sub: 'templates' | 'prompts'): FoundItem[] {
  const byKey = new Map<string, FoundItem>();
  for (const dir of [...dirs].reverse()) {
    const folder = join(dir, sub);
    if (!existsSync(folder)) continue;
    for (const file of readdirSync(folder)) {
      const m = /^(.+)@([1-9][0-9]*)\.ya?ml$/.exec(file);
      if (m) byKey.set(`${m[1]}@${m[2]}`, { path: join(folder, file), name: m[1]!, version: Number(m[2]), dir });
    }
  }
  return [...byKey.values()].sort((a, b) => (a.name === b.name ? a.version - b.version : a.name < b.name ? -1 : 1));
}

/**
 * Reads and checks a template document.
 * @param expect when read from a library directory: the name and version its file name says (must match)
 * @throws TaskgraphError NOT_FOUND (unreadable), CONFIG_INVALID (bad YAML, bad shape: every issue listed)
 */
export function readTemplateFile(path: string, expect?: { name: string; version: number }): TemplateDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TaskgraphError('NOT_FOUND', `cannot read template ${path}: ${(error as Error).message}`, { hint: 'give a template name (name@version) or the path of a template YAML file' });
  }
  const doc = parseTemplateDocument(parseYamlText(text, path, 'CONFIG_INVALID'), path);
  if (expect && (doc.name !== expect.name || doc.version !== expect.version)) {
    throw new TaskgraphError('CONFIG_INVALID', `${path} holds ${doc.name}@${doc.version}, but its file name says ${expect.name}@${expect.version}`, {
      hint: 'name library files <name>@<version>.yaml after the item they hold',
    });
  }
  return doc;
}

/**
 * Checks a parsed template document's shape (for a file, or a library store's item body).
 * @param where the file or item named in the message
 * @throws TaskgraphError CONFIG_INVALID listing every issue as `path: message`
 */
export function parseTemplateDocument(value: unknown, where: string): TemplateDocument {
  const parsed = TemplateDocumentSchema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new TaskgraphError('CONFIG_INVALID', `${where} is not a valid template: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      details: { where, issues },
      hint: 'see README "Templates" for the template format',
    });
  }
  return parsed.data;
}

/** Whether a template argument is a file path rather than a library reference. */
export const isTemplatePath = (arg: string): boolean => /[/\\]/.test(arg) || /\.(ya?ml|json)$/.test(arg);

/** A template document and where it was read from. */
export interface LoadedTemplate {
  doc: TemplateDocument;
  path: string;
}

/**
 * Loads a template by library reference or by file path (relative to `projectDir`).
 * @throws TaskgraphError NOT_FOUND, CONFIG_INVALID
 */
export function loadTemplate(arg: string, projectDir: string): LoadedTemplate {
  if (isTemplatePath(arg)) {
    const path = isAbsolute(arg) ? arg : resolve(projectDir, arg);
    return { doc: readTemplateFile(path), path };
  }
  const found = findItem(libraryDirs(projectDir), 'templates', arg);
  return { doc: readTemplateFile(found.path, found), path: found.path };
}

/** The part of a prompt document a template needs (the prompt library owns the full format). */
const PromptTextSchema = z.object({ kind: z.literal('prompt'), name: z.string(), version: z.number().int().positive(), text: z.string() }).passthrough();

/**
 * A prompt resolver over library directories: `name@version` (or `name`) -> the prompt's text,
 * read once per reference.
 * @throws TaskgraphError NOT_FOUND / CONFIG_INVALID (from the returned function)
 */
export function promptResolver(dirs: readonly string[]): (ref: string) => string {
  const cache = new Map<string, string>();
  return (ref) => {
    const hit = cache.get(ref);
    if (hit !== undefined) return hit;
    const found = findItem(dirs, 'prompts', ref);
    const parsed = PromptTextSchema.safeParse(parseYamlText(readFileSync(found.path, 'utf8'), found.path, 'CONFIG_INVALID'));
    if (!parsed.success || parsed.data.name !== found.name || parsed.data.version !== found.version) {
      throw new TaskgraphError('CONFIG_INVALID', `${found.path} is not prompt ${found.name}@${found.version} (kind: prompt, name, version, text)`, { hint: 'see README "Templates" for the prompt format' });
    }
    cache.set(ref, parsed.data.text);
    return parsed.data.text;
  };
}
