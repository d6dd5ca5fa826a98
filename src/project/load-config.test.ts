import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { loadProjectConfig, parseProjectConfig } from './load-config.js';
import { rejectionOf, thrownBy } from '../../test/support/expect-error.js';

describe('parseProjectConfig', () => {
  it('applies defaults to an empty document', () => {
    const config = parseProjectConfig('', 'taskgraph.yaml');
    expect(config.name).toBe('project');
    expect(config.models).toEqual({});
    expect(config.roles).toEqual({ planner: 'planner', coder: 'coder', reviewer: 'reviewer' });
    expect(config.policy.maxAttempts).toBe(3);
    expect(config.policy.commandTimeoutMs).toBe(600_000);
  });

  it('fills policy defaults around the keys given', () => {
    const config = parseProjectConfig(
      ['name: shop', 'commands:', '  test: npm test', 'policy:', '  maxAttempts: 5'].join('\n'),
      'x.yaml',
    );
    expect(config.name).toBe('shop');
    expect(config.commands).toEqual({ test: 'npm test' });
    expect(config.policy.maxAttempts).toBe(5);
    expect(config.policy.maxDepth).toBe(3);
    expect(config.policy.outputLimit).toBe(4000);
  });

  it('reports YAML syntax errors with line and column', () => {
    const text = ['name: shop', 'commands:', '  test: "npm test', 'language: ts'].join('\n');
    const error = thrownBy(() => parseProjectConfig(text, '/p/taskgraph.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^\/p\/taskgraph\.yaml:\d+:\d+ is not valid YAML/);
    const errors = error.details['errors'] as Array<{ line: number; column: number }>;
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.line).toBeGreaterThanOrEqual(3);
    expect(error.message).toContain(`line ${errors[0]?.line}, column ${errors[0]?.column}`);
  });

  it('reports bad indentation at its line', () => {
    const text = ['name: shop', 'models:', '  coder:', '    provider: openai', '   model: x'].join('\n');
    const error = thrownBy(() => parseProjectConfig(text, 'taskgraph.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('line 5');
  });

  it('validates planner.contextBudget: 8000 by default, 0 turns it off, 1..255 is refused with its path', () => {
    expect(parseProjectConfig('', 'taskgraph.yaml').planner).toEqual({ contextBudget: 8000, reuse: true, reuseThreshold: 0.8 });
    expect(parseProjectConfig('planner: { reuse: false, reuseThreshold: 0.9 }', 'taskgraph.yaml').planner).toEqual({ contextBudget: 8000, reuse: false, reuseThreshold: 0.9 });
    expect(thrownBy(() => parseProjectConfig('planner: { reuseThreshold: 1.5 }', 'taskgraph.yaml')).message).toContain('planner.reuseThreshold');
    expect(parseProjectConfig('planner: { contextBudget: 0 }', 'taskgraph.yaml').planner.contextBudget).toBe(0);
    expect(parseProjectConfig('planner: { contextBudget: 4000 }', 'taskgraph.yaml').planner.contextBudget).toBe(4000);
    const error = thrownBy(() => parseProjectConfig('planner: { contextBudget: 100 }', 'taskgraph.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('planner.contextBudget: must be 0 (off) or at least 256 tokens');
    expect(thrownBy(() => parseProjectConfig('planner: { budget: 100 }', 'taskgraph.yaml')).message).toContain('Unrecognized key: "budget"');
  });

  it('lists every schema problem with its path', () => {
    const text = [
      'models:',
      '  coder:',
      '    provider: ollama',
      '    model: qwen',
      'policy:',
      '  maxAttempts: 0',
      'colour: blue',
    ].join('\n');
    const error = thrownBy(() => parseProjectConfig(text, 'taskgraph.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(
      "models.coder.provider: Invalid discriminator value. Expected 'openai' | 'anthropic' | 'openai-compatible' | 'agent'",
    );
    expect(error.message).toContain('policy.maxAttempts:');
    expect(error.message).toContain('(top level): Unrecognized key: "colour"');
    expect(error.message).toContain('3 problems');
    expect(error.details['issues']).toHaveLength(3);
    expect(error.hint).toContain('README');
  });

  it('rejects a document that is not a mapping', () => {
    const error = thrownBy(() => parseProjectConfig('- a\n- b\n', 'taskgraph.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('found a list');
  });
});

describe('loadProjectConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('throws CONFIG_INVALID with an init hint when the file is missing', async () => {
    const error = await rejectionOf(loadProjectConfig(dir));
    expect(error).toBeInstanceOf(TaskgraphError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(`no taskgraph.yaml in ${dir}`);
    expect(error.hint).toContain('taskgraph init');
  });

  it('reads taskgraph.yaml', async () => {
    await writeFile(join(dir, 'taskgraph.yaml'), 'name: alpha\nlanguage: go\n');
    const { config, path } = await loadProjectConfig(dir);
    expect(path).toBe(join(dir, 'taskgraph.yaml'));
    expect(config.name).toBe('alpha');
    expect(config.language).toBe('go');
  });

  it('falls back to taskgraph.yml and prefers .yaml when both exist', async () => {
    await writeFile(join(dir, 'taskgraph.yml'), 'name: from-yml\n');
    expect((await loadProjectConfig(dir)).config.name).toBe('from-yml');
    await writeFile(join(dir, 'taskgraph.yaml'), 'name: from-yaml\n');
    expect((await loadProjectConfig(dir)).config.name).toBe('from-yaml');
  });

  it('names the file in schema errors', async () => {
    await writeFile(join(dir, 'taskgraph.yaml'), 'models:\n  planner:\n    provider: openai\n');
    const error = await rejectionOf(loadProjectConfig(dir));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(join(dir, 'taskgraph.yaml'));
    expect(error.message).toContain('models.planner.model:');
  });
});

describe('empty values', () => {
  it('treats a key whose entries are all commented out as not set', () => {
    const config = parseProjectConfig('commands:\n  # test: npm test\nmodels:\npolicy:\n  maxDepth:\n', 'x.yaml');
    expect(config.commands).toEqual({});
    expect(config.models).toEqual({});
    expect(config.policy.maxDepth).toBe(3);
  });

  it('still requires required keys left empty', () => {
    const error = thrownBy(() => parseProjectConfig('models:\n  coder:\n    provider: openai\n    model:\n', 'x.yaml'));
    expect(error.message).toContain('models.coder.model:');
  });
});

describe('model profile tools (issue 9 item 7)', () => {
  it('reads tools, maxSteps and toolTokens', () => {
    const config = parseProjectConfig('models:\n  coder:\n    provider: openai\n    model: x\n    tools: true\n    maxSteps: 4\n    toolTokens: 3000\n', 'x.yaml');
    expect(config.models['coder']).toMatchObject({ tools: true, maxSteps: 4, toolTokens: 3000 });
  });

  it('refuses a step bound below 1 and a negative token budget, naming the key', () => {
    expect(thrownBy(() => parseProjectConfig('models:\n  coder:\n    provider: openai\n    model: x\n    maxSteps: 0\n', 'x.yaml')).message).toContain('models.coder.maxSteps');
    expect(thrownBy(() => parseProjectConfig('models:\n  coder:\n    provider: openai\n    model: x\n    toolTokens: -1\n', 'x.yaml')).message).toContain('models.coder.toolTokens');
  });
});
