import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../src/testing/fake-openai-server.js';
import { ensureBuilt } from '../support/build.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, createTempDir, type TempProject } from '../support/project.js';
import { planJson, scriptedModel } from '../support/scripted-model.js';

describe('schema, plan, graph and init', () => {
  const model = scriptedModel({
    planner: (req) =>
      req.task === 'T2'
        ? planJson([
            { id: '1', title: 'Add divide', files: ['src/calc.js'] },
            { id: '2', title: 'Guard division by zero', dependencies: ['1'] },
          ])
        : planJson([
            { id: 'T1', title: 'Add multiply', files: ['src/calc.js'] },
            { id: 'T2', title: 'Add divide with a zero guard', atomic: false },
            { id: 'T3', title: 'Document "multiply" & <divide>', dependencies: ['T1', 'T2'] },
          ]),
  });
  let server: FakeOpenAIServer;
  const temps: TempProject[] = [];
  let project: TempProject;

  beforeAll(async () => {
    await ensureBuilt();
    server = await startFakeOpenAIServer({ respond: model.respond });
    project = await createSampleRepo({ baseURL: server.url });
    temps.push(project);
  });
  afterAll(async () => {
    await server?.close();
    for (const t of temps) await t.cleanup();
  });

  it('`schema` prints the JSON Schema of graph files', async () => {
    const r = await runCli(['schema']);
    expect(r.code, describeResult(r)).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.title).toBe('taskgraph graph file');
    expect(schema.properties.nodes.type).toBe('array');
    expect(schema.required).toContain('nodes');
    expect(JSON.stringify(schema.properties.nodes)).toContain('kind');
  });

  it('`plan` decomposes recursively and saves the plan; `graph PLAN` renders it as mermaid, dot and json', async () => {
    const { dir } = project;
    const r = await runCli(['-C', dir, 'plan', 'Add multiply and divide, document both', '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.id).toMatch(/^p-[0-9a-f]{10}$/);
    expect(plan.tasks.map((t: { id: string }) => t.id)).toEqual(['T1', 'T2', 'T2.1', 'T2.2', 'T3']);
    expect(model.requests.filter((q) => q.role === 'planner').map((q) => q.task ?? 'goal')).toEqual(['goal', 'T2']);
    // a dependency on a decomposed task becomes dependencies on its leaves
    expect(plan.tasks.find((t: { id: string }) => t.id === 'T3').dependencies).toEqual(expect.arrayContaining(['T1', 'T2.1', 'T2.2']));

    const mermaid = await runCli(['-C', dir, 'graph', plan.id, '--format', 'mermaid']);
    expect(mermaid.code, describeResult(mermaid)).toBe(0);
    expect(mermaid.stdout.startsWith('flowchart TD\n')).toBe(true);
    for (const id of ['T1', 'T2.1', 'T2.2', 'T3']) expect(mermaid.stdout).toContain(id);
    expect(mermaid.stdout).toContain('#quot;multiply#quot;'); // labels are escaped

    const dot = await runCli(['-C', dir, 'graph', plan.id, '--format', 'dot']);
    expect(dot.code, describeResult(dot)).toBe(0);
    expect(dot.stdout.startsWith('digraph plan {')).toBe(true);
    expect(dot.stdout).toContain('subgraph "cluster_T2"');
    expect(dot.stdout.trim().endsWith('}')).toBe(true);

    const json = await cliJson(dir, ['graph', plan.id, '--format', 'json']);
    expect(json.id).toBe(plan.id);
    expect(json.leaves).toEqual(['T1', 'T2.1', 'T2.2', 'T3']);
    expect(json.edges).toEqual(expect.arrayContaining([{ from: 'T2.1', to: 'T2.2' }, { from: 'T1', to: 'T3' }]));

    const bad = await runCli(['-C', dir, 'graph', plan.id, '--format', 'svg']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('svg');
    const unknown = await runCli(['-C', dir, 'graph', 'p-0000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('[NOT_FOUND]');
  });

  it('`graph FILE` renders a graph file; `graph RUN` shows node states', async () => {
    const { dir } = project;
    const file = join(dir, 'two.yaml');
    await writeFile(file, 'id: two\nnodes:\n  - { id: first, kind: command, config: { run: "echo one" } }\n  - { id: second, kind: script, config: { fn: echo, args: 2 }, needs: [first] }\n');
    const g = await runCli(['-C', dir, 'graph', file, '--format', 'dot']);
    expect(g.code, describeResult(g)).toBe(0);
    expect(g.stdout).toContain('n0 [label="first (command)"]');
    expect(g.stdout).toContain('n0 -> n1;');
    const run = await runCli(['-C', dir, 'run', file, '--no-worktree', '--json']);
    expect(run.code, describeResult(run)).toBe(0);
    const { runId } = JSON.parse(run.stdout);
    const states = await cliJson(dir, ['graph', runId, '--format', 'json']);
    expect(states.nodes).toMatchObject([
      { id: 'first', kind: 'command', status: 'succeeded' },
      { id: 'second', kind: 'script', status: 'succeeded' },
    ]);
    expect(states.edges).toEqual([{ from: 'first', to: 'second' }]);
  });

  it('`init` in a fresh node project detects `npm test` and refuses to overwrite without --force', async () => {
    const fresh = await createTempDir();
    temps.push(fresh);
    await writeFile(join(fresh.dir, 'package.json'), JSON.stringify({ name: 'fresh', type: 'module', scripts: { test: 'node --test', build: 'tsc' } }, null, 2));
    await writeFile(join(fresh.dir, 'tsconfig.json'), '{}\n');
    const r = await runCli(['-C', fresh.dir, 'init', '--no-check']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toContain('test npm test');
    const config = parseYaml(await readFile(join(fresh.dir, 'taskgraph.yaml'), 'utf8'));
    expect(config.commands.test).toBe('npm test');
    expect(config.commands.build).toBe('npm run build');
    expect(config.language).toBe('typescript');
    // the written file is a valid project: other commands load it
    expect(await cliJson(fresh.dir, ['runs', '--json'])).toEqual([]);

    const again = await runCli(['-C', fresh.dir, 'init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
    const forced = await runCli(['-C', fresh.dir, 'init', '--force', '--json', '--no-check']);
    expect(forced.code, describeResult(forced)).toBe(0);
    expect(JSON.parse(forced.stdout).config.commands.test).toBe('npm test');
  });
});
