import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { TaskSchema } from '../core/task.js';
import { openStore } from '../store/open-store.js';
import { templateExplainCommand, templateInstantiateCommand, templateSaveCommand, templateShowCommand } from './template-commands.js';

/** The template commands in-process against a temporary project (the CLI path is test/e2e/templates.test.ts). */

afterEach(() => vi.restoreAllMocks());

/** Runs a command and returns what it wrote to stdout. */
async function stdoutOf(fn: () => number | Promise<number>): Promise<string> {
  let text = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  expect(await fn()).toBe(0);
  vi.restoreAllMocks();
  return text;
}

async function projectWithPlan(): Promise<{ dir: string; planId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-template-cmd-'));
  writeFileSync(join(dir, 'taskgraph.yaml'), 'name: demo\ncommands:\n  test: node --version\n');
  const store = await openStore(dir);
  const task = (id: string, extra: Record<string, unknown>) => TaskSchema.parse({ planId: 'p-1', id, title: id, ...extra });
  await store.savePlan({
    id: 'p-1',
    goal: 'Add a parser for config files',
    createdAt: new Date().toISOString(),
    tasks: [
      task('T1', { title: 'Write src/config/parse.ts', description: 'Parse {{raw}} YAML from config/app.yaml into a typed object.', files: ['src/config/parse.ts'] }),
      task('T2', { title: 'Test the parser', description: 'Cover src/config/parse.ts in test/parse.test.ts.', dependencies: ['T1'], acceptance: ['the tests of test/parse.test.ts pass'] }),
    ],
    meta: { leaves: ['T1', 'T2'] },
  });
  await store.close();
  return { dir, planId: 'p-1' };
}

describe('template commands', () => {
  it('save writes the plan as a template with parameters (a new version each time), which show lists and instantiate composes', async () => {
    const { dir, planId } = await projectWithPlan();
    const first = JSON.parse(await stdoutOf(() => templateSaveCommand(planId, { project: dir, name: 'config-parser', json: true }))) as { template: string; path: string; parameters: string[]; nodes: number };
    expect(first).toMatchObject({ template: 'config-parser@1', nodes: 8 });
    expect(first.parameters).toEqual(['goal', 'file_parse', 'file_app', 'file_parse_test']);
    const doc = parse(readFileSync(first.path, 'utf8')) as { parameters: Record<string, { default: string }>; graph: { nodes: Array<{ id: string; inputs?: Record<string, unknown>; needs?: string[] }> } };
    expect(doc.parameters['file_parse_test']!.default).toBe('test/parse.test.ts');
    const edit = doc.graph.nodes.find((n) => n.id === 'T1/edit')!;
    // paths became placeholders; text that looked like one was broken up
    expect(edit.inputs!['description']).toBe('Parse { {raw} } YAML from {{file_app}} into a typed object.');
    expect(doc.graph.nodes.find((n) => n.id === 'T2/edit')!.needs).toEqual(['T1/commit']);
    const second = JSON.parse(await stdoutOf(() => templateSaveCommand(planId, { project: dir, name: 'config-parser', json: true }))) as { template: string };
    expect(second.template).toBe('config-parser@2');

    const listed = JSON.parse(await stdoutOf(() => templateShowCommand(undefined, { project: dir, json: true }))) as Array<{ name: string; version: number; source: string }>;
    expect(listed.filter((t) => t.source === 'project').map((t) => `${t.name}@${t.version}`)).toEqual(['config-parser@1', 'config-parser@2']);
    expect(listed.filter((t) => t.source === 'bundled').length).toBeGreaterThanOrEqual(10);

    const yaml = await stdoutOf(() => templateInstantiateCommand('config-parser', { project: dir, set: ['file_parse=lib/read.ts'] }));
    const graph = parse(yaml) as { nodes: Array<{ id: string; title: string; priority?: number }> };
    expect(graph.nodes[0]).toMatchObject({ id: 'T1/edit', title: 'Write lib/read.ts' });
    expect(graph.nodes[0]!.priority).toBeUndefined(); // defaults are left out of the printed graph

    const text = await stdoutOf(() => templateExplainCommand('config-parser@1', { project: dir, set: ['goal=Other goal'] }));
    expect(text).toMatch(/goal = "Other goal" {2}<- override/);
    expect(text).toMatch(/title\s+template\s+"Other goal" {2}via \{\{goal\}\}/);
  });

  it('refuses a bad name, an unknown plan and a bad --set, writing nothing', async () => {
    const { dir, planId } = await projectWithPlan();
    await expect(templateSaveCommand(planId, { project: dir, name: 'Bad Name' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(templateSaveCommand('p-nope', { project: dir, name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(join(dir, '.taskgraph', 'library'))).toBe(false);
    expect(() => templateInstantiateCommand('refactor-safe', { project: dir, set: ['goal'] })).toThrow(/--set "goal" is not name=value/);
    expect(() => templateExplainCommand('no-such-template', { project: dir })).toThrow(/no template "no-such-template"/);
  });
});
