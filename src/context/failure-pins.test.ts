import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failureDigest } from '../verify/failure-digest.js';
import { attemptEditSection } from './attempt-edit.js';
import { failingTests, failurePins, failureRefs, isTestFile, latestFailure, resolveRepoPath } from './failure-pins.js';

/** Real runner outputs (see src/verify/fixtures/README.md). */
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../verify/fixtures', name), 'utf8');

/** The vitest fixture's test file, as its code frames show it. */
const VITEST_TEST = `import { describe, it, expect, test } from 'vitest';
test('adds', () => expect(1 + 1).toBe(2));
test('subtracts', () => expect(1 - 1).toBe(5));
describe('math', () => {
  it('multiplies', () => expect(2 * 3).toBe(7));
  describe('nested', () => { it('deep fails', () => { throw new Error('boom'); }); });
});
`;

const reader = (files: Record<string, string>) => async (p: string) => {
  const text = files[p];
  if (text === undefined) throw new Error(`ENOENT ${p}`);
  return text;
};

describe('failureRefs', () => {
  it('reads vitest code-frame locations through the colours', () => {
    const refs = failureRefs(fixture('vitest.txt'), ['test/calc.test.js', 'test/other.test.js', 'src/calc.js']);
    expect(refs.slice(0, 3).map((r) => r.named)).toEqual(['test/calc.test.js:3', 'test/calc.test.js:5', 'test/calc.test.js:6']);
  });

  it('maps absolute jest and tape frames to repository files and leaves node_modules and node internals out', () => {
    expect(failureRefs(fixture('jest.txt'), ['src/calc.test.js', 'src/broken.test.js']).map((r) => r.named)).toEqual(
      expect.arrayContaining(['src/calc.test.js:3', 'src/calc.test.js:4', 'src/broken.test.js:1']),
    );
    const tape = failureRefs(fixture('tape.tap'), ['tape/test/calc.js', 'node_modules/tape/lib/test.js']);
    expect(tape.map((r) => r.named)).toEqual(['tape/test/calc.js:3', 'tape/test/calc.js:4']);
  });

  it('reads pytest, go (paths relative to the package) and cargo (not the toolchain under /rustc)', () => {
    expect(failureRefs(fixture('pytest-x.txt'), ['tests/test_calc.py']).map((r) => r.named)).toEqual(['tests/test_calc.py:5']);
    expect(failureRefs(fixture('go.txt'), ['broken/broken.go', 'calc/calc_test.go', 'calc/calc.go']).map((r) => r.named)).toEqual([
      'broken/broken.go:3',
      'calc/calc_test.go:6',
      'calc/calc_test.go:9',
    ]);
    const cargo = failureRefs(fixture('cargo.txt'), ['src/lib.rs', 'library/std/src/panicking.rs']);
    expect(cargo.map((r) => r.path)).not.toContain('library/std/src/panicking.rs');
    expect(cargo.map((r) => r.named)).toContain('src/lib.rs:6');
  });

  it('reads Python tracebacks', () => {
    const text = 'Traceback (most recent call last):\n  File "/home/u/venv/lib/python3.11/site-packages/x/y.py", line 3, in f\n  File "/tmp/wt/pkg/calc.py", line 12, in add\nTypeError: boom';
    expect(failureRefs(text, ['pkg/calc.py', 'x/y.py']).map((r) => r.named)).toEqual(['pkg/calc.py:12']);
  });
});

describe('resolveRepoPath', () => {
  const files = ['src/a.ts', 'lib/a.ts', 'test/b.test.ts'];
  it('keeps exact relative paths, the longest suffix of an absolute path, a unique suffix of a relative one', () => {
    expect(resolveRepoPath('./src/a.ts', files)).toBe('src/a.ts');
    expect(resolveRepoPath('/tmp/wt/src/a.ts', files)).toBe('src/a.ts');
    expect(resolveRepoPath('file:///tmp/wt/test/b.test.ts', files)).toBe('test/b.test.ts');
    expect(resolveRepoPath('b.test.ts', files)).toBe('test/b.test.ts');
    expect(resolveRepoPath('a.ts', files)).toBeUndefined(); // ambiguous
    expect(resolveRepoPath('/usr/lib/node_modules/src/a.ts', files)).toBeUndefined();
    expect(resolveRepoPath('/elsewhere/c.ts', files)).toBeUndefined();
  });
});

