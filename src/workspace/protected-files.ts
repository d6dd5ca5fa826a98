import path from 'node:path';
import picomatch from 'picomatch';
import { parse as parseShell } from 'shell-quote';
import { TaskgraphError } from '../core/errors.js';
import type { FileChange, FileReader } from './edit-apply.js';
import { normalizeRepoPath } from './safe-path.js';

/**
 * The project's own configuration is protected (`policy.protectConfig`, default true; issue 8
 * "Sandbox and secrets"): an edit may not change how taskgraph runs the project nor how the
 * project verifies itself, or a model could rewrite its own verification, or the commands of a
 * later run. What is protected:
 *
 * 1. taskgraph's configuration: `taskgraph.yaml`, `taskgraph.yml` and everything under `.taskgraph/`.
 * 2. (CI configuration was refused here until issue 11; it now waits for a person's approval
 *    instead, as a default protected path: `safety/protected-paths.ts`, `nodes/apply.ts`.)
 * 3. Test-runner configuration files, at any depth: `pytest.ini`, `tox.ini`, `noxfile.py`,
 *    `jest.config.*`, `vitest.config.*`, `vitest.workspace.*`, `.mocharc*`, `.taprc`,
 *    `karma.conf.*`, `playwright.config.*`, `cypress.config.*`, `ava.config.*`, `phpunit.xml`,
 *    `phpunit.xml.dist`, `.nycrc*`, `.c8rc*`.
 * 4. Parts of shared files, compared before and after the edit, so that the rest stays editable:
 *    in an existing `package.json`, the `scripts`, `jest`, `mocha`, `ava`, `tap`, `nyc` and `c8`
 *    values (dependencies may change); in `pyproject.toml`, the `[tool.pytest…]` and `[tool.tox…]`
 *    tables; in `setup.cfg`, the `[tool:pytest]`, `[tox:tox]` and `[testenv…]` sections.
 * 5. The files the configured commands (`commands.test`, `build`, `setup`) run: every word of the
 *    command line (parsed as shell with `shell-quote`; an option's `=value` counts) that names an
 *    existing regular file of the worktree (`node test/run.mjs` protects `test/run.mjs`;
 *    `./ci.sh` protects `ci.sh`); `make` protects the Makefile (`GNUmakefile`, `makefile`,
 *    `Makefile`); `npm test`, `npm run X`, `yarn X`, `pnpm X` and `bun run X` follow the
 *    package.json script they run (with its `pre`/`post` scripts), and `sh -c '...'` (bash, dash,
 *    zsh) its inline command, four levels deep. Globs are not
 *    followed (`node --test test/*.test.mjs` leaves the tests editable) and directories are not
 *    protected (`pytest tests` leaves `tests/` editable).
 *
 * Not protected: test files themselves, `conftest.py`, `vite.config.*`, a newly created
 * `package.json`, build files such as `Cargo.toml`. Matching is case-insensitive.
 */

/** One refused change. */
export interface ProtectedChange {
  /** repository-relative path */
  path: string;
  /** why it is protected, e.g. `it is test-runner configuration` */
  reason: string;
}

/** What the configured commands name, computed from the worktree before an edit. */
export interface CommandFiles {
  /** repository-relative files the commands run or read (see rule 5) */
  files: Map<string, string>;
}

/** Files protected as a whole, by pattern (rules 1–3), with the reason shown to the model. */
const WHOLE_FILES: ReadonlyArray<{ patterns: string[]; reason: string }> = [
  { patterns: ['taskgraph.yaml', 'taskgraph.yml', '.taskgraph/**'], reason: "it is taskgraph's own configuration" },
  {
    patterns: [
      'pytest.ini',
      'tox.ini',
      'noxfile.py',
      'jest.config.*',
      'vitest.config.*',
      'vitest.workspace.*',
      '.mocharc*',
      '.taprc',
      'karma.conf.*',
      'playwright.config.*',
      'cypress.config.*',
      'ava.config.*',
      'phpunit.xml',
      'phpunit.xml.dist',
      '.nycrc*',
      '.c8rc*',
    ],
    reason: 'it is test-runner configuration',
  },
];

const matchers = WHOLE_FILES.map(({ patterns, reason }) => ({
  // patterns without a slash match the file name at any depth (picomatch `basename`)
  anchored: picomatch(patterns.filter((p) => p.includes('/')), { dot: true, nocase: true }),
  named: picomatch(patterns.filter((p) => !p.includes('/')), { dot: true, nocase: true }),
  reason,
}));

/** package.json keys that configure how tests run. */
export const PACKAGE_JSON_KEYS = ['scripts', 'jest', 'mocha', 'ava', 'tap', 'nyc', 'c8'] as const;

