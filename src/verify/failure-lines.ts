import stripAnsi from 'strip-ansi';

/**
 * The first lines of a failing command's output that say what failed, for an error message a
 * person reads (`BASELINE_FAILED`, `init`'s check). The text still comes from the repository:
 * print it through `safeText` (cli/safe-text.ts).
 */

/** A line that names a failure: test runners' failure markers, errors, panics, missing tools. */
const FAILURE = /\b(FAIL(ED|URE)?|fail(ed|ing|ure)?|not ok|error|errors|ERR!|exception|traceback|assert(ion)?(error)?|panic(ked)?|not found|no such file|cannot find|unrecognized)\b|[✖✗×✕●]/i;

/**
 * Up to `max` lines starting at the first line that names a failure (blank lines dropped, each
 * line cut at 300 characters), or the last `max` non-blank lines when no line does.
 * @param output the command's output (ANSI escapes are removed here)
 * @param max lines kept (default 12)
 */
export function firstFailingLines(output: string, max = 12): string[] {
  const lines = stripAnsi(output)
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
  const first = lines.findIndex((l) => FAILURE.test(l));
  return first >= 0 ? lines.slice(first, first + max) : lines.slice(-max);
}
