import { Parser, type Result } from 'tap-parser';

/**
 * Failing tests from TAP output (Test Anything Protocol, https://testanything.org/tap-version-13-specification.html),
 * read with the `tap-parser` package (the parser of node-tap): tape, `node --test` (whose default
 * reporter prints TAP in Node 20 when stdout is not a TTY) and every other TAP producer.
 */

/** What {@link tapFailures} read. */
export interface TapFailures {
  /**
   * ids of the failing test points (`not ok`, neither `# TODO` nor `# SKIP`), with their parents:
   * `suite > nested > test`. A test point that follows a plain comment line (tape prints `# test
   * name` before its assertions) is named `comment > assertion`. Node's test runner adds the file
   * of the test (`diag.location`, up to the line number): `file > suite > test`.
   */
  failing: string[];
  /** a `Bail out!` line: the producer stopped early, so later tests never ran */
  bailedOut: boolean;
}

/** Lines that show the text is TAP at all: a version line or a plan, and a test point. */
const TAP_VERSION = /^TAP version \d+\s*$/m;
const TAP_PLAN = /^\s*1\.\.\d+/m;
const TAP_POINT = /^\s*(?:not )?ok\b/m;

/** Whether `text` holds TAP (a `TAP version` line or a plan, plus at least one test point). */
export function looksLikeTap(text: string): boolean {
  return (TAP_VERSION.test(text) || TAP_PLAN.test(text)) && TAP_POINT.test(text);
}

/** The file part of node's `diag.location` (`/abs/test/a.test.mjs:4:1` -> `/abs/test/a.test.mjs`). */
function locationFile(diag: unknown): string | undefined {
  const location = (diag as { location?: unknown } | null)?.location;
  if (typeof location !== 'string') return undefined;
  return location.replace(/:\d+:\d+$/, '').replace(/^file:\/\//, '');
}

/**
 * Reads the failing test points of TAP text. Lines that are not TAP (a runner's banner, stderr
 * interleaved) are ignored by the parser.
 * @param text the command's output
 * @returns failing ids (unsorted, possibly with parents of failing children; the caller keeps the
 *   leaves) and whether the producer bailed out
 */
export function tapFailures(text: string): TapFailures {
  const failing: string[] = [];
  let bailedOut = false;
  const watch = (parser: Parser) => {
    let comment: string | undefined;
    parser.on('comment', (line: string) => {
      const body = line.replace(/^\s*#\s?/, '').trim();
      // node --test announces each test with "# Subtest: name"; tape names its tests with a comment
      comment = body.startsWith('Subtest:') ? undefined : body;
    });
    parser.on('assert', (result: Result) => {
      if (result.ok || result.todo || result.skip) return;
      const name = result.fullname || result.name || `#${result.id}`;
      const file = locationFile(result.diag);
      const parentless = !name.includes(' > ');
      const id = parentless && comment ? `${comment} > ${name}` : name;
      failing.push(file ? `${file} > ${id}` : id);
    });
    parser.on('child', watch);
    parser.on('bailout', () => {
      bailedOut = true;
    });
  };
  const parser = new Parser({ bail: false });
  watch(parser);
  parser.end(text);
  return { failing, bailedOut };
}
