import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { DEFAULT_TASK_CONCURRENCY } from '../engine/task-concurrency.js';
import { DEFAULT_LOCAL_MODEL, initProject, OLLAMA_BASE_URL, renderConfigTemplate } from './init.js';
import { loadProjectConfig, parseProjectConfig } from './load-config.js';
import { rejectionOf } from '../../test/support/expect-error.js';

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-init-'));
  dir = join(root, 'my-shop');
  await mkdir(dir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('initProject', () => {
  it('writes a parseable, commented taskgraph.yaml with detected commands', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'vitest run', build: 'tsc' } }));
    await writeFile(join(dir, 'tsconfig.json'), '{}');
    const result = await initProject(dir, { check: false });
    expect(result.created).toBe(true);
    expect(result.check).toBeUndefined();
    expect(result.path).toBe(join(dir, 'taskgraph.yaml'));

    const text = await readFile(result.path, 'utf8');
    expect(text).toMatch(/^# /m);
    expect(text).toContain('#   provider: openai\n');
    expect(text).toContain('#   provider: anthropic\n');
    expect(text).toContain('#   price:');

    const { config } = await loadProjectConfig(dir);
    expect(config).toEqual(result.config);
    expect(config.name).toBe('my-shop');
    expect(config.language).toBe('typescript');
    expect(config.commands).toEqual({ test: 'npm test', build: 'npm run build' });
    expect(config.models['planner']).toEqual({
      provider: 'openai-compatible',
      baseURL: OLLAMA_BASE_URL,
      model: DEFAULT_LOCAL_MODEL,
      temperature: 0,
    });
    expect(config.models['coder']?.model).toBe('qwen2.5-coder:7b');
    expect(Object.keys(config.models).sort()).toEqual(['coder', 'planner']);
    expect(config.policy).toEqual(parseProjectConfig('', 'x').policy);
    // the setup command, the network choice and the baseline are stated, with comments
    expect(text).toContain('# setup: npm ci   # not detected');
    expect(text).toMatch(/network: host\n/);
    expect(text).toMatch(/baseline: strict\n/);
  });

  it('leaves undetected commands commented out', async () => {
    const result = await initProject(dir);
    expect(result.config.language).toBe('');
    expect(result.config.commands).toEqual({});
    expect(await readFile(result.path, 'utf8')).toContain('# test:');
  });

  it('keeps .taskgraph out of git', async () => {
    await initProject(dir);
    expect(await readFile(join(dir, '.taskgraph', '.gitignore'), 'utf8')).toBe('*\n');
  });

  it('refuses to overwrite an existing file without force', async () => {
    await writeFile(join(dir, 'taskgraph.yaml'), 'name: mine\n');
    const error = await rejectionOf(initProject(dir));
    expect(error).toBeInstanceOf(TaskgraphError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.hint).toContain('--force');
    expect(await readFile(join(dir, 'taskgraph.yaml'), 'utf8')).toBe('name: mine\n');
  });

  it('refuses when a taskgraph.yml exists and overwrites it with force', async () => {
    await writeFile(join(dir, 'taskgraph.yml'), 'name: mine\n');
    await expect(initProject(dir)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const result = await initProject(dir, { force: true });
    expect(result.created).toBe(false);
    expect(result.path).toBe(join(dir, 'taskgraph.yml'));
    expect((await loadProjectConfig(dir)).config.name).toBe(basename(dir));
  });

  it('does not replace an existing .taskgraph/.gitignore', async () => {
    await mkdir(join(dir, '.taskgraph'));
    await writeFile(join(dir, '.taskgraph', '.gitignore'), '*\n!keep\n');
    await initProject(dir);
    expect(await readFile(join(dir, '.taskgraph', '.gitignore'), 'utf8')).toBe('*\n!keep\n');
  });
});

