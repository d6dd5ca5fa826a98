import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { failureDigest, type DigestInput } from './failure-digest.js';

const corpus = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'corpus');

interface Entry {
  name: string;
  errorLine: string;
  runner: string;
  command: string;
  exitCode: number | null;
  cwd: string;
  junit?: string;
}

const manifest = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8')) as Record<string, Entry>;

function input(entry: string, limit: number): DigestInput {
  const e = manifest[entry]!;
  return {
    command: e.command,
    exitCode: e.exitCode,
    output: readFileSync(join(corpus, `${entry}.txt`), 'utf8'),
    ...(e.junit ? { junitXml: readFileSync(join(corpus, e.junit), 'utf8') } : {}),
    cwd: e.cwd,
    limit,
  };
}

describe('failureDigest over the corpus of real runner outputs', () => {
  it('has at least 20 outputs, from every runner', () => {
    expect(Object.keys(manifest).length).toBeGreaterThanOrEqual(20);
    expect(new Set(Object.values(manifest).map((e) => e.runner))).toEqual(
      new Set(['pytest', 'node', 'vitest', 'jest', 'mocha', 'tape', 'cargo', 'go', 'tsc', 'rustc', 'python']),
    );
  });

  for (const limit of [4000, 1500]) {
    for (const [entry, e] of Object.entries(manifest)) {
      it(`${entry} at ${limit} characters keeps the failing test's name and its error line`, () => {
        const digest = failureDigest(input(entry, limit));
        expect(digest.text.length).toBeLessThanOrEqual(limit);
        expect(digest.sources.length).toBeGreaterThan(0);
        expect(digest.text).toContain(`Command: ${e.command}`);
        expect(digest.text).toContain(`Exit code: ${e.exitCode}`);
        expect(digest.text).toContain(`\n- ${e.name}\n`);
        expect(digest.text).toContain(e.errorLine.trim());
        expect(digest.text).toMatch(/\nDropped: \d+ passing-test lines?, \d+ warning lines?, /);
      });
    }
  }

  it('drops frames outside the project: dependencies, the runtime, the standard library', () => {
    for (const entry of Object.keys(manifest)) {
      const text = failureDigest(input(entry, 4000)).text;
      expect(text, entry).not.toMatch(/node_modules|node:internal|\/usr\/lib\/go|core::panicking|site-packages|created by testing/);
    }
  });

  it('drops passing tests, warnings and logs first', () => {
    expect(failureDigest(input('pytest-warnings', 4000)).text).not.toContain('PendingDeprecationWarning');
    expect(failureDigest(input('pytest-long-log', 4000)).text).not.toContain('progress: ');
    expect(failureDigest(input('pytest-build-log', 4000)).text).not.toContain('compiling module 1/600');
    expect(failureDigest(input('node-test-noisy', 4000)).text).not.toContain('[loader]');
    expect(failureDigest(input('jest-noisy', 4000)).text).not.toMatch(/restocking sku|has no barcode/);
    expect(failureDigest(input('vitest-noisy', 4000)).text).not.toMatch(/building cart|audit line/);
    expect(failureDigest(input('mocha-deep', 4000)).text).not.toContain('[render]');
    expect(failureDigest(input('cargo-warnings', 4000)).text).not.toContain('unused_helper');
    const verbose = failureDigest(input('pytest-verbose', 4000)).text;
    expect(verbose).not.toContain('PASSED');
    expect(verbose).toContain('Summary: ');
    expect(verbose).toContain('Dropped: 80 passing-test lines');
  });

  it('keeps expected and actual values and the frames inside the project', () => {
    const tap = failureDigest(input('node-test-tap', 4000)).text;
    expect(tap).toContain('expected: 11');
    expect(tap).toContain('actual: 10');
    expect(tap).toContain('at TestContext.<anonymous> (test/price.test.mjs:8:12)');
    const cargo = failureDigest(input('cargo-basic', 4000)).text;
    expect(cargo).toMatch(/left: 1\n\s+right: 2/);
    expect(cargo).toContain('at ./src/lib.rs:27:9');
    const jest = failureDigest(input('jest-basic', 4000)).text;
    expect(jest).toContain('-   "a": 0,');
    expect(jest).toContain('+   "a": -4,');
    expect(jest).toContain('at Object.toEqual (test/inventory.test.js:6:40)');
    const mocha = failureDigest(input('mocha-deep', 4000)).text;
    expect(mocha).toContain('at render (test/deep.test.js:4:27)');
    expect(mocha).toContain('at render (test/deep.test.js:5:10) (×8)');
    expect(failureDigest(input('go-panic', 4000)).text).toContain('queue_test.go:24');
    const deep = failureDigest(input('pytest-deep', 4000)).text;
    expect(deep).toContain('parser.py:35: ZeroDivisionError');
  });

  it('reads a build that failed before the tests: every error with its file:line, warnings dropped', () => {
    const rust = failureDigest(input('cargo-build-errors', 1500));
    expect(rust.sources).toEqual(['rustc']);
    expect(rust.failing).toEqual(['src/money.rs', 'src/lib.rs']);
    expect(rust.text).toContain('Build errors (2 files, read from rustc):\n- src/money.rs\n');
    expect(rust.text).toContain('src/lib.rs:24:22: error[E0308]: mismatched types');
    expect(rust.text).toContain('src/lib.rs:29:37: error[E0609]: no field `cent` on type `&&Entry`');
    expect(rust.text).toContain('|     let cents: i64 = entry.cents.to_string();');
    expect(rust.text).not.toMatch(/unused_check|scratch_|tmp_\d|^warning/m);
    expect(rust.text).toMatch(/Dropped: 0 passing-test lines, 66 warning lines/);
    const tsc = failureDigest(input('tsc-plain', 4000));
    expect(tsc.failing).toEqual(['src/cart.ts', 'src/discount.ts', 'src/index.ts']);
    expect(tsc.text).toContain("src/discount.ts:14:3: error TS2322: Type 'string' is not assignable to type 'Discount'.");
    expect(failureDigest(input('python-import-error', 4000)).text).not.toMatch(/DeprecationWarning|loading fixture/);
  });

  it('keeps every build error before any code frame when the limit is tight', () => {
    const full = failureDigest(input('tsc-pretty', 4000)).text;
    expect(full).toContain("      src/cart.ts:2:3 - 'name' is declared here.");
    const tight = failureDigest(input('tsc-pretty', 900)).text;
    expect(tight.length).toBeLessThanOrEqual(900);
    const heads = readFileSync(join(corpus, 'tsc-plain.txt'), 'utf8').trim().split('\n');
    for (const head of heads) expect(tight).toContain(head.replace(/^(\S+)\((\d+),(\d+)\)/, '$1:$2:$3'));
    expect(tight).not.toContain("'name' is declared here");
  });

  it('leaves output without errors to head and tail even when it prints warnings', () => {
    const output = readFileSync(join(corpus, 'cargo-build-errors.txt'), 'utf8').split('\n').slice(0, 300).join('\n');
    expect(failureDigest({ command: 'cargo build', exitCode: 101, output, limit: 1000 }).sources).toEqual([]);
  });

  it('reads a JUnit report instead of pytest text when there is one', () => {
    const digest = failureDigest(input('pytest-junit', 4000));
    expect(digest.sources).toEqual(['junit']);
    expect(digest.failing).toEqual(['test_calc::test_div_exact', 'test_calc::test_add_strings']);
  });

  it('names the failing tests it has no room for', () => {
    const output = [
      ...Array.from({ length: 40 }, (_, i) => `--- FAIL: TestCase${i} (0.00s)\n    case_test.go:${i + 10}: got ${i}, want ${i + 1}`),
      'FAIL\texample.com/cases\t0.002s',
      'FAIL',
    ].join('\n');
    const digest = failureDigest({ command: 'go test ./...', exitCode: 1, output, limit: 1000 });
    expect(digest.text.length).toBeLessThanOrEqual(1000);
    expect(digest.failing).toHaveLength(40);
    expect(digest.text).toContain('- TestCase0\n    case_test.go:10: got 0, want 1\n');
    const shown = digest.text.match(/^- TestCase\d+$/gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(5);
    expect(digest.text).toContain(`- and ${40 - shown} more failing: TestCase${shown}; TestCase${shown + 1}`);
  });

  it('keeps head and tail of output it does not recognise', () => {
    const output = Array.from({ length: 500 }, (_, i) => `line ${i}: something happened`).join('\n');
    const digest = failureDigest({ command: 'make check', exitCode: 2, output, limit: 1000 });
    expect(digest.sources).toEqual([]);
    expect(digest.failing).toEqual([]);
    expect(digest.text.length).toBeLessThanOrEqual(1000);
    expect(digest.text).toMatch(/^Command: make check\nExit code: 2\nOutput \(head and tail\):\nline 0: /);
    expect(digest.text).toContain('characters trimmed');
    expect(digest.text).toContain('line 499: something happened');
  });

  it('says when the check timed out', () => {
    const digest = failureDigest({ ...input('go-basic', 4000), exitCode: null, timedOut: true });
    expect(digest.text).toContain('Exit code: null (timed out)\n');
  });

  it('removes ANSI escapes', () => {
    const output = readFileSync(join(corpus, 'jest-basic.txt'), 'utf8').replace('expect(received)', '\u001b[2mexpect(\u001b[22m\u001b[31mreceived\u001b[39m)');
    const digest = failureDigest({ ...input('jest-basic', 4000), output });
    expect(digest.text).not.toContain('\u001b');
    expect(digest.text).toContain('expect(received).toEqual(expected)');
  });
});