describe('failingTests', () => {
  it('names the failing tests a failure digest lists (a verify note holds the digest, not the raw output)', () => {
    for (const name of ['vitest.txt', 'jest.txt', 'pytest-x.txt', 'go.txt', 'cargo.txt']) {
      const raw = failingTests(fixture(name)).map((t) => t.name);
      const digest = failureDigest({ command: 'npm test', exitCode: 1, output: fixture(name), limit: 4000 });
      expect(digest.sources.length, name).toBeGreaterThan(0);
      expect(failingTests(digest.text).map((t) => t.name), name).toEqual(expect.arrayContaining(raw.slice(0, 1)));
    }
  });

  it('names the innermost failing tests of each runner', () => {
    expect(failingTests(fixture('vitest.txt')).map((t) => t.name)).toEqual(expect.arrayContaining(['subtracts', 'multiplies', 'deep fails', 'other bad']));
    expect(failingTests(fixture('vitest.txt'))).toContainEqual({ name: 'subtracts', path: 'test/calc.test.js' });
    expect(failingTests(fixture('jest.txt')).map((t) => t.name)).toEqual(expect.arrayContaining(['multiplies', 'deep fails']));
    expect(failingTests(fixture('pytest-x.txt'))).toEqual([{ name: 'test_fails', path: 'tests/test_calc.py' }]);
    expect(failingTests(fixture('go.txt')).map((t) => t.name)).toEqual(['TestMultiply', 'TestTable', 'negative']);
    expect(failingTests(fixture('cargo.txt')).map((t) => t.name)).toEqual(expect.arrayContaining(['it_fails', 'deep_fails']));
    expect(failingTests(fixture('tape.tap')).map((t) => t.name)).toEqual(['two times three', 'should throw']);
  });

  it("reads the one-line-per-check format of the sample project's runner", () => {
    expect(failingTests('ok   add adds\nFAIL multiply multiplies: expected -6, got 6\n2 passed, 1 failed')).toEqual([{ name: 'multiply multiplies' }]);
    expect(failingTests('FAIL\texample.com/shop/calc\t0.117s\nFAIL src/a.test.js: nope')).toEqual([]);
  });

  it('knows test files', () => {
    expect(['test/x.js', 'src/a.test.ts', 'tests/test_a.py', 'calc/calc_test.go', 'src/__tests__/a.js'].every(isTestFile)).toBe(true);
    expect(['src/a.ts', 'src/testing.ts', 'README.md'].some(isTestFile)).toBe(false);
  });
});

