import { type FailureBlock, isExternalFrame, makeBlock } from './failure-block.js';

/**
 * The failures test runners print as text, one {@link FailureBlock} per failing test, for the
 * failure digest. Each reader follows the runner's documented failure report (the same runners
 * as `line-results.ts`, plus node's spec reporter); the corpus in `src/verify/fixtures/corpus/`
 * holds real outputs each one is tested against. Input lines are free of ANSI escapes.
 */

/** Runners whose failure reports {@link textBlocks} reads. */
export type TextRunner = 'pytest' | 'jest' | 'vitest' | 'mocha' | 'node-spec' | 'go' | 'cargo';

/** Splits `lines[from..]` at lines matching `header` until `stop`; yields [headerMatch, body]. */
function sections(lines: readonly string[], from: number, header: RegExp, stop: RegExp): Array<[RegExpExecArray, string[]]> {
  const out: Array<[RegExpExecArray, string[]]> = [];
  let current: [RegExpExecArray, string[]] | undefined;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    const m = header.exec(line);
    if (m) {
      current = [m, []];
      out.push(current);
    } else if (stop.test(line)) current = undefined;
    else current?.[1].push(line);
  }
  return out;
}

/**
 * pytest's FAILURES and ERRORS sections (any `--tb` style but `line`/`no`): `____ name ____`
 * headers; kept are the `>` source lines, the `E   ` lines (the anchor) and the location lines
 * of frames inside the project.
 */
function pytest(lines: readonly string[]): FailureBlock[] {
  const start = lines.findIndex((l) => /^=+ (FAILURES|ERRORS) =+$/.test(l));
  if (start < 0) return [];
  return sections(lines, start, /^_{3,} (.+?) _{3,}$/, /^=+ .+ =+$/).map(([m, body]) =>
    makeBlock(
      m[1]!,
      body.filter((l) => /^(>|E\s)|^\s*\S+\.py:\d+:|^\s*File "/.test(l) && !isExternalFrame(l)),
      /^E\s/,
    ),
  );
}

/** jest: `  ● Suite › test` headers (not `● Console`) up to the next header, file header or summary. */
function jest(lines: readonly string[]): FailureBlock[] {
  return sections(lines, 0, /^ {2}● (?!Console$)(.+)$/, /^\s?(FAIL|PASS) \S|^Test Suites:|^ {2}● Console$/).map(([m, body]) =>
    makeBlock(m[1]!, body.filter((l) => !/^\s+\d+ \|/.test(l) || /^\s+> \d+ \|/.test(l))),
  );
}

/** vitest's "Failed Tests" section: ` FAIL  file > suite > test` headers up to the `⎯⎯⎯` separator. */
function vitest(lines: readonly string[]): FailureBlock[] {
  const start = lines.findIndex((l) => /⎯ Failed Tests \d+ ⎯/.test(l));
  if (start < 0) return [];
  return sections(lines, start, /^\s*FAIL\s{1,2}(\S+ (?:> .+|\[ .+ \]))\s*$/, /^⎯{3,}|^\s*Test Files\s/).map(([m, body]) =>
    makeBlock(m[1]!, body.filter((l) => !/^\s*\d+\|/.test(l))),
  );
}

/**
 * mocha after `N failing`: `  1) Suite` with the nested titles on the next, deeper lines, the
 * last ending in `:`; then the error, the `+ expected - actual` diff and the stack.
 */
function mocha(lines: readonly string[]): FailureBlock[] {
  const start = lines.findIndex((l) => /^\s+\d+ failing\s*$/.test(l));
  if (start < 0) return [];
  const blocks: FailureBlock[] = [];
  for (const [m, body] of sections(lines, start + 1, /^ {2}\d+\) (.+)$/, /(?!)/)) {
    const title = [m[1]!];
    while (!title[title.length - 1]!.endsWith(':') && body.length > 0 && /^ {5,}\S/.test(body[0]!) && title.length < 32) title.push(body.shift()!.trim());
    blocks.push(makeBlock(title.join(' > ').replace(/:$/, ''), body));
  }
  return blocks;
}

