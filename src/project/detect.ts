import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { runGit } from '../workspace/git-run.js';

/**
 * Guessing a project's language and its setup/build/test commands, for `taskgraph init` and for
 * project context when `taskgraph.yaml` names no language. The language comes from the sources
 * (files counted by extension), not from the tooling: a JavaScript package that ships `.d.ts`
 * typings and a `tsconfig.json` for them is JavaScript. The commands come from the ecosystem's
 * manifests and lock files.
 */

/** What {@link detectCommands} found. `language` is `''` when nothing was recognised. */
export interface DetectedCommands {
  /** `typescript`, `javascript`, `python`, `rust`, `go`, ... or `''` */
  language: string;
  /** shell command that runs the tests */
  test?: string;
  /** shell command that builds the project */
  build?: string;
  /** shell command that installs the dependencies into a fresh checkout (`commands.setup`) */
  setup?: string;
}

/** The test script `npm init` writes; it always fails, so it is not a test command. */
export const NPM_PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1';

/** Source extensions by language. `.d.ts` declaration files are not sources (see {@link languageOfFile}). */
export const SOURCE_EXTENSIONS: Readonly<Record<string, string>> = {
  '.ts': 'typescript',
  '.tsx': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.js': 'javascript',
  '.jsx': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.py': 'python',
  '.rs': 'rust',
  '.go': 'go',
  '.java': 'java',
  '.kt': 'kotlin',
  '.rb': 'ruby',
  '.php': 'php',
  '.cs': 'csharp',
  '.c': 'c',
  '.cc': 'cpp',
  '.cpp': 'cpp',
  '.swift': 'swift',
};

/**
 * Directories whose files are not the project's own sources: installed dependencies, vendored
 * code, build output, caches and virtual environments.
 */
export const NON_SOURCE_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  'bower_components',
  'vendor',
  'third_party',
  'third-party',
  'dist',
  'build',
  'out',
  'target',
  'coverage',
  '.next',
  '.nuxt',
  '.venv',
  'venv',
  'env',
  '__pycache__',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  'site-packages',
  '.git',
  '.taskgraph',
  '.cache',
]);

/** Files visited by the walk of a directory that is not a git repository (it stops there). */
export const WALK_FILE_LIMIT = 20_000;

/**
 * The language of one repository-relative path, or undefined: not a source file (`.d.ts`,
 * `.d.mts`, `.d.cts`, minified `.min.js`) or inside a {@link NON_SOURCE_DIRS} directory.
 */
export function languageOfFile(path: string): string | undefined {
  const parts = path.split('/');
  if (parts.slice(0, -1).some((p) => NON_SOURCE_DIRS.has(p))) return undefined;
  const name = basename(path);
  if (/\.d\.[mc]?ts$/.test(name) || /\.min\.js$/.test(name)) return undefined;
  return SOURCE_EXTENSIONS[extname(name)];
}

/**
 * The language with the most source files among `files`; ties go to the language listed first
 * in {@link SOURCE_EXTENSIONS}. `''` when there is no source file.
 * @param files repository-relative paths
 * @returns the language and the count per language
 */
export function languageOf(files: readonly string[]): { language: string; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  for (const file of files) {
    const language = languageOfFile(file);
    if (language) counts[language] = (counts[language] ?? 0) + 1;
  }
  const order = [...new Set(Object.values(SOURCE_EXTENSIONS))];
  let best = '';
  for (const language of order) if ((counts[language] ?? 0) > (counts[best] ?? 0)) best = language;
  return { language: best, counts };
}

/**
 * The project's files, repository-relative: `git ls-files` (tracked, plus untracked files that
 * are not ignored) in a git repository, else a walk that skips {@link NON_SOURCE_DIRS} and stops
 * after {@link WALK_FILE_LIMIT} files. Never throws: an unreadable directory gives no files.
 */
export async function listProjectFiles(projectDir: string): Promise<string[]> {
  try {
    const { stdout } = await runGit(projectDir, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.']);
    return stdout.split('\0').filter(Boolean);
  } catch {
    // not a git repository: walk
  }
  const files: string[] = [];
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (files.length >= WALK_FILE_LIMIT || depth > 12) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (files.length >= WALK_FILE_LIMIT) return;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!NON_SOURCE_DIRS.has(entry.name)) await walk(join(dir, entry.name), rel, depth + 1);
      } else if (entry.isFile()) files.push(rel);
    }
  };
  await walk(projectDir, '', 0);
  return files;
}

