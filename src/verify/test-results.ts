import stripAnsi from 'strip-ansi';
import { junitFailures } from './junit-results.js';
import { lineFailures, type LineRunner } from './line-results.js';
import { looksLikeTap, tapFailures } from './tap-results.js';

/**
 * Which tests failed, read from a test command's output (and a JUnit report when one was
 * written): the input of `--baseline known-failures` (a task's verify fails only on tests that
 * did not already fail at the base commit).
 *
 * Sources, each used when it recognises its runner:
 * - a JUnit XML report (`junit-results.ts`): pytest writes one when taskgraph sets
 *   `PYTEST_ADDOPTS=--junitxml=<file>` (see `run-check.ts`); when it exists, pytest's own
 *   summary lines are not read (the same failures would be named twice);
 * - TAP (`tap-results.ts`): tape, `node --test` in Node 20 (TAP when stdout is not a TTY), any
 *   TAP producer;
 * - line patterns (`line-results.ts`): pytest's summary, go test, cargo test, jest, vitest, mocha.
 */

/** A source that recognised its runner in the output. */
export type TestRunner = LineRunner | 'junit' | 'tap';

/** What {@link readTestResults} found. */
export interface TestResults {
  /** failing test ids, sorted and unique; parents of failing children are left out */
  failing: string[];
  /** the sources that recognised their runner, in the order read */
  runners: TestRunner[];
  /** why the list may miss failures (a runner stopped early), when it may */
  incomplete?: string;
}

/** Input of {@link readTestResults}. */
export interface TestOutput {
  /** the command's combined output (stdout + stderr) */
  output: string;
  /** the JUnit XML report the command wrote, if any */
  junitXml?: string;
  /** the directory the command ran in: absolute paths under it are made relative in ids */
  cwd?: string;
}

/**
 * Keeps only the leaves: an id is dropped when another failing id extends it (`suite` when
 * `suite > test` failed; go's `pkg > TestX` when `pkg > TestX/sub` failed; a `/` before the last
 * ` > `, as in a package path, is no such boundary), since a parent fails because a child did.
 * @returns the leaves, sorted and unique
 */
export function leafIds(ids: Iterable<string>): string[] {
  const unique = [...new Set(ids)].sort();
  const parents = new Set<string>();
  for (const id of unique) {
    const last = id.lastIndexOf(' > ');
    for (const boundary of id.matchAll(/ > /g)) parents.add(id.slice(0, boundary.index));
    // go subtests: `pkg > TestX/sub` fails its parent `pkg > TestX` (a `/` in a package path does not)
    if (last >= 0) for (const boundary of id.slice(last + 3).matchAll(/\//g)) parents.add(id.slice(0, last + 3 + boundary.index));
  }
  return unique.filter((id) => !parents.has(id));
}

/**
 * Reads the failing tests from a test command's output.
 * @returns the failing ids (made relative to `cwd`, sorted, leaves only), the runners recognised
 *   and whether the list may be incomplete. An output no source recognises gives no runner and
 *   no failing id: the caller cannot tell which tests failed.
 */
export function readTestResults(input: TestOutput): TestResults {
  const text = stripAnsi(input.output);
  const runners: TestRunner[] = [];
  const failing: string[] = [];
  const incomplete: string[] = [];

  const junit = input.junitXml !== undefined ? junitFailures(input.junitXml) : undefined;
  if (junit) {
    runners.push('junit');
    failing.push(...junit.failing);
  }
  if (looksLikeTap(text)) {
    const tap = tapFailures(text);
    runners.push('tap');
    failing.push(...tap.failing);
    if (tap.bailedOut) incomplete.push('the TAP producer bailed out');
  }
  for (const found of lineFailures(text)) {
    if (found.runner === 'pytest' && junit) {
      if (found.incomplete) incomplete.push(found.incomplete);
      continue;
    }
    runners.push(found.runner);
    failing.push(...found.failing);
    if (found.incomplete) incomplete.push(found.incomplete);
  }
  const relative = (id: string) => {
    if (!input.cwd) return id;
    const prefix = input.cwd.endsWith('/') ? input.cwd : `${input.cwd}/`;
    return id.split(prefix).join('');
  };
  return {
    failing: leafIds(failing.map((id) => relative(id.trim())).filter((id) => id !== '')),
    runners,
    ...(incomplete.length > 0 ? { incomplete: incomplete.join('; ') } : {}),
  };
}
