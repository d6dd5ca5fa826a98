import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { forecastRun } from '../engine/forecast.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { bundledItems } from './bundled-library.js';
import { libraryPromptSource } from './prompt-source.js';
import { SqliteLibrary } from './sqlite-library.js';
import { promptItem } from '../../test/support/library-items.js';

/**
 * Issue 14 "a version bump dirties only the nodes that use that prompt": two llm nodes use
 * prompt `greet` (by name: the newest version), one uses `other`; the model is the loopback fake
 * server. Bumping `greet` re-runs exactly its two nodes; old attempts keep the version they used;
 * the forecast behind `taskgraph why` names the prompt and both versions.
 */

let server: FakeOpenAIServer;
let store: SqliteStore;
let library: SqliteLibrary;

const graph: GraphSpecInput = {
  nodes: [
    { id: 'a1', kind: 'llm', config: { profile: 'coder', promptRef: 'greet', vars: { who: 'Ada' } } },
    { id: 'a2', kind: 'llm', config: { profile: 'coder', promptRef: 'greet' }, inputs: { who: 'Grace' } },
    { id: 'b', kind: 'llm', config: { profile: 'coder', promptRef: 'other@1', systemRef: 'reviewer.task.system' } },
    { id: 'c', kind: 'script', config: { fn: 'noop' }, inputs: { a: { $ref: 'a1' } } },
  ],
};

beforeAll(async () => {
  server = await startFakeOpenAIServer({ respond: (req) => ({ content: `answer to: ${req.messages.at(-1)!.content}` }) });
  store = SqliteStore.open(':memory:');
  await store.migrate();
  library = SqliteLibrary.open(':memory:', { seed: bundledItems() });
  await library.add([promptItem('greet', 1, ['greeting'], 'Say hello to {{who}}.'), promptItem('other', 1, [], 'Something else.')]);
});
afterAll(async () => {
  await server.close();
  await library.close();
  await store.close();
});

describe('prompt versions and the cache', () => {
  it('a bump of prompt greet re-runs exactly the two nodes using it; why names the versions; old attempts keep theirs', async () => {
    const config = ProjectConfigSchema.parse({ models: { coder: { provider: 'openai-compatible', baseURL: server.url, model: 'm' } } });
    const { executors, scripts } = defaultRegistry();
    const base = { store, executors, scripts, prompts: libraryPromptSource(library), projectDir: mkdtempSync(join(tmpdir(), 'tg-prompts-')), config };
    const run = async (): Promise<{ executed: string[]; runId: string }> => {
      const events: EngineEvent[] = [];
      const summary = await new Engine({ ...base, models: new AiSdkModelClient({ profiles: config.models, retries: 0 }), observers: [(e) => events.push(e)] }).start({ graph, command: 'test' });
      const executed = events.filter((e) => e.type === 'node-finish' && e.status !== 'cached').map((e) => (e as { nodeId: string }).nodeId).sort();
      return { executed, runId: summary.runId };
    };

    const first = await run();
    expect(first.executed).toEqual(['a1', 'a2', 'b', 'c']);
    const prompts = server.requests.map((r: { messages: Array<{ role: string; content: string }> }) => r.messages.at(-1)!.content).sort();
    expect(prompts).toEqual(['Say hello to Ada.', 'Say hello to Grace.', 'Something else.']);
    expect((await run()).executed).toEqual([]);

    await library.add([promptItem('greet', 2, ['greeting'], 'Greet {{who}} warmly.')]);
    const forecast = await forecastRun({ ...base, graph });
    const a1 = forecast.nodes.find((n) => n.nodeId === 'a1')!;
    expect(a1.willRun).toBe(true);
    expect(a1.reason).toContain('prompt greet: version 1 -> 2');
    expect(a1.changed).toEqual(expect.arrayContaining(['extra:prompt:greet@1', 'extra:prompt:greet@2']));
    expect(forecast.nodes.find((n) => n.nodeId === 'b')!.willRun).toBe(false);

    const third = await run();
    // c reads a1's output, which changed: it re-runs as a1's downstream cone
    expect(third.executed).toEqual(['a1', 'a2', 'c']);
    const versionOf = async (runId: string, node: string) =>
      Object.keys((await store.listAttempts(runId)).find((a) => a.nodeId === node)!.ingredients.extra).filter((k) => k.startsWith('prompt:'));
    expect(await versionOf(first.runId, 'a1')).toEqual(['prompt:greet@1']);
    expect(await versionOf(third.runId, 'a1')).toEqual(['prompt:greet@2']);
    expect((await versionOf(first.runId, 'b')).sort()).toEqual(['prompt:other@1', 'prompt:reviewer.task.system@1']);
  });

  it('a missing variable fails the node with CONFIG_INVALID naming it', async () => {
    const config = ProjectConfigSchema.parse({ models: { coder: { provider: 'openai-compatible', baseURL: server.url, model: 'm' } } });
    const { executors, scripts } = defaultRegistry();
    const summary = await new Engine({ store, executors, scripts, prompts: libraryPromptSource(library), projectDir: mkdtempSync(join(tmpdir(), 'tg-prompts-')), config, models: new AiSdkModelClient({ profiles: config.models, retries: 0 }) }).start({
      graph: { nodes: [{ id: 'x', kind: 'llm', config: { profile: 'coder', promptRef: 'greet@1' } }] },
      command: 'test',
    });
    const attempt = (await store.listAttempts(summary.runId)).find((a) => a.nodeId === 'x')!;
    expect(attempt.error?.code).toBe('CONFIG_INVALID');
    expect(attempt.error?.message).toContain('needs variable who');
  });
});