/** Whether `path` exists (any kind of file); never throws. */
export async function exists(path: string): Promise<boolean> {
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

/**
 * The names of the extras a `pyproject.toml` declares under `[project.optional-dependencies]`
 * (PEP 621), as `name = [...]` lines of that table or keys of an inline table
 * `optional-dependencies = { name = [...] }` in `[project]`. A reader of these two forms only,
 * not a TOML parser: an extra written another way is not seen, and then `pip install -e .` is
 * proposed without it.
 * @param pyproject the file's text
 */
export function pyprojectExtras(pyproject: string): string[] {
  const extras: string[] = [];
  let table = '';
  for (const raw of pyproject.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1]) {
      table = header[1].trim();
      continue;
    }
    if (table === 'project.optional-dependencies') {
      const key = /^["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=/.exec(line);
      if (key?.[1]) extras.push(key[1]);
    } else if (table === 'project') {
      const inline = /^optional-dependencies\s*=\s*\{(.*)\}\s*$/.exec(line);
      if (inline?.[1]) for (const m of inline[1].matchAll(/["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=\s*\[/g)) if (m[1]) extras.push(m[1]);
    }
  }
  return extras;
}

/** Extras that hold test dependencies, in order of preference. */
const TEST_EXTRAS = ['test', 'tests', 'testing', 'dev'];

/** package.json, parsed; undefined when missing or not a JSON object. */
async function packageJson(projectDir: string): Promise<Record<string, unknown> | undefined> {
  const text = await readText(join(projectDir, 'package.json'));
  if (text === undefined) return undefined;
  try {
    const pkg: unknown = JSON.parse(text);
    return typeof pkg === 'object' && pkg !== null && !Array.isArray(pkg) ? (pkg as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One ecosystem's commands (language as its tooling suggests, used only when there are no sources). */
interface Ecosystem {
  language: string;
  test?: string;
  build?: string;
  setup?: string;
}

/** npm, pnpm, yarn or bun, by lock file: the command prefix and the frozen-lockfile install. */
async function nodePackageManager(projectDir: string): Promise<{ run: string; install?: string }> {
  const has = (name: string) => exists(join(projectDir, name));
  if (await has('pnpm-lock.yaml')) return { run: 'pnpm', install: 'pnpm install --frozen-lockfile' };
  if (await has('yarn.lock')) return { run: 'yarn', install: (await has('.yarnrc.yml')) ? 'yarn install --immutable' : 'yarn install --frozen-lockfile' };
  if ((await has('bun.lockb')) || (await has('bun.lock'))) return { run: 'bun', install: 'bun install --frozen-lockfile' };
  if ((await has('package-lock.json')) || (await has('npm-shrinkwrap.json'))) return { run: 'npm', install: 'npm ci' };
  return { run: 'npm' };
}

async function nodeEcosystem(projectDir: string): Promise<Ecosystem | undefined> {
  const pkg = await packageJson(projectDir);
  if (pkg === undefined) return undefined;
  const scripts = typeof pkg['scripts'] === 'object' && pkg['scripts'] !== null ? (pkg['scripts'] as Record<string, unknown>) : {};
  const script = (name: string) => typeof scripts[name] === 'string' && (scripts[name] as string).trim() !== '';
  const pm = await nodePackageManager(projectDir);
  const language = (await exists(join(projectDir, 'tsconfig.json'))) ? 'typescript' : 'javascript';
  const found: Ecosystem = { language };
  if (script('test') && (scripts['test'] as string).trim() !== NPM_PLACEHOLDER_TEST) found.test = `${pm.run} test`;
  const build = ['build', 'compile'].find(script);
  if (build) found.build = `${pm.run} run ${build}`;
  const deps = ['dependencies', 'devDependencies', 'optionalDependencies'].some((k) => typeof pkg[k] === 'object' && pkg[k] !== null && Object.keys(pkg[k] as object).length > 0);
  if (pm.install) found.setup = pm.install;
  else if (deps) found.setup = 'npm install';
  return found;
}

/** True when `dir` is a directory holding a `.py` file (at any depth up to 4). */
async function hasPythonFiles(dir: string, depth = 0): Promise<boolean> {
  if (depth > 4) return false;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  if (entries.some((e) => e.isFile() && e.name.endsWith('.py'))) return true;
  for (const entry of entries) if (entry.isDirectory() && (await hasPythonFiles(join(dir, entry.name), depth + 1))) return true;
  return false;
}

async function pythonEcosystem(projectDir: string): Promise<Ecosystem | undefined> {
  const has = (name: string) => exists(join(projectDir, name));
  const pyproject = await readText(join(projectDir, 'pyproject.toml'));
  const markers = pyproject !== undefined || (await has('pytest.ini')) || (await has('setup.py')) || (await has('setup.cfg')) || (await hasPythonFiles(join(projectDir, 'tests')));
  if (!markers) return undefined;
  const found: Ecosystem = { language: 'python', test: 'pytest -q' };
  if ((await has('poetry.lock')) || /^\[tool\.poetry\]/m.test(pyproject ?? '')) found.setup = 'poetry install';
  else if (await has('uv.lock')) found.setup = 'uv sync';
  else if (await has('Pipfile.lock')) found.setup = 'pipenv sync --dev';
  else if (await has('pdm.lock')) found.setup = 'pdm install';
  else if (pyproject !== undefined || (await has('setup.py')) || (await has('setup.cfg'))) {
    const extra = TEST_EXTRAS.find((e) => pyprojectExtras(pyproject ?? '').includes(e));
    found.setup = extra ? `pip install -e '.[${extra}]'` : 'pip install -e .';
  } else if (await has('requirements.txt')) {
    const dev = (await readdir(projectDir).catch(() => [] as string[])).filter((n) => /^requirements[-_](dev|test|tests)\.txt$/.test(n)).sort();
    found.setup = ['pip install -r requirements.txt', ...dev.map((n) => `pip install -r ${n}`)].join(' && ');
  }
  return found;
}

/**
 * Detects the language and the setup/build/test commands of the project at `projectDir`.
 *
 * Language: the most frequent source language ({@link languageOf}) among the project's files
 * ({@link listProjectFiles}); when there is no source file at all, the language of the first
 * ecosystem found below.
 *
 * Commands, from the ecosystem of the detected language first, then in this order:
 * 1. `package.json`: test `<pm> test` when `scripts.test` exists and is not npm's placeholder
 *    ({@link NPM_PLACEHOLDER_TEST}); build `<pm> run build` (or `compile`); setup by lock file:
 *    `npm ci`, `pnpm install --frozen-lockfile`, `yarn install --frozen-lockfile` (Yarn ≥ 2, with
 *    `.yarnrc.yml`: `--immutable`), `bun install --frozen-lockfile`; `npm install` when there is
 *    no lock file but there are dependencies. `<pm>` is the package manager of the lock file.
 * 2. `pyproject.toml`, `pytest.ini`, `setup.py`, `setup.cfg`, or a `tests/` directory holding
 *    `.py` files: test `pytest -q`; setup `poetry install` (poetry.lock or `[tool.poetry]`),
 *    `uv sync`, `pipenv sync --dev`, `pdm install`, else `pip install -e .` (with the
 *    `test`/`tests`/`testing`/`dev` extra when pyproject declares one: {@link pyprojectExtras}),
 *    else `pip install -r requirements.txt` (and `requirements-dev.txt` / `-test.txt`).
 * 3. `Cargo.toml`: test `cargo test`, build `cargo build`, setup `cargo fetch`.
 * 4. `go.mod`: test `go test ./...`, build `go build ./...`, setup `go mod download`.
 * 5. a `Makefile` with a `test` / `build` target: `make test` / `make build` when the ecosystem
 *    gives none.
 *
 * Unreadable or malformed files count as having no commands; this function never throws for a
 * missing or odd project.
 * @param projectDir the project directory
 */
export async function detectCommands(projectDir: string): Promise<DetectedCommands> {
  const { language: sourceLanguage } = languageOf(await listProjectFiles(projectDir));
  const makefile = (await readText(join(projectDir, 'Makefile'))) ?? (await readText(join(projectDir, 'makefile')));
  const targets = makefile !== undefined ? makeTargets(makefile) : new Set<string>();

  const readers: Array<[string[], () => Promise<Ecosystem | undefined>]> = [
    [['typescript', 'javascript'], () => nodeEcosystem(projectDir)],
    [['python'], () => pythonEcosystem(projectDir)],
    [['rust'], async () => ((await exists(join(projectDir, 'Cargo.toml'))) ? { language: 'rust', test: 'cargo test', build: 'cargo build', setup: 'cargo fetch' } : undefined)],
    [['go'], async () => ((await exists(join(projectDir, 'go.mod'))) ? { language: 'go', test: 'go test ./...', build: 'go build ./...', setup: 'go mod download' } : undefined)],
  ];
  // the ecosystem of the sources' language first, then the fixed order
  readers.sort((a, b) => Number(b[0].includes(sourceLanguage)) - Number(a[0].includes(sourceLanguage)));
  let ecosystem: Ecosystem | undefined;
  for (const [, read] of readers) {
    ecosystem = await read();
    if (ecosystem) break;
  }

  const found: DetectedCommands = { language: sourceLanguage || ecosystem?.language || '' };
  const test = ecosystem?.test ?? (targets.has('test') ? 'make test' : undefined);
  const build = ecosystem?.build ?? (targets.has('build') ? 'make build' : undefined);
  if (test) found.test = test;
  if (build) found.build = build;
  if (ecosystem?.setup) found.setup = ecosystem.setup;
  return found;
}
