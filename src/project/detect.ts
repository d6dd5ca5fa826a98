import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Guessing a project's language and its test/build commands from the files at its root, for
 * `taskgraph init` and for project context when `taskgraph.yaml` names no language.
 */

/** What {@link detectCommands} found. `language` is `''` when nothing was recognised. */
export interface DetectedCommands {
  /** `typescript`, `javascript`, `python`, `rust`, `go`, or `''` */
  language: string;
  /** shell command that runs the tests */
  test?: string;
  /** shell command that builds the project */
  build?: string;
}

/** The test script `npm init` writes; it always fails, so it is not a test command. */
export const NPM_PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when `dir` is a directory holding at least one `.py` file (one level deep is enough). */
async function hasPythonFiles(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.py')) return true;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && (await hasPythonFiles(join(dir, entry.name)).catch(() => false))) return true;
  }
  return false;
}

/**
 * Target names a Makefile defines (`name:` rules at the start of a line; variable assignments
 * such as `test := 1` and `test ::= 1` are not rules). Several targets on one line count each.
 * @param makefile the Makefile's text
 */
export function makeTargets(makefile: string): Set<string> {
  const targets = new Set<string>();
  for (const line of makefile.split(/\r?\n/)) {
    // a rule line: targets, then ':' or '::' not followed by '=' (that would be an assignment)
    const match = /^([^\s:#=][^:#=]*?)\s*::?(?![:=])/.exec(line);
    if (!match?.[1]) continue;
    for (const name of match[1].split(/\s+/)) if (name) targets.add(name);
  }
  return targets;
}

/** package.json scripts, or undefined when the file is missing or not JSON. */
async function npmScripts(projectDir: string): Promise<Record<string, unknown> | undefined> {
  const text = await readText(join(projectDir, 'package.json'));
  if (text === undefined) return undefined;
  try {
    const pkg: unknown = JSON.parse(text);
    const scripts = (pkg as { scripts?: unknown } | null)?.scripts;
    return typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Detects the language and test/build commands of the project at `projectDir`, checking in this
 * order and taking the first ecosystem that matches:
 *
 * 1. `package.json`: `typescript` when `tsconfig.json` exists, else `javascript`; test `npm test`
 *    when `scripts.test` exists and is not npm's placeholder ({@link NPM_PLACEHOLDER_TEST});
 *    build `npm run build` when `scripts.build` exists.
 * 2. `pyproject.toml`, `pytest.ini`, `setup.py`, or a `tests/` directory holding `.py` files:
 *    `python`, test `pytest -q`. (A `tests/` directory alone is not enough: Rust and other
 *    ecosystems use one too.)
 * 3. `Cargo.toml`: `rust`, test `cargo test`, build `cargo build`.
 * 4. `go.mod`: `go`, test `go test ./...`, build `go build ./...`.
 * 5. a `Makefile` with a `test` target: test `make test` (language `''`).
 *
 * When the matched ecosystem gives no test command and the Makefile has a `test` target,
 * `make test` is used. Unreadable or malformed files count as having no commands; this function
 * never throws for a missing or odd project.
 * @param projectDir the project directory
 */
export async function detectCommands(projectDir: string): Promise<DetectedCommands> {
  const makefile = (await readText(join(projectDir, 'Makefile'))) ?? (await readText(join(projectDir, 'makefile')));
  const makeTest = makefile !== undefined && makeTargets(makefile).has('test') ? 'make test' : undefined;
  const withMakeFallback = (found: DetectedCommands): DetectedCommands =>
    found.test === undefined && makeTest ? { ...found, test: makeTest } : found;

  const scripts = await npmScripts(projectDir);
  if (scripts !== undefined) {
    const language = (await exists(join(projectDir, 'tsconfig.json'))) ? 'typescript' : 'javascript';
    const found: DetectedCommands = { language };
    const test = scripts['test'];
    if (typeof test === 'string' && test.trim() !== '' && test.trim() !== NPM_PLACEHOLDER_TEST) found.test = 'npm test';
    if (typeof scripts['build'] === 'string' && scripts['build'].trim() !== '') found.build = 'npm run build';
    return withMakeFallback(found);
  }

  const pythonMarkers = ['pyproject.toml', 'pytest.ini', 'setup.py'];
  for (const marker of pythonMarkers) {
    if (await exists(join(projectDir, marker))) return { language: 'python', test: 'pytest -q' };
  }
  if (await hasPythonFiles(join(projectDir, 'tests'))) return { language: 'python', test: 'pytest -q' };

  if (await exists(join(projectDir, 'Cargo.toml'))) {
    return { language: 'rust', test: 'cargo test', build: 'cargo build' };
  }
  if (await exists(join(projectDir, 'go.mod'))) {
    return { language: 'go', test: 'go test ./...', build: 'go build ./...' };
  }
  return withMakeFallback({ language: '' });
}
