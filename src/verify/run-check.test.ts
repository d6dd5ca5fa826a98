import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { runCheck } from './run-check.js';

// lines run outside a run node: `unlisted: ask` (the default) would refuse them there
const config = ProjectConfigSchema.parse({ policy: { outputLimit: 1500, safety: { commands: { unlisted: 'allow' } } } });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-run-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pytestAvailable = (() => {
  try {
    execFileSync('python3', ['-m', 'pytest', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const check = (command: string) => runCheck(command, { kind: 'verify', cwd: dir, config, projectDir: dir, timeoutMs: 60_000 }, true);

describe('runCheck: the failure digest of a failed check', () => {
  it.skipIf(!pytestAvailable)('pytest: read from the JUnit report taskgraph asks for, within policy.outputLimit, warnings and logs dropped', async () => {
    await writeFile(
      join(dir, 'test_calc.py'),
      [
        'import warnings',
        'import pytest',
        '',
        '@pytest.mark.parametrize("n", range(60))',
        'def test_many(n):',
        '    warnings.warn(f"legacy mode {n}", PendingDeprecationWarning)',
        '    print("\\n".join(f"log line {k}" for k in range(50)))',
        '    assert n >= 0',
        '',
        'def helper(x):',
        '    return {"a": 1}[x]',
        '',
        'def test_lookup():',
        '    for k in range(200): print(f"progress {k}")',
        '    assert helper("b") == 1',
      ].join('\n'),
    );
    const run = await check('python3 -m pytest -rA');
    expect(run.result.exitCode).toBe(1);
    expect(run.digest?.sources).toEqual(['junit']);
    expect(run.digest?.failing).toEqual(['test_calc::test_lookup']);
    const text = run.digest!.text;
    expect(text.length).toBeLessThanOrEqual(1500);
    expect(text).toContain('Command: python3 -m pytest -rA\nExit code: 1\n');
    expect(text).toContain('- test_calc::test_lookup');
    expect(text).toContain("E       KeyError: 'b'");
    expect(text).toContain('test_calc.py:11: KeyError');
    expect(text).not.toMatch(/PendingDeprecationWarning|log line|progress \d/);
    // the report is removed again
    expect((await readdir(dir)).filter((f) => f.startsWith('.taskgraph-junit-'))).toEqual([]);
    await rm(join(dir, 'test_calc.py'));
  });

  it('node --test: read from TAP', async () => {
    await writeFile(join(dir, 'a.test.mjs'), "import test from 'node:test';\nimport assert from 'node:assert/strict';\ntest('adds', () => assert.equal(1 + 1, 3));\n");
    const run = await check('node --test a.test.mjs');
    expect(run.digest?.sources).toEqual(['tap']);
    expect(run.digest?.text).toContain('- a.test.mjs > adds\n');
    expect(run.digest?.text).toContain('2 !== 3');
    await rm(join(dir, 'a.test.mjs'));
  });

  it('no digest for a passing check, nor for output no reader recognises (its head and tail stay in the output)', async () => {
    expect((await check('echo fine')).digest).toBeUndefined();
    const run = await check('echo something broke; exit 3');
    expect(run.result.exitCode).toBe(3);
    expect(run.digest).toBeUndefined();
    expect(run.result.output).toContain('something broke');
  });
});
