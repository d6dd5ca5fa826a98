import stripAnsi from 'strip-ansi';
import { trimMiddle } from '../engine/refine.js';
import { cutLine, type FailureBlock } from './failure-block.js';
import { buildBlocks } from './failure-blocks-build.js';
import { junitBlocks, tapBlocks } from './failure-blocks-structured.js';
import { textBlocks, type TextRunner } from './failure-blocks-text.js';
import { looksLikeTap } from './tap-results.js';

/**
 * The failure digest: what a retry needs from a failed check's output, within a character limit.
 * A header (command, exit code), then per failing test its name, its error line(s), expected
 * and actual values, and the stack frames inside the project; then the runner's summary line and
 * what was dropped (passing tests, warnings, logs, build output). The failing tests are read with
 * `failure-blocks-structured.ts` (JUnit XML, TAP) and `failure-blocks-text.ts` (pytest, jest,
 * vitest, mocha, node's spec reporter, go test, cargo test). When no test runner's report is
 * found, a build that failed before the tests ran is read with `failure-blocks-build.ts` (tsc,
 * rustc/cargo, Python's uncaught errors): one block per file with each error's `path:line:col`
 * and message and its code frame, warnings dropped, under a `Build errors (N files, …)` heading.
 * Output that no reader recognises is kept as head and tail ({@link trimMiddle}).
 */

/** Input of {@link failureDigest}. */
export interface DigestInput {
  /** the shell line that ran */
  command: string;
  /** its exit code (null when killed by a signal) */
  exitCode: number | null;
  /** it was killed after its timeout (the output is what it printed until then) */
  timedOut?: boolean;
  /** the command's combined output, as long as it was captured (ANSI escapes are removed here) */
  output: string;
  /** the JUnit XML report the command wrote, if any */
  junitXml?: string;
  /** the directory the command ran in: `<cwd>/` is removed from paths to save characters */
  cwd?: string;
  /** characters of the digest at most (`policy.outputLimit`); at least 200 */
  limit: number;
}

/** What {@link failureDigest} returns. */
export interface Digest {
  /** the digest text, at most `limit` characters */
  text: string;
  /** the readers that recognised the output (`junit`, `tap`, `pytest`, …); empty for the head/tail fallback */
  sources: string[];
  /**
   * the failing tests named in the output (all of them, also those the limit left out of `text`);
   * for a build that failed, the files with errors
   */
  failing: string[];
}

