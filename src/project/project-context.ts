import { readFile } from 'node:fs/promises';
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
  /** first 2,000 chars of README.md/README or '' */
  readme: string;
  /** first 200 paths */
  files: string[];
}

/** Characters of the README kept in {@link ProjectContext.readme}. */
export const README_LIMIT = 2_000;

/** Paths kept in {@link ProjectContext.files}. */
export const FILES_LIMIT = 200;

/** Characters kept from a vision / style guide document named by path in `taskgraph.yaml`. */
export const DOCUMENT_LIMIT = 8_000;

/** README file names tried, in order. */
export const README_NAMES = ['README.md', 'README', 'readme.md', 'README.markdown', 'README.txt', 'README.rst'] as const;

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
 *   found, or `''`.
 * - `files`: the first {@link FILES_LIMIT} of `files`, in the order given.
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
  for (const name of README_NAMES) {
    const text = await readOptional(join(projectDir, name));
    if (text !== undefined) {
      readme = text.slice(0, README_LIMIT);
      break;
    }
  }
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
    files: files.slice(0, FILES_LIMIT),
  };
}
