import { type AttemptEdit, splitAttemptEdit } from './attempt-edit.js';
import { enclosingBlock, type LineBlock } from './block-finder.js';

/**
 * The failure locator (issue 9 item 3): which repository files and lines a failed attempt's
 * note names, so a retry's bundle shows them whole. It reads:
 *
 * - `path:line` references and stack frames: JavaScript `at fn (file:line:col)`, vitest/jest
 *   `❯ file:line:col`, Python `File "x.py", line N`, pytest `x.py:12: AssertionError`, Go
 *   `file.go:12:`, cargo `src/x.rs:12:5`; build errors: tsc `src/a.ts(3,5): error …` and
 *   `src/a.ts:3:5 - error …`, rustc ` --> src/lib.rs:3:5`, and the digest's own
 *   `path:line:col: error …` head lines under its `Build errors (…)` heading (whose `- file`
 *   names are files, not test names);
 * - failing test names (vitest/jest `FAIL file > a > b`, `FAIL name: message`, `×`/`✕`/`✖` lines, jest `●`, pytest
 *   `FAILED x.py::name`, go `--- FAIL: TestX`, cargo `test a::b ... FAILED`, TAP `not ok`), looked
 *   up in the repository's test files.
 *
 * Paths are mapped to repository files: relative paths as they are or by a unique suffix,
 * absolute paths by the repository path they end with; dependencies (node_modules,
 * site-packages, ...) and files outside the repository are ignored. Each line becomes its
 * enclosing function or test block (`block-finder.ts`); blocks of one file that overlap or touch
 * are merged. Pure: no I/O beyond the reader it is given.
 */

/** One block named by a failure. */
export interface FailurePin {
  /** repository-relative path */
  path: string;
  /** 1-based inclusive lines */
  start: number;
  end: number;
  /** whether the range is a whole function/test block or a neighbourhood */
  kind: LineBlock['kind'];
  /** what named it, e.g. `test/calc.test.js:3` or `failing test "subtracts"` (in order of appearance) */
  named: string[];
  /** the block's text */
  text: string;
}

/** The failure a retry follows: the latest failure note's attempt and text (without its recorded edit), and that edit. */
export interface LatestFailure {
  attempt: number;
  text: string;
  /** the edit the note records (`attempt-edit.ts`), if any */
  edit?: AttemptEdit;
}

/** Blocks pinned at most per failure (the first named, in order of appearance). */
export const MAX_FAILURE_PINS = 8;

/** Failing test names looked up at most. */
const MAX_TEST_NAMES = 8;

const NOTE_HEAD = /^Attempt (\d+) failed at /;

/**
 * The latest failure note among a task's notes (a note that starts `Attempt N failed at`),
 * without the edit it records.
 * @returns undefined when the task has no failure note
 */
export function latestFailure(notes: readonly string[]): LatestFailure | undefined {
  for (let i = notes.length - 1; i >= 0; i--) {
    const m = NOTE_HEAD.exec(notes[i]!);
    if (!m) continue;
    const { text, edit } = splitAttemptEdit(notes[i]!);
    return { attempt: Number(m[1]), text, ...(edit ? { edit } : {}) };
  }
  return undefined;
}

/** A `path:line` named by a failure, before it is mapped to a block. */
export interface FailureRef {
  path: string;
  line: number;
  /** how it was named, for the manifest */
  named: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]/g;
