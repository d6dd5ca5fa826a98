import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
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
    const result = await initProject(dir);
    expect(result.created).toBe(true);
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
    expect(config.commands).toEqual({ test: 'npm test', build: 'npm run build', run: 'npm start' });
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
