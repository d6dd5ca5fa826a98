/**
 * Failing tests read from the lines test runners print, for runners that have no machine-readable
 * report taskgraph could ask for without changing the user's command. Each reader follows the
 * runner's documented (and long stable) output; `src/verify/fixtures/` holds real outputs each
 * one is tested against. Input lines are already free of ANSI escapes.
 */

/** Runners recognised by {@link lineFailures}. */
export type LineRunner = 'pytest' | 'go' | 'cargo' | 'jest' | 'vitest' | 'mocha';

/** What one reader found. */
export interface LineFailures {
  runner: LineRunner;
  /** failing ids (unsorted; parents of failing children possible) */
  failing: string[];
  /** set when the runner stopped early, so tests after the stop never ran */
  incomplete?: string;
}

/**
 * pytest's "short test summary info" (`-r` default `fE`, pytest ≥ 6): `FAILED <nodeid> - msg` and
 * `ERROR <nodeid>` (a module that fails to import). `Interrupted:` (collection errors) and
 * `stopping after N failures` (`-x`, `--maxfail`) mean the session stopped early.
 */
function pytest(lines: readonly string[], text: string): LineFailures | undefined {
  const failing: string[] = [];
  for (const line of lines) {
    const m = /^(?:FAILED|ERROR) (.+?\.py(?:::.+?)?)(?: - .*)?$/.exec(line);
    if (m?.[1]) failing.push(m[1]);
  }
  const stopped = /^!+ (Interrupted: .+?|stopping after \d+ failures?) !+$/m.exec(text)?.[1];
  if (failing.length === 0 && !stopped) return undefined;
  return { runner: 'pytest', failing, ...(stopped ? { incomplete: `pytest stopped early (${stopped})` } : {}) };
}

/**
 * `go test` (https://pkg.go.dev/cmd/go#hdr-Test_packages): `--- FAIL: TestName (0.00s)` lines
 * (subtests indented, named `Parent/sub`) come before their package's `FAIL\t<import path>\t<time>`
 * line; a package that does not build prints `FAIL\t<path> [build failed]` and no test lines.
 * Ids: `<import path> > TestName`, or the package line itself when no test is named.
 */
function goTest(lines: readonly string[]): LineFailures | undefined {
  const failing: string[] = [];
  let pending: string[] = [];
  let seen = false;
  for (const line of lines) {
    const test = /^\s*--- FAIL: (\S+)/.exec(line);
    if (test?.[1]) {
      pending.push(test[1]);
      seen = true;
      continue;
    }
    const pkg = /^FAIL\t(\S+)(\s+\[[^\]]+\])?(?:\t|$)/.exec(line);
    if (pkg?.[1]) {
      seen = true;
      if (pending.length > 0) failing.push(...pending.map((name) => `${pkg[1]} > ${name}`));
      else failing.push(`${pkg[1]}${pkg[2] ?? ''}`);
      pending = [];
    } else if (/^ok\s+\S+/.test(line)) pending = [];
  }
  failing.push(...pending);
  return seen ? { runner: 'go', failing } : undefined;
}

/**
 * `cargo test` (libtest): `test path::to::name ... FAILED`. Without `--no-fail-fast` cargo stops
 * at the first test target that fails (`error: test failed, to rerun pass ...`); with it, it
 * runs them all and ends with `error: N target(s) failed:`.
 */
function cargoTest(lines: readonly string[], text: string): LineFailures | undefined {
  const failing: string[] = [];
  for (const line of lines) {
    const m = /^test (\S+)(?: - should panic)? \.\.\. FAILED$/.exec(line);
    if (m?.[1]) failing.push(m[1]);
  }
  if (failing.length === 0) return undefined;
  const stopped = /^error: test failed, to rerun pass/m.test(text) && !/^error: \d+ targets? failed:/m.test(text);
  return {
    runner: 'cargo',
    failing,
    ...(stopped ? { incomplete: 'cargo test stopped at the first failing test target (run it with --no-fail-fast to run them all)' } : {}),
  };
}

/**
 * jest: a `FAIL <file>` header per failing test file, then one `  ● Suite › test` line per
 * failure (`  ● Test suite failed to run` for a file that does not load). Ids: `file > Suite > test`.
 */
function jest(lines: readonly string[]): LineFailures | undefined {
  const failing: string[] = [];
  let file: string | undefined;
  for (const line of lines) {
    const header = /^\s?(FAIL|PASS) (\S+)(?: \([\d.]+ m?s\))?\s*$/.exec(line);
    if (header) {
      file = header[1] === 'FAIL' ? header[2] : undefined;
      continue;
    }
    const bullet = /^ {2}● (.+)$/.exec(line);
    if (bullet?.[1] && file && bullet[1] !== 'Console') failing.push(`${file} > ${bullet[1].split(' › ').join(' > ')}`);
  }
  return failing.length > 0 ? { runner: 'jest', failing } : undefined;
}

/**
 * vitest: the "Failed Tests" section lists ` FAIL  file > suite > test` per failing test, and
 * ` FAIL  file [ file ]` for a file that does not load.
 */
function vitest(lines: readonly string[]): LineFailures | undefined {
  const failing: string[] = [];
  for (const line of lines) {
    const m = /^\s*FAIL\s{1,2}(\S+ (?:> .+|\[ .+ \]))\s*$/.exec(line);
    if (m?.[1]) failing.push(m[1].trim());
  }
  return failing.length > 0 ? { runner: 'vitest', failing } : undefined;
}

/**
 * mocha's failure list after `N failing`: `  1) Suite` then the nested titles, each on its own
 * deeper-indented line, the last ending in `:` (a test outside any suite: `  1) test:`). Ids:
 * `Suite > nested > test`.
 */
function mocha(lines: readonly string[]): LineFailures | undefined {
  const start = lines.findIndex((l) => /^\s+\d+ failing\s*$/.test(l));
  if (start < 0) return undefined;
  const failing: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const first = /^ {2}\d+\) (.+)$/.exec(lines[i]!);
    if (!first?.[1]) continue;
    const parts = [first[1]];
    let j = i;
    while (!parts[parts.length - 1]!.endsWith(':') && j + 1 < lines.length && /^ {5,}\S/.test(lines[j + 1]!) && parts.length < 32) {
      j++;
      parts.push(lines[j]!.trim());
    }
    if (!parts[parts.length - 1]!.endsWith(':')) continue;
    parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, -1);
    failing.push(parts.join(' > '));
    i = j;
  }
  return { runner: 'mocha', failing };
}

/**
 * Runs every line reader over the output and returns those that recognised their runner.
 * @param text the command's combined output, ANSI escapes already removed
 */
export function lineFailures(text: string): LineFailures[] {
  const lines = text.split(/\r?\n/);
  return [pytest(lines, text), goTest(lines), cargoTest(lines, text), jest(lines), vitest(lines), mocha(lines)].filter(
    (r): r is LineFailures => r !== undefined,
  );
}