const DEPENDENCY = /(^|[\\/])(node_modules|site-packages|dist-packages|\.venv|venv|vendor|\.cargo|go[\\/]pkg[\\/]mod|rustc[\\/][0-9a-f]+|lib[\\/]python\d[^\\/]*)([\\/]|$)|^node:|^internal[\\/]|<anonymous>/;
const PY_FRAME = /File "([^"\n]+)", line (\d+)/g;
/** tsc's plain form: `src/a.ts(3,5): error TS2322: …` */
const PAREN_LINE = /(?:^|[\s'"`])((?:[A-Za-z]:)?[\w@.+~\\/-]*[\w+-]\.[A-Za-z][A-Za-z0-9]{0,7})\((\d+),\d+\)/gm;
const PATH_LINE = /(?:^|[\s(\[<>|'"`=]|file:\/\/)((?:[A-Za-z]:)?[\w@.+~\\/-]*[\w+-]\.[A-Za-z][A-Za-z0-9]{0,7}):(\d+)(?::\d+)?/gm;

/**
 * The repository file a path in test output names, or undefined.
 * @param raw the path as printed (relative, absolute, `file://`, Windows separators)
 * @param repoFiles repository-relative paths
 */
export function resolveRepoPath(raw: string, repoFiles: readonly string[], repoSet: ReadonlySet<string> = new Set(repoFiles)): string | undefined {
  const path = raw.replace(/^file:\/\//, '').replace(/\\/g, '/');
  if (DEPENDENCY.test(path)) return undefined;
  const rel = path.replace(/^\.\//, '');
  if (!rel.startsWith('/') && !/^[A-Za-z]:\//.test(rel) && repoSet.has(rel)) return rel;
  if (rel.startsWith('/') || /^[A-Za-z]:\//.test(rel)) {
    // absolute: the longest repository path it ends with
    let best: string | undefined;
    for (const f of repoFiles) if (rel.endsWith(`/${f}`) && (!best || f.length > best.length)) best = f;
    return best;
  }
  // relative to a subdirectory (go test prints paths relative to the package): a unique suffix
  const hits = repoFiles.filter((f) => f.endsWith(`/${rel}`));
  return hits.length === 1 ? hits[0] : undefined;
}

/**
 * The `path:line` references and stack frames of a failure text that name repository files, in
 * order of appearance, each (path, line) once.
 * @param text test-runner output or a failure note (ANSI colours are ignored)
 */
export function failureRefs(text: string, repoFiles: readonly string[]): FailureRef[] {
  const clean = text.replace(ANSI, '');
  const repoSet = new Set(repoFiles);
  const found: Array<FailureRef & { at: number }> = [];
  const add = (raw: string, line: number, at: number) => {
    const path = resolveRepoPath(raw, repoFiles, repoSet);
    if (path && line > 0) found.push({ path, line, named: `${path}:${line}`, at });
  };
  for (const m of clean.matchAll(PY_FRAME)) add(m[1]!, Number(m[2]), m.index);
  for (const m of clean.matchAll(PATH_LINE)) add(m[1]!, Number(m[2]), m.index);
  for (const m of clean.matchAll(PAREN_LINE)) add(m[1]!, Number(m[2]), m.index);
  const seen = new Set<string>();
  return found
    .sort((a, b) => a.at - b.at)
    .filter((r) => !seen.has(r.named) && (seen.add(r.named), true))
    .map(({ at: _at, ...r }) => r);
}

/** A failing test named by the output, with the file it was reported in when the runner says. */
export interface FailingTest {
  name: string;
  path?: string;
}

const TEST_LINES: Array<{ re: RegExp; sep: RegExp; file?: boolean }> = [
  // vitest / jest: ` FAIL  test/calc.test.js > math > multiplies`
  { re: /^\s*FAIL\s+(\S+\.\w+)\s+>\s+(.+)$/, sep: /\s+>\s+/, file: true },
  // one line per check: `FAIL multiply multiplies: expected -6, got 6` (the demo's runner, many small ones)
  { re: /^\s*FAIL\s+(?!\S+\.\w+(?::|\s|$))([^:\n]+?):\s/, sep: /\s+>\s+/ },
  // vitest / jest / node --test: `× name 8ms`, `✕ name (3 ms)`, `✖ name (1.2ms)`
  { re: /^\s*[×✕✖✗]\s+(.+?)(?:\s+\(?\d+(?:\.\d+)?\s?m?s\)?)?$/, sep: /\s+>\s+/ },
  // jest: `● describe › name`
  { re: /^\s*●\s+(.+)$/, sep: /\s+›\s+/ },
  // pytest: `FAILED tests/test_calc.py::TestX::test_y - assert ...`
  { re: /^\s*FAILED\s+(\S+?\.py)::(\S+)/, sep: /::/, file: true },
  // go: `--- FAIL: TestName (0.00s)`
  { re: /^\s*--- FAIL:\s+(\S+)/, sep: /\//, file: false },
  // cargo: `test tests::adds ... FAILED`
  { re: /^\s*test\s+(\S+)\s+\.\.\.\s+FAILED/, sep: /::/ },
  // TAP: `not ok 3 - name`
  { re: /^\s*not ok\s+\d+\s*-?\s*(.+?)(?:\s+#.*)?$/, sep: /\s+>\s+/ },
];

/**
 * The failing test names of a failure text, innermost name of each (the test, not its suite),
 * in order of appearance, each once, at most 8.
 */
export function failingTests(text: string): FailingTest[] {
  const out: FailingTest[] = [];
  const seen = new Set<string>();
  let inDigest = false;
  for (const raw of text.replace(ANSI, '').split('\n')) {
    // a failure digest (src/verify/failure-digest.ts) lists each failing test as `- name` under
    // its `Failing tests (N, read from …):` heading, until its `Summary:`/`Dropped:` lines
    if (/^Failing tests \(\d+, read from /.test(raw)) {
      inDigest = true;
      continue;
    }
    if (inDigest && /^(Summary|Dropped): /.test(raw)) inDigest = false;
    const digestName = inDigest ? /^- (?!and \d+ more failing: )(.+)$/.exec(raw) : null;
    if (digestName) {
      const name = (digestName[1]!.split(/\s+(?:>|›)\s+|::/).pop() ?? '').replace(/\[.*\]$/, '').trim();
      if (name.length >= 2 && name.length <= 200 && !seen.has(`\0${name}`)) {
        seen.add(`\0${name}`);
        out.push({ name });
      }
      if (out.length >= MAX_TEST_NAMES) break;
      continue;
    }
    for (const { re, sep, file } of TEST_LINES) {
      const m = re.exec(raw);
      if (!m) continue;
      const path = file ? m[1] : undefined;
      const full = (file ? m[2] : m[1])!.trim();
      const name = (full.split(sep).pop() ?? '').replace(/\[.*\]$/, '').trim();
      if (name.length < 2 || name.length > 200 || seen.has(`${path ?? ''}\0${name}`)) break;
      seen.add(`${path ?? ''}\0${name}`);
      out.push({ name, ...(path ? { path } : {}) });
      break;
    }
    if (out.length >= MAX_TEST_NAMES) break;
  }
  return out;
}

/** Whether a repository path looks like a test file. */
export function isTestFile(path: string): boolean {
  return /(^|\/)(tests?|spec|specs|__tests__)\//.test(path) || /[._-](test|spec)\.[A-Za-z0-9]+$/.test(path) || /(^|\/)test_[^/]*\.py$/.test(path) || /_test\.(go|py)$/.test(path);
}

/** The line (1-based) that defines test `name` in `text`, or 0. */
function testLine(text: string, name: string): number {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(['"\`])${esc}\\1|\\b(def|func|fn)\\s+${esc}\\s*[(<]`);
  const lines = text.split('\n');
  const i = lines.findIndex((l) => re.test(l));
  return i + 1;
}

/**
 * The blocks a failure names, in order of first mention, merged per file, at most
 * {@link MAX_FAILURE_PINS}: `path:line` references first as they appear, then failing tests
 * found in test files (the file the runner named, else every test file).
 * @param failureText the failure note or test output
 * @param repoFiles repository-relative paths of the worktree
 * @param read reads a repository file; a file it fails on is skipped
 */
export async function failurePins(failureText: string, repoFiles: readonly string[], read: (path: string) => Promise<string>): Promise<FailurePin[]> {
  const refs = failureRefs(failureText, repoFiles);
  const texts = new Map<string, string | null>();
  const textOf = async (path: string): Promise<string | null> => {
    if (!texts.has(path)) texts.set(path, await read(path).catch(() => null));
    return texts.get(path) ?? null;
  };
  const repoSet = new Set(repoFiles);
  const testFiles = repoFiles.filter(isTestFile);
  for (const t of failingTests(failureText)) {
    const named = t.path ? resolveRepoPath(t.path, repoFiles, repoSet) : undefined;
    for (const path of named ? [named] : testFiles) {
      const text = await textOf(path);
      const line = text ? testLine(text, t.name) : 0;
      if (line > 0) {
        refs.push({ path, line, named: `failing test "${t.name}"` });
        break;
      }
    }
  }
  const pins: FailurePin[] = [];
  for (const ref of refs) {
    const text = await textOf(ref.path);
    if (text === null) continue;
    const block = enclosingBlock(ref.path, text, ref.line);
    const same = pins.find((p) => p.path === ref.path && block.start <= p.end + 1 && block.end >= p.start - 1);
    if (same) {
      same.start = Math.min(same.start, block.start);
      same.end = Math.max(same.end, block.end);
      if (block.kind === 'neighbourhood') same.kind = 'neighbourhood';
      if (!same.named.includes(ref.named)) same.named.push(ref.named);
      continue;
    }
    if (pins.length >= MAX_FAILURE_PINS) continue;
    pins.push({ path: ref.path, start: block.start, end: block.end, kind: block.kind, named: [ref.named], text: '' });
  }
  for (const p of pins) {
    const lines = (await textOf(p.path))!.split('\n');
    p.text = lines.slice(p.start - 1, p.end).join('\n');
  }
  return pins;
}
