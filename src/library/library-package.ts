import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TaskgraphError } from '../core/errors.js';

/**
 * Shared libraries as npm packages (issue 14): a package named `taskgraph-library-*` (or
 * `@scope/taskgraph-library-*`) holds a library directory (`prompts/`, `templates/`): the one its
 * package.json names in `taskgraph.library` (a path inside the package), else its `library/`.
 * `taskgraph library import` takes such a package by name (installed in the project's
 * node_modules, or a parent's, as Node resolves it) or as a local package directory.
 */

/** The package name convention. */
export const LIBRARY_PACKAGE_PATTERN = /^(@[a-z0-9][a-z0-9._~-]*\/)?taskgraph-library-[a-z0-9][a-z0-9._~-]*$/;

/** Where an import reads from. */
export interface LibrarySource {
  /** the library directory (holding prompts/ and templates/) */
  dir: string;
  /** set when the source is an npm package */
  package?: { name: string; version: string; dir: string };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The library directory of a package directory.
 * @throws TaskgraphError CONFIG_INVALID when the package's name does not follow the convention,
 *   or its `taskgraph.library` leaves the package or names no directory
 */
export function packageLibrary(packageDir: string): LibrarySource {
  const manifestPath = join(packageDir, 'package.json');
  let manifest: { name?: unknown; version?: unknown; taskgraph?: { library?: unknown } };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch (error) {
    throw new TaskgraphError('CONFIG_INVALID', `${manifestPath} is not valid JSON: ${(error as Error).message}`, { details: { path: manifestPath }, cause: error });
  }
  const name = typeof manifest.name === 'string' ? manifest.name : '';
  if (!LIBRARY_PACKAGE_PATTERN.test(name)) {
    throw new TaskgraphError('CONFIG_INVALID', `${packageDir} is the package "${name}", not a taskgraph library package`, {
      details: { path: packageDir, name },
      hint: 'a library package is named taskgraph-library-<name> (or @scope/taskgraph-library-<name>); for a plain directory, give the directory holding prompts/ and templates/',
    });
  }
  const field = manifest.taskgraph?.library;
  const relative = typeof field === 'string' && field !== '' ? field : 'library';
  const dir = resolve(packageDir, relative);
  if (isAbsolute(relative) || !(dir === packageDir || dir.startsWith(`${resolve(packageDir)}/`)) || !isDir(dir)) {
    throw new TaskgraphError('CONFIG_INVALID', `package ${name}: its library directory "${relative}" is not a directory inside the package`, {
      details: { path: packageDir, library: relative },
      hint: 'set "taskgraph": {"library": "<dir>"} in its package.json to a directory inside it, or ship a library/ directory',
    });
  }
  return { dir, package: { name, version: typeof manifest.version === 'string' ? manifest.version : '', dir: packageDir } };
}

/**
 * Resolves what `taskgraph library import SOURCE` reads.
 * - a directory with a package.json: a library package directory ({@link packageLibrary});
 * - another directory: a library directory itself;
 * - a package name following {@link LIBRARY_PACKAGE_PATTERN}: the package installed in
 *   `node_modules` of the project directory or one of its parents.
 * @param source a path (relative to `cwd`) or a package name
 * @param projectDir where to look for node_modules
 * @throws TaskgraphError NOT_FOUND when nothing is there (the hint says how to install a package)
 */
export function resolveLibrarySource(source: string, projectDir: string, cwd = process.cwd()): LibrarySource {
  const path = resolve(cwd, source);
  if (isDir(path)) return existsSync(join(path, 'package.json')) ? packageLibrary(path) : { dir: path };
  if (LIBRARY_PACKAGE_PATTERN.test(source)) {
    for (let dir = resolve(projectDir); ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', source);
      if (isDir(candidate)) return packageLibrary(candidate);
      if (dirname(dir) === dir) break;
    }
    throw new TaskgraphError('NOT_FOUND', `the library package ${source} is not installed in ${projectDir} or its parents`, {
      details: { source },
      hint: `install it first (npm install --save-dev ${source}), then import it again`,
    });
  }
  throw new TaskgraphError('NOT_FOUND', `${source}: no such directory, and not a library package name (taskgraph-library-*)`, {
    details: { source },
    hint: 'give a library directory (prompts/, templates/), a package directory, or an installed taskgraph-library-* package',
  });
}