/** The short list given to the model in a refusal: what it may not change. */
export const PROTECTED_SUMMARY =
  'taskgraph.yaml and .taskgraph/; ' +
  'test-runner configuration (pytest.ini, tox.ini, jest.config.*, vitest.config.*, .mocharc*, ...); ' +
  'the "scripts" (and jest/mocha/ava/tap settings) of package.json; the [tool.pytest]/[tool.tox] tables of pyproject.toml; ' +
  'the [tool:pytest]/[tox:tox]/[testenv] sections of setup.cfg';

function wholeFileReason(relPath: string): string | undefined {
  const name = path.posix.basename(relPath);
  for (const m of matchers) if (m.anchored(relPath) || m.named(name)) return m.reason;
  return undefined;
}

function parseJsonObject(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The protected keys of a package.json text, as canonical JSON; `undefined` when it does not parse. */
function packageJsonPart(text: string | null): string | undefined {
  const json = parseJsonObject(text);
  if (!json) return undefined;
  return JSON.stringify(PACKAGE_JSON_KEYS.map((key) => [key, json[key] ?? null]));
}

/**
 * The lines (trimmed; blank and comment lines dropped) of the INI/TOML sections of `text` whose
 * header `[name]` (or TOML `[[name]]`) satisfies `wanted`, plus, for TOML, the lines of a bare
 * `[tool]` table that set one of `toolKeys`. A line-level reading, enough to tell whether those
 * sections changed; it does not interpret values.
 */
export function sectionText(text: string, wanted: (name: string) => boolean, toolKeys: readonly string[] = []): string {
  const kept: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:[#;].*)?$/.exec(line);
    if (header) {
      current = (header[1] ?? '').replace(/\s+/g, '').toLowerCase();
      if (wanted(current)) kept.push(`[${current}]`);
      continue;
    }
    if (wanted(current)) kept.push(line);
    else if (current === 'tool' && toolKeys.some((key) => line.toLowerCase().startsWith(key))) kept.push(line);
  }
  return kept.join('\n');
}

const PYPROJECT_TABLE = (name: string): boolean => /^tool\.(pytest|tox)(\.|$)/.test(name);
const SETUP_CFG_SECTION = (name: string): boolean => name === 'tool:pytest' || name === 'tox:tox' || /^testenv(:|$)/.test(name);

/** Why a change of part of a shared file is refused, or `undefined` when the protected part is unchanged. */
function partReason(change: FileChange): string | undefined {
  const name = path.posix.basename(change.path).toLowerCase();
  if (name === 'package.json') {
    if (change.before === null) return undefined; // a new package may bring its own scripts
    const before = packageJsonPart(change.before);
    if (before === undefined) return undefined; // unreadable before: nothing to compare against
    const after = change.after === null ? undefined : packageJsonPart(change.after);
    if (after === before) return undefined;
    return change.after === null
      ? 'it deletes package.json, whose "scripts" the verify command may run'
      : after === undefined
        ? 'it leaves package.json unreadable, and its "scripts" are what the verify command may run'
        : `it changes ${PACKAGE_JSON_KEYS.map((k) => `"${k}"`).join('/')} in package.json, which decide how the tests run (dependencies may change)`;
  }
  const sections =
    name === 'pyproject.toml'
      ? { read: (t: string) => sectionText(t, PYPROJECT_TABLE, ['pytest', 'tox']), what: 'the [tool.pytest]/[tool.tox] tables of pyproject.toml' }
      : name === 'setup.cfg'
        ? { read: (t: string) => sectionText(t, SETUP_CFG_SECTION), what: 'the [tool:pytest]/[tox:tox]/[testenv] sections of setup.cfg' }
        : undefined;
  if (!sections) return undefined;
  const before = sections.read(change.before ?? '');
  const after = sections.read(change.after ?? '');
  return before === after ? undefined : `it changes ${sections.what}, which configure how the tests run`;
}

const MAKE_FILES = ['GNUmakefile', 'makefile', 'Makefile'];
const SCRIPT_RUNNERS = new Set(['npm', 'pnpm', 'yarn', 'bun']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh']);
const MAX_SCRIPT_DEPTH = 4;

/** The package.json script a package-manager command runs (`npm test` → `test`), if any. */
function scriptName(words: readonly string[]): string | undefined {
  const [tool, first, second] = words;
  if (!tool || !SCRIPT_RUNNERS.has(tool) || first === undefined) return undefined;
  if (first === 'run' || first === 'run-script') return second;
  if (tool === 'npm') return first === 't' || first === 'tst' ? 'test' : ['test', 'start', 'stop', 'restart'].includes(first) ? first : undefined;
  if (tool === 'bun') return undefined; // `bun test` is bun's own runner, `bun X` runs a file
  return first.startsWith('-') ? undefined : first; // yarn X, pnpm X
}

/**
 * The files the project's commands run (rule 5 of the module doc), read from the worktree.
 * @param commands command lines (`commands.test`, `build`, `setup`); empty ones are skipped
 * @param read reads a repository-relative file; `null` when it is absent or not a regular file
 * @returns each protected path with the command that names it
 */
export async function commandFiles(commands: readonly string[], read: FileReader): Promise<CommandFiles> {
  const files = new Map<string, string>();
  const seenScripts = new Set<string>();
  let packageJson: Record<string, unknown> | undefined | null = null;
  const scripts = async (): Promise<Record<string, unknown>> => {
    if (packageJson === null) packageJson = parseJsonObject(await read('package.json').catch(() => null));
    const value = packageJson?.['scripts'];
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  };
  const consider = async (word: string, command: string): Promise<void> => {
    let relPath: string;
    try {
      relPath = normalizeRepoPath(word);
    } catch {
      return; // absolute, outside, or not a name we would write anyway
    }
    if (files.has(relPath)) return;
    if ((await read(relPath).catch(() => null)) !== null) files.set(relPath, command);
  };
  const visit = async (command: string, depth: number): Promise<void> => {
    const entries = parseShell(command, (key) => `$${key}`);
    const segments: string[][] = [[]];
    for (const entry of entries) {
      if (typeof entry === 'string') segments[segments.length - 1]!.push(entry);
      else if ('op' in entry && entry.op !== 'glob') segments.push([]);
    }
    for (const segment of segments) {
      const start = segment.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)); // skip VAR=value prefixes
      if (start < 0) continue;
      const argv = segment.slice(start);
      const tool = path.posix.basename(argv[0] ?? '');
      for (const word of argv) {
        if (word.startsWith('-')) {
          const eq = word.indexOf('=');
          if (eq > 0) await consider(word.slice(eq + 1), command);
        } else await consider(word, command);
      }
      if (tool === 'make' || tool === 'gmake') for (const name of MAKE_FILES) await consider(name, command);
      const inline = argv.indexOf('-c');
      if (SHELLS.has(tool) && inline > 0 && argv[inline + 1] !== undefined && depth < MAX_SCRIPT_DEPTH) await visit(argv[inline + 1]!, depth + 1);
      const script = scriptName([tool, ...argv.slice(1)]);
      if (script !== undefined && depth < MAX_SCRIPT_DEPTH) {
        const all = await scripts();
        for (const name of [`pre${script}`, script, `post${script}`]) {
          const text = all[name];
          if (typeof text !== 'string' || seenScripts.has(name)) continue;
          seenScripts.add(name);
          await visit(text, depth + 1);
        }
      }
    }
  };
  for (const command of commands) if (command.trim() !== '') await visit(command, 0);
  return { files };
}

