import { readdir, readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { ProjectConfig } from '../core/config.js';
import { detectCommands } from './detect.js';

/**
 * The project index (DESIGN.md §7, highest context tier): what every planner and coder prompt
 * knows about the project. Built from `taskgraph.yaml`, the README and the file list.
 */

/** What prompts know about the project. Shared with `planning/`; keep the shape stable. */
export interface ProjectContext {
  name: string;
  vision: string;
  language: string;
  commands: { test?: string; build?: string };
  rules: string[];
  styleGuide: string;
  /** first 2,000 chars of README.md/README (any case) or '' */
  readme: string;
  /** the README's path, when there is one */
  readmePath?: string;
  /** every path, in the order given (a prompt cuts the list by relevance, and says so) */
  files: string[];
}

/** Characters of the README kept in {@link ProjectContext.readme}. */
export const README_LIMIT = 2_000;

/** Characters kept from a vision / style guide document named by path in `taskgraph.yaml`. */
export const DOCUMENT_LIMIT = 8_000;

/** README file names tried, in order; matched case-insensitively (`Readme.md`, `readme.rst`). */
export const README_NAMES = ['README.md', 'README', 'README.markdown', 'README.txt', 'README.rst'] as const;

/**
 * The README of a directory: the entry whose name matches one of {@link README_NAMES} ignoring
 * case, earliest name first (an exact-case match wins among same names). Undefined when there is
 * none or the directory cannot be read.
 * @param names the directory's entry names
 */
export function findReadmeName(names: readonly string[]): string | undefined {
  for (const want of README_NAMES) {
    const lower = want.toLowerCase();
    const found = names.filter((n) => n.toLowerCase() === lower).sort((a, b) => Number(b === want) - Number(a === want) || (a < b ? -1 : 1));
    if (found.length > 0) return found[0];
  }
  return undefined;
}

const DOCUMENT_EXTENSIONS = new Set(['.md', '.markdown', '.txt', '.rst']);

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * `vision` and `styleGuide` may be either the text itself or a path to a document in the project
 * (`docs/VISION.md`). A one-line value ending in `.md`, `.markdown`, `.txt` or `.rst` that names
 * an existing file inside `projectDir` is replaced by the file's first {@link DOCUMENT_LIMIT}
 * characters; anything else is returned as written.
 * @param projectDir the project directory
 * @param value the configured value
 */
export async function resolveDocument(projectDir: string, value: string): Promise<string> {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.includes('\n') || !DOCUMENT_EXTENSIONS.has(extname(trimmed).toLowerCase())) return value;
  const root = resolve(projectDir);
  const path = resolve(root, trimmed);
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) return value;
  const text = await readOptional(path);
  return text === undefined ? value : text.slice(0, DOCUMENT_LIMIT);
}

/**
 * Collects the {@link ProjectContext} of a project.
 *
 * - `name`, `rules`, `commands.test` / `commands.build`: from the configuration as written.
 * - `vision`, `styleGuide`: the configured text, or the document it names ({@link resolveDocument}).
 * - `language`: the configured language, else the detected one ({@link detectCommands}), else `''`.
 * - `readme`: the first {@link README_LIMIT} characters of the first of {@link README_NAMES}
 *   found, ignoring case ({@link findReadmeName}), or `''`.
 * - `files`: all of `files`, in the order given (never cut here: a cut by name order would drop
 *   what the goal is about; the planner prompt cuts by relevance to the goal).
 *
 * Missing files are not errors; this function does not throw for an absent README or document.
 * @param projectDir the project directory
 * @param config the validated configuration ({@link loadProjectConfig})
 * @param files project-relative paths (e.g. from `git ls-files`), in the order to show
 */
export async function collectProjectContext(
  projectDir: string,
  config: ProjectConfig,
  files: string[],
): Promise<ProjectContext> {
  let readme = '';
  const readmeName = findReadmeName(await readdir(projectDir).catch(() => []));
  if (readmeName !== undefined) readme = ((await readOptional(join(projectDir, readmeName))) ?? '').slice(0, README_LIMIT);
  const language = config.language !== '' ? config.language : (await detectCommands(projectDir)).language;
  const commands: ProjectContext['commands'] = {};
  if (config.commands.test !== undefined) commands.test = config.commands.test;
  if (config.commands.build !== undefined) commands.build = config.commands.build;
  return {
    name: config.name,
    vision: await resolveDocument(projectDir, config.vision),
    language,
    commands,
    rules: [...config.rules],
    styleGuide: await resolveDocument(projectDir, config.styleGuide),
    readme,
    ...(readmeName !== undefined ? { readmePath: readmeName } : {}),
    files: [...files],
  };
}
