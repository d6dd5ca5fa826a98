import { Parser, type Result } from 'tap-parser';
import { type FailureBlock, makeBlock } from './failure-block.js';
import { junitTestCases, MAX_JUNIT_CHARS } from './junit-results.js';

/**
 * The failures of machine-readable test reports, one {@link FailureBlock} per failing test, for
 * the failure digest: JUnit XML (read with `fast-xml-parser`; pytest writes it when taskgraph sets
 * `PYTEST_ADDOPTS=--junitxml=…`, see `run-check.ts`) and TAP (read with `tap-parser`: node's test
 * runner in Node 20 without a TTY, tape, any TAP producer).
 */

/** The text of a `<failure>`/`<error>` element: its body (pytest's traceback), else its message. */
function elementText(element: unknown): { message: string; body: string } {
  if (typeof element === 'string') return { message: '', body: element };
  const node = (element ?? {}) as Record<string, unknown>;
  return { message: String(node['@_message'] ?? ''), body: String(node['#text'] ?? '') };
}

/**
 * One block per failing `<testcase>` of a JUnit XML report. pytest's body is its traceback: the
 * `E   ` lines are the anchor, `>` source lines and project locations are kept.
 * @param xml the report's text
 * @returns the blocks, or undefined when the text is not a JUnit report (not XML, no
 *   `<testsuites>`/`<testsuite>`, a DOCTYPE, larger than {@link MAX_JUNIT_CHARS})
 */
export function junitBlocks(xml: string): FailureBlock[] | undefined {
  const cases = junitTestCases(xml);
  if (!cases) return undefined;
  return cases
    .filter((c) => c.problems.length > 0)
    .map((c) => {
      const lines: string[] = [];
      for (const element of c.problems) {
        const { message, body } = elementText(element);
        const traceback = body.split(/\r?\n/).filter((l) => /^(>|E\s)|^\s*\S+\.py:\d+:/.test(l));
        lines.push(...(traceback.length > 0 ? traceback : [message, ...body.split(/\r?\n/)]));
      }
      return makeBlock(c.id, lines, /^E\s/);
    });
}

/** The YAML diagnostics of a failing TAP point as lines: error, expected, actual, operator, location, stack. */
function diagLines(diag: unknown): string[] {
  if (typeof diag !== 'object' || diag === null) return [];
  const d = diag as Record<string, unknown>;
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const lines: string[] = [];
  if (d['error'] !== undefined) lines.push(...show(d['error']).split('\n').map((l) => `  ${l}`));
  for (const key of ['expected', 'actual', 'operator', 'at', 'location']) {
    if (d[key] !== undefined) lines.push(`  ${key}: ${show(d[key]).split('\n').join(' ')}`);
  }
  // node writes its stack frames without `at `
  if (typeof d['stack'] === 'string') lines.push(...d['stack'].split('\n').map((l) => `    ${/:\d+(:\d+)?\)?$|\((<anonymous>|native)\)$/.test(l) && !/^\s*at /.test(l) ? `at ${l.trim()}` : l.trim()}`));
  return lines;
}

/**
 * One block per failing TAP test point (`not ok`, neither TODO nor SKIP) with diagnostics; a
 * point whose children failed is left out (the children are listed). Named like
 * `tap-results.ts`: `parent > child`, tape's `comment > assertion`, node's `file > suite > test`.
 * @param text the command's output (lines that are not TAP are ignored)
 */
export function tapBlocks(text: string): FailureBlock[] {
  const blocks: FailureBlock[] = [];
  const watch = (p: Parser) => {
    let comment: string | undefined;
    p.on('comment', (line: string) => {
      const body = line.replace(/^\s*#\s?/, '').trim();
      comment = body.startsWith('Subtest:') ? undefined : body;
    });
    p.on('assert', (result: Result) => {
      if (result.ok || result.todo || result.skip) return;
      const diag = result.diag as Record<string, unknown> | null;
      if (diag?.['failureType'] === 'subtestsFailed') return;
      const name = result.fullname || result.name || `#${result.id}`;
      const id = !name.includes(' > ') && comment ? `${comment} > ${name}` : name;
      // node's test runner: the test's file first, as in tap-results.ts
      const location = typeof diag?.['location'] === 'string' ? diag['location'].replace(/:\d+:\d+$/, '').replace(/^file:\/\//, '') : undefined;
      blocks.push(makeBlock(location ? `${location} > ${id}` : id, diagLines(diag)));
    });
    p.on('child', watch);
  };
  const root = new Parser({ bail: false });
  watch(root);
  root.end(text);
  return blocks;
}
