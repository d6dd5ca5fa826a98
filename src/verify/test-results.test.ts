import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { JUNIT_FILE_PREFIX, runCheck } from './run-check.js';
import { leafIds, readTestResults } from './test-results.js';
import { failingSetOf } from './known-failures.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');
// lines run outside a run node: `unlisted: ask` (the default) would refuse them there
const config = ProjectConfigSchema.parse({ policy: { safety: { commands: { unlisted: 'allow' } } } });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-test-results-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** Runs a command in `cwd` through the real gate, reading its failing tests. */
async function check(cwd: string, command: string) {
  const run = await runCheck(command, { kind: 'verify', cwd, config, projectDir: cwd, timeoutMs: 60_000 }, true);
  return { ...run.tests!, exitCode: run.result.exitCode, output: run.result.output };
}

const pytestAvailable = (() => {
  try {
    execFileSync('python3', ['-m', 'pytest', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('failing tests from real runs on this machine', () => {
  it('node --test (TAP in Node 20): leaves only, named with their file and suites; skip and todo are not failures', async () => {
    const root = join(dir, 'node');
    await put(root, {
      'test/calc.test.mjs': [
        "import test, { describe, it } from 'node:test';",
        "import assert from 'node:assert/strict';",
        "test('adds', () => assert.equal(1 + 1, 2));",
        "test('subtracts', () => assert.equal(1 - 1, 5));",
        "describe('math', () => {",
        "  it('multiplies', () => assert.equal(2 * 3, 7));",
        "  it('divides', () => assert.equal(6 / 3, 2));",
        "  describe('nested', () => { it('deep fails', () => { throw new Error('boom'); }); });",
        '});',
        "test.skip('skipped', () => { throw new Error('never'); });",
        "test.todo('todo one', () => { throw new Error('not yet'); });",
        '',
      ].join('\n'),
      'test/other.test.mjs': "import test from 'node:test';\ntest('other passes', () => {});\n",
    });
    const r = await check(root, 'node --test test/');
    expect(r.exitCode).toBe(1);
    expect(r.runners).toEqual(['tap']);
    expect(r.failing).toEqual(['test/calc.test.mjs > math > multiplies', 'test/calc.test.mjs > math > nested > deep fails', 'test/calc.test.mjs > subtracts']);
    expect(r.incomplete).toBeUndefined();
  });

  it('a tape-style TAP script: assertions named under the test comment before them; Bail out! makes the list incomplete', async () => {
    const root = join(dir, 'tap');
    const script = (bail: boolean) =>
      [
        "console.log('TAP version 13');",
        "console.log('# adds');",
        "console.log('ok 1 one plus one');",
        "console.log('# multiplies');",
        "console.log('not ok 2 two times three');",
        "console.log('  ---\\n    operator: equal\\n    expected: 7\\n    actual:   6\\n  ...');",
        "console.log('ok 3 two times two');",
        "console.log('# throws');",
        "console.log('not ok 4 should throw # TODO later');",
        bail ? "console.log('Bail out! database gone');" : "console.log('not ok 5 should throw');",
        "console.log('\\n1..5\\n# tests 5\\n# pass  2\\n# fail  2');",
        'process.exitCode = 1;',
      ].join('\n');
    await put(root, { 'tap.js': script(false), 'bail.js': script(true) });
    const r = await check(root, 'node tap.js');
    expect(r.failing).toEqual(['multiplies > two times three', 'throws > should throw']);
    expect(r.incomplete).toBeUndefined();
    const bailed = await check(root, 'node bail.js');
    expect(bailed.incomplete).toContain('bailed out');
    expect(failingSetOf(1, false, bailed)).toEqual({ known: false, reason: 'the TAP producer bailed out' });
  });

  it.runIf(pytestAvailable)('pytest through PYTEST_ADDOPTS=--junitxml: ids from the JUnit report, which is removed afterwards', async () => {
    const root = join(dir, 'py');
    await put(root, {
      'tests/test_calc.py': [
        'import pytest',
        'def test_adds():',
        '    assert 1 + 1 == 2',
        'def test_fails():',
        '    assert 2 * 3 == 7',
        'class TestMath:',
        '    def test_method_fails(self):',
        '        raise ValueError("boom")',
        '@pytest.mark.parametrize("x", [1, 2])',
        'def test_param(x):',
        '    assert x == 1',
        '',
      ].join('\n'),
    });
    const r = await check(root, 'python3 -m pytest -q -p no:cacheprovider');
    expect(r.exitCode).toBe(1);
    expect(r.runners).toEqual(['junit']);
    expect(r.failing).toEqual(['tests.test_calc.TestMath::test_method_fails', 'tests.test_calc::test_fails', 'tests.test_calc::test_param[2]']);
    expect((await readdir(root)).filter((f) => f.startsWith(JUNIT_FILE_PREFIX))).toEqual([]);
  });
});

describe('failing tests from captured outputs (src/verify/fixtures/README.md)', () => {
  it('vitest: the Failed Tests section, colours stripped', async () => {
    const r = readTestResults({ output: await fixture('vitest.txt') });
    expect(r.runners).toEqual(['vitest']);
    expect(r.failing).toEqual(['test/calc.test.js > math > multiplies', 'test/calc.test.js > math > nested > deep fails', 'test/calc.test.js > subtracts', 'test/other.test.js > other bad']);
  });

  it('jest: FAIL headers and ● lines, including a suite that fails to load', async () => {
    const r = readTestResults({ output: await fixture('jest.txt') });
    expect(r.runners).toEqual(['jest']);
    expect(r.failing).toEqual(['src/broken.test.js > Test suite failed to run', 'src/calc.test.js > math > multiplies', 'src/calc.test.js > math > nested > deep fails']);
  });

  it('mocha: the numbered failure list after "N failing"', async () => {
    const r = readTestResults({ output: await fixture('mocha.txt') });
    expect(r.runners).toEqual(['mocha']);
    expect(r.failing).toEqual(['math > multiplies', 'math > nested > deep fails', 'top level fails']);
  });

  it('tape', async () => {
    const r = readTestResults({ output: await fixture('tape.tap') });
    expect(r.runners).toEqual(['tap']);
    expect(r.failing).toEqual(['multiplies > two times three', 'throws > should throw']);
  });

  it('go test: tests under their package, a package that does not build, parents of failing subtests left out', async () => {
    const r = readTestResults({ output: await fixture('go.txt') });
    expect(r.runners).toEqual(['go']);
    expect(r.failing).toEqual(['example.com/shop/broken [build failed]', 'example.com/shop/calc > TestMultiply', 'example.com/shop/calc > TestTable/negative']);
  });

  it('cargo test: incomplete when it stopped at the first failing target, complete with --no-fail-fast', async () => {
    const stopped = readTestResults({ output: await fixture('cargo.txt') });
    expect(stopped.failing).toEqual(['tests::inner::deep_fails', 'tests::it_fails']);
    expect(stopped.incomplete).toContain('--no-fail-fast');
    const all = readTestResults({ output: await fixture('cargo-no-fail-fast.txt') });
    expect(all.failing).toEqual(['integration_fails', 'tests::inner::deep_fails', 'tests::it_fails']);
    expect(all.incomplete).toBeUndefined();
  });

  it('pytest with a module that fails to import: the JUnit error case, and the run counts as incomplete', async () => {
    const r = readTestResults({ output: await fixture('pytest-collection-error.txt'), junitXml: await fixture('pytest-collection-error.junit.xml') });
    expect(r.runners).toEqual(['junit']);
    expect(r.failing).toEqual(['tests.test_broken']);
    expect(r.incomplete).toContain('Interrupted: 1 error during collection');
    // without the report, pytest's own summary line names it
    const lines = readTestResults({ output: await fixture('pytest-collection-error.txt') });
    expect(lines.runners).toEqual(['pytest']);
    expect(lines.failing).toEqual(['tests/test_broken.py']);
  });

  it('pytest -x: the summary line names the failure, and the run counts as incomplete', async () => {
    const r = readTestResults({ output: await fixture('pytest-x.txt') });
    expect(r.failing).toEqual(['tests/test_calc.py::test_fails']);
    expect(r.incomplete).toBe('pytest stopped early (stopping after 1 failures)');
  });

  it('output from no known runner: no runner, no failing test, and the failing set is unknown', async () => {
    const r = readTestResults({ output: 'ok   add adds\nFAIL multiply multiplies: calc.multiply is not a function\n2 passed, 1 failed\n' });
    expect(r).toEqual({ failing: [], runners: [] });
    const set = failingSetOf(1, false, r);
    expect(set.known).toBe(false);
  });

  it('a JUnit report with a DOCTYPE is not read', () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><testsuite><testcase classname="c" name="t"><failure/></testcase></testsuite>';
    expect(readTestResults({ output: '', junitXml: xml }).runners).toEqual([]);
    expect(readTestResults({ output: '', junitXml: xml.replace(/<!DOCTYPE[^\]]+\]>/, '') }).failing).toEqual(['c::t']);
  });
});

describe('leafIds', () => {
  it('drops parents of failing children (suites and go subtests) but not packages that share a path prefix', () => {
    expect(leafIds(['a', 'a > b', 'a > b > c', 'x > TestT', 'x > TestT/sub', 'example.com/p', 'example.com/p/q > TestA'])).toEqual([
      'a > b > c',
      'example.com/p',
      'example.com/p/q > TestA',
      'x > TestT/sub',
    ]);
  });
});