/**
 * The changes of an edit that touch protected configuration (see the module doc).
 * @param changes what the edit does, from `computeEdit`
 * @param named the files the configured commands run, from {@link commandFiles}
 * @returns the refused changes, in the order of `changes` (empty when the edit may proceed)
 */
export function protectedChanges(changes: readonly FileChange[], named: CommandFiles): ProtectedChange[] {
  const refused: ProtectedChange[] = [];
  for (const change of changes) {
    const command = named.files.get(change.path);
    const reason =
      wholeFileReason(change.path) ?? (command !== undefined ? `the configured command \`${command}\` runs it` : undefined) ?? partReason(change);
    if (reason !== undefined) refused.push({ path: change.path, reason });
  }
  return refused;
}

/**
 * The refusal of an edit that touches protected configuration: `EDIT_PROTECTED`, refinable, so
 * the failure note tells the model (in `Reason:`) which files it may not change.
 * @param refused at least one {@link ProtectedChange}
 * @param named the files the commands run, listed by name in the reason
 */
export function protectedError(refused: readonly ProtectedChange[], named: CommandFiles): TaskgraphError {
  const first = refused[0]!;
  const listed = refused.map((r) => `${r.path} (${r.reason})`).join('; ');
  const runFiles = [...named.files.keys()];
  const reason =
    `taskgraph does not let an edit change the project's configuration or what its verify command runs. ` +
    `Refused: ${listed}. Files you may not change: ${PROTECTED_SUMMARY}` +
    (runFiles.length > 0 ? `; and the files the project's commands run: ${runFiles.join(', ')}` : '') +
    '. Change the source code, and add or change test files, instead.';
  return new TaskgraphError('EDIT_PROTECTED', `edit to ${first.path} is refused: ${first.reason}${refused.length > 1 ? ` (and ${refused.length - 1} more protected file${refused.length > 2 ? 's' : ''})` : ''}`, {
    details: { path: first.path, paths: refused.map((r) => r.path), reason },
    hint: 'the project configuration is protected; set policy.protectConfig: false in taskgraph.yaml to allow such edits',
  });
}