describe('failurePins', () => {
  it('pins the whole failing test blocks of the vitest fixture, merged per file, in order of mention', async () => {
    const files = { 'test/calc.test.js': VITEST_TEST, 'test/other.test.js': "import { test, expect } from 'vitest';\ntest('other ok', () => expect(1).toBe(1));\ntest('other bad', () => expect(1).toBe(2));\n", 'src/calc.js': 'export const x = 1;\n' };
    const pins = await failurePins(fixture('vitest.txt'), Object.keys(files), reader(files));
    expect(pins.map((p) => `${p.path}:${p.start}-${p.end}`)).toEqual(['test/calc.test.js:3-3', 'test/calc.test.js:5-6', 'test/other.test.js:3-3']);
    expect(pins[0]!.text).toBe("test('subtracts', () => expect(1 - 1).toBe(5));");
    expect(pins[1]!.named).toEqual(['test/calc.test.js:5', 'test/calc.test.js:6', 'failing test "multiplies"', 'failing test "deep fails"']);
    expect(pins[2]!.named).toEqual(['test/other.test.js:3', 'failing test "other bad"']);
  });

  it('finds a failing test by its name alone in the test files (node --test names no line)', async () => {
    const test = "import test from 'node:test';\nimport assert from 'node:assert';\n\ntest('divides by zero', () => {\n  assert.throws(() => divide(1, 0));\n});\n";
    const files = { 'test/calc.test.js': test, 'src/calc.js': "export const label = 'divides by zero';\n" };
    const pins = await failurePins('✖ divides by zero (1.2ms)\n  AssertionError: Missing expected exception.', Object.keys(files), reader(files));
    expect(pins).toEqual([{ path: 'test/calc.test.js', start: 4, end: 6, kind: 'function', named: ['failing test "divides by zero"'], text: test.split('\n').slice(3, 6).join('\n') }]);
  });

  it('pins the Python test function named by pytest and its source frame', async () => {
    const files = { 'tests/test_calc.py': 'from calc import mul\n\n\ndef test_fails():\n    assert 2 * 3 == 7\n\n\ndef test_ok():\n    assert True\n' };
    const pins = await failurePins(fixture('pytest-x.txt'), Object.keys(files), reader(files));
    expect(pins).toEqual([{ path: 'tests/test_calc.py', start: 4, end: 5, kind: 'function', named: ['tests/test_calc.py:5', 'failing test "test_fails"'], text: 'def test_fails():\n    assert 2 * 3 == 7' }]);
  });

  it("pins the functions a failed build's digest names (tsc, rustc, Python), not test names", async () => {
    const corpus = join(import.meta.dirname, '../verify/fixtures/corpus');
    const manifest = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8')) as Record<string, { command: string; exitCode: number; cwd: string }>;
    const pinsOf = async (entry: string, project: string, paths: string[]) => {
      const e = manifest[entry]!;
      const output = readFileSync(join(corpus, `${entry}.txt`), 'utf8');
      const note = failureDigest({ command: e.command, exitCode: e.exitCode, output, cwd: e.cwd, limit: 1500 }).text;
      expect(failingTests(note)).toEqual([]);
      const files = Object.fromEntries(paths.map((p) => [p, readFileSync(join(corpus, 'projects', project, p), 'utf8')]));
      return (await failurePins(note, Object.keys(files), reader(files))).map((p) => `${p.path}:${p.start}-${p.end} ${p.named.join(', ')}`);
    };
    expect(await pinsOf('cargo-build-errors', 'rust-build', ['src/lib.rs', 'src/money.rs', 'audit/src/lib.rs'])).toEqual([
      'src/money.rs:8-11 src/money.rs:10',
      'src/lib.rs:23-26 src/lib.rs:24',
      'src/lib.rs:28-30 src/lib.rs:29',
    ]);
    expect(await pinsOf('tsc-plain', 'tsc-errors', ['src/cart.ts', 'src/discount.ts', 'src/index.ts'])).toEqual([
      'src/cart.ts:13-16 src/cart.ts:14',
      'src/cart.ts:18-20 src/cart.ts:19',
      'src/discount.ts:8-11 src/discount.ts:9',
      'src/discount.ts:13-15 src/discount.ts:14',
      'src/index.ts:4-6 src/index.ts:5',
    ]);
    expect(await pinsOf('python-import-error', 'py-import', ['main.py', 'shop/report.py', 'shop/prices.py'])).toEqual([
      'shop/report.py:1-7 shop/report.py:3',
      'main.py:1-10 main.py:8',
    ]);
    // tsc's own `file(line,col)` form, as a raw output holds it
    expect(failureRefs("src/cart.ts(14,9): error TS2322: Type 'string' is not assignable", ['src/cart.ts']).map((r) => r.named)).toEqual(['src/cart.ts:14']);
  });

  it('skips files it cannot read', async () => {
    expect(await failurePins('at f (src/gone.ts:3:1)', ['src/gone.ts'], reader({}))).toEqual([]);
  });
});

describe('latestFailure', () => {
  it('takes the last failure note apart from its recorded edit, and its attempt number', () => {
    const edit = attemptEditSection({ attempt: 2, status: 'applied', failedAt: 'T1/verify', text: '--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b at x.js:9\n' });
    const notes = ['Attempt 1 failed at T1/verify (VERIFY_FAILED) [signature 000000000000]: one', `Attempt 2 failed at T1/verify (VERIFY_FAILED) [signature 111111111111]: two${edit}`, 'a person: use the helper'];
    expect(latestFailure(notes)).toEqual({
      attempt: 2,
      text: 'Attempt 2 failed at T1/verify (VERIFY_FAILED) [signature 111111111111]: two',
      edit: { attempt: 2, status: 'applied', failedAt: 'T1/verify', text: '--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b at x.js:9' },
    });
    expect(latestFailure(['a person wrote this'])).toBeUndefined();
  });
});
