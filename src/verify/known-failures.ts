import type { TestResults } from './test-results.js';

/**
 * `--baseline known-failures` (DESIGN.md §2 step 4): the tests that fail at the base commit are
 * recorded by the run's `baseline` node, and a task's verify fails only on *new* failures. Pure
 * decisions over {@link TestResults}; the commands run in `run-check.ts`.
 */

/** How the base commit is treated: `strict` stops the run when its checks fail; `known-failures` records them. */
export type BaselineMode = 'strict' | 'known-failures';

/** The failing tests of one check, when they could be told. */
export type FailingSet = { known: true; failing: string[] } | { known: false; reason: string };

/**
 * The set of failing tests of a finished check, or why it cannot be told. Conservative: a check
 * that timed out, was killed, failed with no failing test named, or whose runner stopped early
 * has an unknown set.
 * @param exitCode the command's exit code (null when killed by a signal)
 * @param timedOut whether the command ran over its timeout
 * @param tests what {@link readTestResults} read from its output
 */
export function failingSetOf(exitCode: number | null, timedOut: boolean, tests: TestResults): FailingSet {
  if (exitCode === 0) return { known: true, failing: [] };
  if (timedOut) return { known: false, reason: 'the command timed out, so not every test ran' };
  if (exitCode === null) return { known: false, reason: 'the command was killed by a signal' };
  if (tests.incomplete) return { known: false, reason: tests.incomplete };
  if (tests.failing.length === 0) {
    return {
      known: false,
      reason:
        tests.runners.length === 0
          ? `it exited with ${exitCode} and its output is from no test runner taskgraph reads (pytest, node --test, TAP, vitest, jest, mocha, go test, cargo test), or it failed before running tests`
          : `it exited with ${exitCode} but ${tests.runners.join(', ')} output names no failing test (it may have failed before running tests)`,
    };
  }
  return { known: true, failing: tests.failing };
}

/** A task's failing tests compared with those failing at the base. */
export interface BaselineComparison {
  /** failing now and not at the base: these fail the verify */
  newFailures: string[];
  /** failing now and at the base */
  stillFailing: string[];
  /** failing at the base and passing now */
  fixed: string[];
}

/**
 * Compares the failing tests of a check with the ones recorded at the base commit.
 * @param now failing ids now
 * @param atBase failing ids recorded by the baseline for the same command
 */
export function compareWithBaseline(now: readonly string[], atBase: readonly string[]): BaselineComparison {
  const base = new Set(atBase);
  const current = new Set(now);
  return {
    newFailures: [...current].filter((id) => !base.has(id)).sort(),
    stillFailing: [...current].filter((id) => base.has(id)).sort(),
    fixed: [...base].filter((id) => !current.has(id)).sort(),
  };
}

/** A list of ids for a message: the first `max`, then how many more. */
export function listIds(ids: readonly string[], max = 5): string {
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}