/** node's spec reporter: the `✖ failing tests:` list, `✖ name (1.2ms)` headers after `test at file:line:col`. */
function nodeSpec(lines: readonly string[]): FailureBlock[] {
  const start = lines.findIndex((l) => /^✖ failing tests:\s*$/.test(l));
  if (start < 0) return [];
  return sections(lines, start + 1, /^\s*✖ (.+?)(?: \([\d.]+m?s\))?\s*$/, /^test at /).map(([m, body]) => makeBlock(m[1]!, body));
}

/**
 * go test: `--- FAIL: TestX (0.00s)` followed by the test's indented log lines; a panic
 * (`panic: …` and its goroutine trace, function line then location line) keeps the frames
 * inside the project.
 */
function goTest(lines: readonly string[]): FailureBlock[] {
  // with -v, a test's log lines come between `=== RUN   TestX` and its `--- FAIL: TestX`
  const logs = new Map(sections(lines, 0, /^=== RUN\s+(\S+)/, /^(?!\s{4})|^\s*--- /).map(([m, body]) => [m[1]!, body]));
  const blocks = sections(lines, 0, /^\s*--- FAIL: (\S+)/, /^\S|^\s*--- (FAIL|PASS|SKIP)/).map(([m, body]) => {
    const own = body.filter((l) => !/^\s*=== /.test(l));
    return makeBlock(m[1]!, own.length > 0 ? own : (logs.get(m[1]!) ?? []));
  });
  const panic = lines.findIndex((l) => /^panic: /.test(l));
  if (panic >= 0) {
    const end = lines.findIndex((l, i) => i > panic && /^(FAIL|ok)\b/.test(l));
    const trace = lines.slice(panic, end > panic ? Math.min(end, panic + 200) : panic + 200);
    const kept = trace.filter(
      (l, i) => !(i + 1 < trace.length && /^\S.*\(.*\)$/.test(l) && isExternalFrame(trace[i + 1]!)) && !isExternalFrame(l) && !/^(goroutine |created by )/.test(l),
    );
    const running = /^=== RUN\s+(\S+)/.exec([...lines.slice(0, panic)].reverse().find((l) => /^=== RUN/.test(l)) ?? '')?.[1];
    const name = blocks.at(-1)?.name ?? running ?? 'panic';
    const owner = blocks.find((b) => b.name === name);
    if (owner) {
      const merged = makeBlock(name, [...owner.lines, ...kept], owner.lines.length > 0 ? undefined : /^\s*panic: /);
      blocks.splice(blocks.indexOf(owner), 1, merged);
    } else blocks.push(makeBlock(name, kept, /^\s*panic: /));
  }
  return blocks;
}

/** cargo test (libtest): `---- path::name stdout ----` sections; the anchor is the `panicked at` line. */
function cargo(lines: readonly string[]): FailureBlock[] {
  return sections(lines, 0, /^---- (\S+) stdout ----$/, /^failures:$|^test result:/).map(([m, body]) =>
    makeBlock(m[1]!, body, /panicked at/),
  );
}

const READERS: Record<TextRunner, (lines: readonly string[]) => FailureBlock[]> = {
  pytest,
  jest,
  vitest,
  mocha,
  'node-spec': nodeSpec,
  go: goTest,
  cargo,
};

/**
 * Reads every failing test the runners' text reports show.
 * @param text the command's output, ANSI escapes removed
 * @param skip runners not to read (pytest when its JUnit report was read)
 * @returns the blocks of each runner that recognised its report (empty when none did)
 */
export function textBlocks(text: string, skip: readonly TextRunner[] = []): Array<{ runner: TextRunner; blocks: FailureBlock[] }> {
  const lines = text.split(/\r?\n/);
  const found: Array<{ runner: TextRunner; blocks: FailureBlock[] }> = [];
  for (const [runner, read] of Object.entries(READERS) as Array<[TextRunner, (l: readonly string[]) => FailureBlock[]]>) {
    if (skip.includes(runner)) continue;
    const blocks = read(lines);
    if (blocks.length > 0) found.push({ runner, blocks });
  }
  return found;
}