/** Runner summary lines worth keeping (the counts), one per runner at most. */
const SUMMARY = /^=+ .*\b(failed|passed|errors?)\b.* in [\d.]+s.* =+$|^Found \d+ errors?\b|^error: could not compile |^Tests:\s|^\s*Tests\s+\d|^\s+\d+ (passing|failing)\b|^test result: |^# (pass|fail)\s+\d|^ℹ (pass|fail) \d|^FAIL\t/;
const PASSING = /✓|✔|\bPASS(ED)?\b|^\s*ok \d+|\.\.\. ok$|^\s*--- PASS|^ok\s+\S|^\S+\.py [.FEsxX]+\s*\[/;
/** Characters kept for the `- and N more failing: …` line when some tests do not fit. */
const MORE_CHARS = 80;
const WARNING = /\bwarn(ing|ings)?\b/i;

function blocksOf(text: string, junitXml: string | undefined): { sources: string[]; blocks: FailureBlock[]; build: boolean } {
  const sources: string[] = [];
  const blocks: FailureBlock[] = [];
  const junit = junitXml !== undefined ? junitBlocks(junitXml) : undefined;
  if (junit && junit.length > 0) {
    sources.push('junit');
    blocks.push(...junit);
  }
  const skip: TextRunner[] = junit && junit.length > 0 ? ['pytest'] : [];
  if (looksLikeTap(text)) {
    const tap = tapBlocks(text);
    if (tap.length > 0) {
      sources.push('tap');
      blocks.push(...tap);
    }
  }
  for (const found of textBlocks(text, skip)) {
    sources.push(found.runner);
    blocks.push(...found.blocks);
  }
  // no test ran (or none reported): the build's own errors
  if (blocks.length > 0) return { sources, blocks, build: false };
  for (const found of buildBlocks(text)) {
    sources.push(found.tool);
    blocks.push(...found.blocks);
  }
  return { sources, blocks, build: blocks.length > 0 };
}

/**
 * Builds the failure digest of a failed check.
 * @returns the digest (at most `input.limit` characters), the sources that recognised the output
 *   and the failing test names; when nothing is recognised, `text` is the header plus the
 *   output's head and tail
 */
export function failureDigest(input: DigestInput): Digest {
  const prefix = input.cwd ? (input.cwd.endsWith('/') ? input.cwd : `${input.cwd}/`) : undefined;
  const text = prefix ? stripAnsi(input.output).split(`file://${prefix}`).join('').split(prefix).join('') : stripAnsi(input.output);
  const header = [`Command: ${cutLine(input.command)}`, `Exit code: ${String(input.exitCode)}${input.timedOut ? ' (timed out)' : ''}`];
  const { sources, blocks, build } = blocksOf(text, input.junitXml);
  if (blocks.length === 0) {
    const head = `${header.join('\n')}\nOutput (head and tail):\n`;
    return { text: head + trimMiddle(text.trimEnd(), Math.max(input.limit - head.length - 40, 60)), sources: [], failing: [] }; // the marker takes up to 40
  }

  const lines = text.split(/\r?\n/);
  const summary = [...new Set(lines.filter((l) => SUMMARY.test(l)).map((l) => cutLine(l.trim())))].slice(-3);
  const passing = lines.filter((l) => PASSING.test(l)).length;
  const warnings = lines.filter((l) => WARNING.test(l)).length;
  const tail = [
    ...(summary.length > 0 ? [`Summary: ${summary.join(' | ')}`] : []),
    `Dropped: ${passing} passing-test line${passing === 1 ? '' : 's'}, ${warnings} warning line${warnings === 1 ? '' : 's'}, other output (logs, build, outside frames) of ${lines.length} lines.`,
  ];
  const heading = build ? `Build errors (${blocks.length} file${blocks.length === 1 ? '' : 's'}` : `Failing tests (${blocks.length}`;
  const top = [...header, `${heading}, read from ${sources.join(', ')}):`];
  const fixed = [...top, ...tail].join('\n').length + 1;
  let budget = input.limit - fixed;

  // pass 1: every block's name and error line (and the line after it, unless the block has
  // important lines); pass 2: the blocks'
  // important lines (each build error's head line); pass 3: the other lines, in order
  const chosen = blocks.map(() => new Set<number>());
  const shown: boolean[] = blocks.map(() => false);
  const cost = (line: string) => line.length + 5;
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    // a block with important lines (build errors) has them next, before the line after its anchor
    const essential = (block.important ? [block.anchor] : [block.anchor, block.anchor + 1]).filter((i) => i < block.lines.length);
    const need = `- ${block.name}`.length + 1 + essential.reduce((n, i) => n + cost(block.lines[i]!), 0);
    if (need > budget - (b < blocks.length - 1 ? MORE_CHARS : 0)) break;
    budget -= need;
    shown[b] = true;
    for (const i of essential) chosen[b]!.add(i);
  }
  const reserve = shown.every(Boolean) ? 0 : MORE_CHARS;
  const order: Array<[number, number]> = [];
  for (let b = 0; b < blocks.length && shown[b]; b++) for (const i of blocks[b]!.important ?? []) order.push([b, i]);
  for (let b = 0; b < blocks.length && shown[b]; b++) for (let i = 0; i < blocks[b]!.lines.length; i++) order.push([b, i]);
  for (const [b, i] of order) {
    const line = blocks[b]!.lines[i]!;
    // a skipped line may add a `…` line (6 characters)
    if (chosen[b]!.has(i) || cost(line) + 6 > budget - reserve) continue;
    budget -= cost(line) + 6;
    chosen[b]!.add(i);
  }

  const body: string[] = [];
  blocks.forEach((block, b) => {
    if (!shown[b]) return;
    body.push(`- ${block.name}`);
    const kept = [...chosen[b]!].sort((x, y) => x - y);
    // the block's common indentation goes, the rest (a diff's, a nested frame's) stays
    const indent = Math.min(...kept.map((i) => /^\s*/.exec(block.lines[i]!)![0].length));
    let last = -1;
    for (const i of kept) {
      if (last >= 0 && i > last + 1) body.push('    …');
      body.push(`    ${block.lines[i]!.slice(indent)}`);
      last = i;
    }
  });
  const hidden = blocks.filter((_, b) => !shown[b]).map((block) => block.name);
  if (hidden.length > 0) {
    let more = `- and ${hidden.length} more failing: `;
    for (const name of hidden) if (more.length + name.length + 2 <= Math.max(budget, MORE_CHARS)) more += `${name}; `;
    body.push(cutLine(more.replace(/; $/, '')));
  }
  let digest = [...top, ...body, ...tail].join('\n');
  if (digest.length > input.limit) digest = `${digest.slice(0, input.limit - 1)}…`;
  return { text: digest, sources, failing: blocks.map((block) => block.name) };
}
