import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { parseYamlText } from './parse-yaml.js';

/**
 * Reading and validating `taskgraph.yaml` (DESIGN.md §1 "project"). YAML is parsed with the
 * `yaml` package, the result validated with {@link ProjectConfigSchema} (zod), so everything past
 * this file can trust a {@link ProjectConfig} with its defaults filled in.
 */

/** File names looked for in the project directory, in this order. */
export const CONFIG_FILE_NAMES = ['taskgraph.yaml', 'taskgraph.yml'] as const;

/** Where the configuration is documented; used in error hints. */
export const CONFIG_REFERENCE_HINT = 'see the "Configuration" reference in README.md for every key and its allowed values';

/** A loaded configuration and the file it came from. */
export interface LoadedProjectConfig {
  /** validated configuration, defaults applied */
  config: ProjectConfig;
  /** absolute or projectDir-relative path of the file read (as joined from `projectDir`) */
  path: string;
}

/**
 * Formats a zod issue path as dotted text (`models.coder.provider`, `rules.2`); the empty path
 * (an issue about the whole document, e.g. an unknown top-level key) reads `(top level)`.
 * @param path a zod issue path
 */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top level)';
  return path.map((part) => String(part)).join('.');
}

/**
 * Turns zod issues into `path: message` lines, one per issue, in zod's order.
 * @param issues the `issues` of a failed `safeParse`
 */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
}

/**
 * Removes mapping entries whose value is `null`, at every depth (array items are kept). In YAML
 * a key followed only by comments (`commands:` with every command commented out) is `null`; no
 * configuration key accepts `null`, so such a key means "not set" and gets its default.
 * @param value parsed YAML
 */
export function dropNullValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullValues);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = dropNullValues(item);
  return out;
}

/**
 * Parses and validates the text of a `taskgraph.yaml`. Pure: no I/O.
 *
 * An empty document counts as `{}` (every key defaulted); a key with an empty value counts as
 * absent ({@link dropNullValues}).
 * @param text the file's contents (UTF-8 text)
 * @param path the file's path, used in messages only
 * @returns the validated configuration with defaults applied
 * @throws TaskgraphError `CONFIG_INVALID` for YAML syntax errors (message names `line:column`,
 *   `details.errors` lists `{ message, line, column }`), for an alias bomb or nesting deeper than
 *   `MAX_DOCUMENT_DEPTH` (see `parse-yaml.ts`), for a document that is not a mapping, and
 *   for schema errors (message lists every problem as a `path: message` line, `details.issues`
 *   holds the same lines)
 */
export function parseProjectConfig(text: string, path: string): ProjectConfig {
  const raw: unknown = parseYamlText(text, path, 'CONFIG_INVALID') ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new TaskgraphError(
      'CONFIG_INVALID',
      `${path} must be a YAML mapping of keys (name, language, commands, models, policy ...), found ${Array.isArray(raw) ? 'a list' : typeof raw}`,
      { details: { path }, hint: CONFIG_REFERENCE_HINT },
    );
  }

  const result = ProjectConfigSchema.safeParse(dropNullValues(raw));
  if (!result.success) {
    const issues = formatIssues(result.error.issues);
    throw new TaskgraphError(
      'CONFIG_INVALID',
      `${path} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.map((l) => `  ${l}`).join('\n')}`,
      { details: { path, issues }, hint: CONFIG_REFERENCE_HINT, cause: result.error },
    );
  }
  return result.data;
}

/**
 * Reads `<projectDir>/taskgraph.yaml` (or `taskgraph.yml` when there is no `.yaml`) and
 * validates it with {@link parseProjectConfig}.
 * @param projectDir the project directory
 * @returns the configuration and the path it was read from
 * @throws TaskgraphError `CONFIG_INVALID` when no file exists (hint: `taskgraph init`), when it
 *   cannot be read, or for the syntax / schema errors of {@link parseProjectConfig}
 */
export async function loadProjectConfig(projectDir: string): Promise<LoadedProjectConfig> {
  for (const name of CONFIG_FILE_NAMES) {
    const path = join(projectDir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new TaskgraphError('CONFIG_INVALID', `cannot read ${path}: ${(error as Error).message}`, {
        details: { path },
        hint: 'check that the file is readable (permissions) and is a regular file',
        cause: error,
      });
    }
    return { config: parseProjectConfig(text, path), path };
  }
  throw new TaskgraphError('CONFIG_INVALID', `no taskgraph.yaml in ${projectDir}`, {
    details: { projectDir },
    hint: 'run `taskgraph init` in the project directory to write one',
  });
}
