import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { defaultRegistry } from './index.js';

/** A project whose library holds `greet@1`: two independent script nodes and a join. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tg-subgraph-'));
  mkdirSync(join(dir, '.taskgraph', 'library', 'templates'), { recursive: true });
  writeFileSync(
    join(dir, '.taskgraph', 'library', 'templates', 'greet@1.yaml'),
    `kind: template
name: greet
version: 1
description: greet someone, count something, join both
parameters:
  who: { type: string, required: true }
  n: { type: number, default: 1 }
variants:
  tone:
    default: plain
    options:
      plain: {}
      loud: { graph: { nodes: [{ id: hello, config: { args: { shout: true } } }] } }
graph:
  nodes:
    - { id: hello, kind: script, config: { fn: echo, args: { to: "hello {{who}}" } } }
    - { id: count, kind: script, config: { fn: echo, args: { n: "{{n}}" } } }
    - id: join
      kind: script
      config: { fn: noop }
      inputs: { a: { $ref: hello }, b: { $ref: count } }
`,
  );
  writeFileSync(
    join(dir, '.taskgraph', 'library', 'templates', 'shell@1.yaml'),
    'kind: template\nname: shell\nversion: 1\nparameters: { file: { type: string, required: true } }\ngraph: { nodes: [{ id: read, kind: command, config: { run: "cat -- \'{{file}}\'" } }] }\n',
  );
  return dir;
}

async function setup() {
  const dir = project();
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry();
  const events: EngineEvent[] = [];
  const engine = () => new Engine({ store, executors, scripts, projectDir: dir, config: ProjectConfigSchema.parse({}), observers: [(e) => events.push(e)] });
  const finished = (status: string) => events.filter((e) => e.type === 'node-finish' && (e as { status: string }).status === status).map((e) => (e as { nodeId: string }).nodeId).sort();
  return { store, engine, events, finished };
}

const graph = (parameters: Record<string, unknown>, variants: Record<string, string> = {}): GraphSpecInput => ({
  nodes: [
    { id: 'who', kind: 'script', config: { fn: 'echo', args: 'Ada' } },
    { id: 'g', kind: 'subgraph', config: { template: 'greet@1', parameters, variants } as never, inputs: { who: { $ref: 'who' } } },
    { id: 'after', kind: 'script', config: { fn: 'noop' }, needs: ['g'] },
  ],
});

describe('subgraph node', () => {
  it('instantiates a template with prefixed ids, runs it before its dependents, caches it, and re-runs only what a changed parameter fills', async () => {
    const { store, engine, events, finished } = await setup();
    const first = await engine().start({ graph: graph({ n: 1 }), command: 'test' });
    expect(first.status).toBe('succeeded');
    expect(finished('succeeded')).toEqual(['after', 'g', 'g/count', 'g/hello', 'g/join', 'who']);
    const join = await store.listAttempts(first.runId, 'g/join');
    expect(join[0]!.output).toEqual({ args: null, inputs: { a: { to: 'hello Ada' }, b: { n: 1 } } });
    const run = await store.getRun(first.runId);
    // the node after the subgraph waits for its last node, so it saw the whole instance finish
    expect(run!.graph.nodes.find((n) => n.id === 'after')!.needs).toEqual(['g', 'g/join']);
    const order = events.filter((e) => e.type === 'node-finish').map((e) => (e as { nodeId: string }).nodeId);
    expect(order.indexOf('after')).toBeGreaterThan(order.indexOf('g/join'));

    events.length = 0;
    const second = await engine().start({ graph: graph({ n: 1 }), command: 'test' });
    expect(second.status).toBe('succeeded');
    expect(finished('succeeded')).toEqual([]);
    expect(second.counts.cached).toBe(6);

    events.length = 0;
    const third = await engine().start({ graph: graph({ n: 2 }), command: 'test' });
    expect(third.status).toBe('succeeded');
    // the subgraph node (its config changed), the node n fills, and the join downstream of it
    expect(finished('succeeded')).toEqual(['g', 'g/count', 'g/join']);

    events.length = 0;
    await engine().start({ graph: graph({ n: 2 }, { tone: 'loud' }), command: 'test' });
    expect(finished('succeeded')).toEqual(['g', 'g/hello', 'g/join']);
  });

  it('two subgraph nodes that finish together both add their nodes (expansions are serial)', async () => {
    const { engine, finished } = await setup();
    const twin: GraphSpecInput = {
      concurrency: 4,
      nodes: [
        { id: 'one', kind: 'subgraph', config: { template: 'greet', parameters: { who: 'A' } } },
        { id: 'two', kind: 'subgraph', config: { template: 'greet', parameters: { who: 'B' } } },
        { id: 'end', kind: 'script', config: { fn: 'noop' }, needs: ['one', 'two'] },
      ],
    };
    const summary = await engine().start({ graph: twin, command: 'test' });
    expect(summary.status).toBe('succeeded');
    expect(finished('succeeded')).toEqual(['end', 'one', 'one/count', 'one/hello', 'one/join', 'two', 'two/count', 'two/hello', 'two/join']);
  });

  it('refuses to fill a parameter that comes from an upstream output into a shell line', async () => {
    const { engine, store } = await setup();
    const given = await engine().start({ graph: { nodes: [{ id: 'g', kind: 'subgraph', config: { template: 'shell@1', parameters: { file: 'a.txt' } } }] }, command: 'test' });
    // given in the graph itself, it is the graph author's: the command node is added
    expect((await store.getRun(given.runId))!.graph.nodes.map((n) => n.id)).toContain('g/read');
    const graph: GraphSpecInput = {
      nodes: [
        { id: 'ask', kind: 'script', config: { fn: 'echo', args: "x'; rm -rf ~; '" } },
        { id: 'g', kind: 'subgraph', config: { template: 'shell@1' }, inputs: { file: { $ref: 'ask' } } },
      ],
    };
    const summary = await engine().start({ graph, command: 'test' });
    expect(summary.status).toBe('failed');
    const attempt = (await store.listAttempts(summary.runId, 'g'))[0]!;
    expect(attempt.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('parameter "file" comes from an upstream output and may not be filled into a shell line') });
    expect((await store.getRun(summary.runId))!.graph.nodes.map((n) => n.id)).toEqual(['ask', 'g']);
  });

  it('fails the node with the validation error when a required parameter is missing', async () => {
    const { engine, store } = await setup();
    const bad: GraphSpecInput = { nodes: [{ id: 'g', kind: 'subgraph', config: { template: 'greet@1' } }] };
    const summary = await engine().start({ graph: bad, command: 'test' });
    expect(summary.status).toBe('failed');
    const attempt = (await store.listAttempts(summary.runId, 'g'))[0]!;
    expect(attempt.error?.code).toBe('CONFIG_INVALID');
    expect(attempt.error?.message).toMatch(/who/);
  });
});