const pytestOnPath = (() => {
  try {
    execFileSync('pytest', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe("initProject's check of the detected commands", () => {
  it('finds tests that only pass after a build: red, then green after the build, and writes the build into commands.test', async () => {
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ type: 'module', scripts: { build: 'node build.mjs', test: 'node test.mjs' } }),
    );
    await writeFile(join(dir, 'build.mjs'), "import { mkdirSync, writeFileSync } from 'node:fs';\nmkdirSync('dist', { recursive: true });\nwriteFileSync('dist/calc.js', 'export const add = (a, b) => a + b;\\n');\n");
    await writeFile(join(dir, 'test.mjs'), "const { add } = await import('./dist/calc.js');\nif (add(2, 3) !== 5) throw new Error('add is wrong');\nconsole.log('ok add');\n");
    const result = await initProject(dir);
    const steps = result.check!.checks.map((c) => [c.step, c.status, c.note ?? '']);
    expect(steps).toEqual([
      ['test', 'red', ''],
      ['build', 'green', 'the tests failed: do they need a build?'],
      ['test', 'green', 'after the build'],
    ]);
    expect(result.check!.checks[0]!.firstLines.join('\n')).toContain('dist/calc.js');
    expect(result.check!.proposals).toEqual([expect.objectContaining({ key: 'commands.test', value: 'npm run build && npm test', applied: true })]);
    expect(result.config.commands.test).toBe('npm run build && npm test');
    expect(result.detected.test).toBe('npm test');
    const text = await readFile(result.path, 'utf8');
    expect(text).toContain('# init: commands.test is `npm run build && npm test`: the tests fail on a fresh checkout and pass after the build');
  });

  it('reports a missing tool (exit 127) and says how to get it; --no-check runs nothing', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'definitely-missing-tool-xyz --run', build: 'node -e "require(\'fs\').writeFileSync(\'built\', \'\')"' } }));
    const skipped = await initProject(dir, { check: false });
    expect(skipped.check).toBeUndefined();
    expect(existsSync(join(dir, 'built'))).toBe(false);

    const result = await initProject(dir, { force: true });
    const test = result.check!.checks.find((c) => c.step === 'test')!;
    expect(test).toMatchObject({ status: 'missing', exitCode: 127, tool: 'definitely-missing-tool-xyz' });
    expect(test.firstLines.join('\n')).toContain('definitely-missing-tool-xyz: not found');
    expect(result.check!.proposals[0]).toMatchObject({ key: 'commands.test', applied: false, reason: expect.stringContaining('`definitely-missing-tool-xyz` is not installed here') });
    expect(result.check!.checks.find((c) => c.step === 'build')).toMatchObject({ status: 'green' });
    expect(await readFile(result.path, 'utf8')).toContain('# init: `npm test` is missing now; a run stops at a red base (policy.baseline) until it passes');
  });

  it.runIf(pytestOnPath)('finds a pytest configuration that needs a plugin that is not installed, and proposes installing it in commands.setup', async () => {
    await writeFile(join(dir, 'pytest.ini'), '[pytest]\naddopts = --cov=calc --cov-report=term-missing -p no:cacheprovider\n');
    await mkdir(join(dir, 'tests'));
    await writeFile(join(dir, 'tests', 'test_a.py'), 'def test_a():\n    assert True\n');
    const result = await initProject(dir);
    expect(result.config.commands.test).toBe('pytest -q');
    const [test] = result.check!.checks;
    expect(test).toMatchObject({ step: 'test', status: 'red', exitCode: 4 });
    expect(test!.firstLines.join('\n')).toContain('unrecognized arguments: --cov=calc');
    expect(result.check!.proposals).toEqual([
      expect.objectContaining({ key: 'commands.setup', value: 'pip install pytest-cov', applied: false, reason: expect.stringContaining('needs pytest-cov') }),
    ]);
    expect(await readFile(result.path, 'utf8')).toContain('# init proposes commands.setup = `pip install pytest-cov`');
  });
});

describe('renderConfigTemplate', () => {
  it('still parses when every commented-out example is uncommented', () => {
    const text = renderConfigTemplate({ name: 'x', language: '' });
    const uncommented = text
      .split('\n')
      .map((line) => line.replace(/^(\s*)# ?(\s*(?:[A-Za-z-]+:(?:\s|$)|- ).*)$/, '$1$2'))
      .join('\n');
    expect(uncommented).not.toBe(text);
    const config = parseProjectConfig(uncommented, 'taskgraph.yaml');
    expect(Object.keys(config.models).sort()).toEqual(['anthropic-coder', 'cheap', 'coder', 'openai-planner', 'planner']);
    expect(config.models['openai-planner']?.price).toEqual({ input: 2, output: 8 });
    expect(config.rules).toHaveLength(2);
    expect(config.commands).toEqual({ setup: 'npm ci', test: 'npm test', build: 'npm run build', run: 'npm start' });
    expect(config.policy.taskConcurrency).toBe(DEFAULT_TASK_CONCURRENCY);
  });

  it('quotes values that YAML would misread', () => {
    const text = renderConfigTemplate({
      name: 'yes: no # really',
      language: 'python',
      test: 'pytest -q -k "not slow"',
      build: '@make build',
    });
    const config = parseProjectConfig(text, 'taskgraph.yaml');
    expect(config.name).toBe('yes: no # really');
    expect(config.commands).toEqual({ test: 'pytest -q -k "not slow"', build: '@make build' });
  });
});
