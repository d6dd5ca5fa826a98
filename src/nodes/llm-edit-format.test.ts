import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';
import type { Json } from '../core/json.js';
import { TaskSchema } from '../core/task.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeRequest } from '../testing/fake-openai-server.js';
import { defaultRegistry } from './index.js';
import { EDIT_SYSTEM, EDIT_SYSTEM_SEARCH_REPLACE, EDIT_SYSTEM_WHOLE } from './llm-prompts.js';

/** A valid answer in each format, so the node succeeds only when the model was asked for it. */
const ANSWERS: Record<string, string> = {
  [EDIT_SYSTEM]: '--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n',
  [EDIT_SYSTEM_SEARCH_REPLACE]: 'a.txt\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n',
  [EDIT_SYSTEM_WHOLE]: 'a.txt\n```\nb\n```\n',
};

const CONTEXT: Json = {
  task: 'T1',
  items: [{ source: 'task', title: 'task T1', text: '# Task T1: change a to b', tokens: 8, why: 'tier 2: the task and its notes' }],
  tokens: 8,
  budget: 1000,
  cut: [],
};

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The system message of every request, and the last line of its user message. */
function seen(): Array<{ model: string; system: string | undefined; ask: string | undefined }> {
  return server!.requests.map((body: { model: string; messages: Array<{ role: string; content: string }> }) => ({
    model: body.model,
    system: body.messages.find((m) => m.role === 'system')?.content,
    ask: body.messages.find((m) => m.role === 'user')?.content.split('\n').at(-1),
  }));
}

async function setup(models: (url: string) => Record<string, unknown>) {
  server = await startFakeOpenAIServer({
    respond: (req: FakeRequest) => {
      const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
      return { content: req.model === 'weak' ? 'I would rename it.' : (ANSWERS[system] ?? 'unknown prompt') };
    },
  });
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry();
  const engine = (input: Record<string, unknown>): Engine => {
    const config: ProjectConfig = ProjectConfigSchema.parse(input);
    const models = new AiSdkModelClient({ profiles: config.models, retries: 0, retryBaseMs: 1 });
    const options: EngineOptions = { store, executors, scripts, projectDir: mkdtempSync(join(tmpdir(), 'tg-llm-')), config, models };
    return new Engine(options);
  };
  const url = server.url;
  return { store, engine, config: (more: Record<string, unknown> = {}) => ({ models: models(url), ...more }) };
}

const profile = (url: string, model: string, extra: Record<string, unknown> = {}) => ({ provider: 'openai-compatible', baseURL: url, model, ...extra });
const editNode = (profileName: string, task?: string) => ({
  id: task ? `${task}/code` : 'code',
  kind: 'llm' as const,
  ...(task ? { task } : {}),
  config: { profile: profileName, template: 'edit', output: 'edit' },
  inputs: { context: CONTEXT },
});

describe('llm edit template: prompt per model profile editFormat', () => {
  it('sends the system prompt and the closing request of each profile format', async () => {
    const { store, engine, config } = await setup((url) => ({
      plain: profile(url, 'plain'),
      sr: profile(url, 'sr', { editFormat: 'search-replace' }),
      whole: profile(url, 'whole', { editFormat: 'whole' }),
    }));
    const formats: unknown[] = [];
    for (const name of ['plain', 'sr', 'whole']) {
      const summary = await engine(config()).start({ graph: { nodes: [editNode(name)] }, command: 'test' });
      expect(summary.status, name).toBe('succeeded');
      formats.push(((await store.listAttempts(summary.runId, 'code'))[0]?.output as { format?: string } | undefined)?.format);
    }
    expect(formats).toEqual(['udiff', 'search-replace', 'whole']);
    expect(seen()).toEqual([
      { model: 'plain', system: EDIT_SYSTEM, ask: 'Return the unified diff for task T1 now.' },
      { model: 'sr', system: EDIT_SYSTEM_SEARCH_REPLACE, ask: 'Return the SEARCH/REPLACE blocks for task T1 now.' },
      { model: 'whole', system: EDIT_SYSTEM_WHOLE, ask: 'Return the complete content of each file you change for task T1 now.' },
    ]);
  });

  it('puts the format in the cache key: changing it re-runs the node, keeping it is a cache hit', async () => {
    const { engine, config } = await setup((url) => ({ coder: profile(url, 'coder') }));
    const graph = { nodes: [editNode('coder')] };
    const withFormat = (editFormat?: string) =>
      config({ models: { coder: { ...profile(server!.url, 'coder'), ...(editFormat ? { editFormat } : {}) } } });
    const first = await engine(withFormat()).start({ graph, command: 'test' });
    const explicit = await engine(withFormat('udiff')).start({ graph, command: 'test' });
    const changed = await engine(withFormat('whole')).start({ graph, command: 'test' });
    const again = await engine(withFormat('whole')).start({ graph, command: 'test' });
    expect([first, explicit, changed, again].map((s) => [s.status, s.counts.cached ?? 0])).toEqual([
      ['succeeded', 0],
      ['succeeded', 1],
      ['succeeded', 0],
      ['succeeded', 1],
    ]);
    expect(seen().map((r) => r.system)).toEqual([EDIT_SYSTEM, EDIT_SYSTEM_WHOLE]);
  });

  it('asks the fallback profile in its own format after a failed attempt', async () => {
    const { store, engine, config } = await setup((url) => ({
      cheap: profile(url, 'weak', { editFormat: 'whole', fallback: 'strong' }),
      strong: profile(url, 'strong', { editFormat: 'search-replace' }),
    }));
    const tasks = [TaskSchema.parse({ planId: 'p-test', id: 'T1', title: 'change a to b' })];
    await store.savePlan({ id: 'p-test', goal: 'g', createdAt: new Date().toISOString(), tasks, meta: {} });
    const summary = await engine(config()).start({ graph: { nodes: [editNode('cheap', 'T1')] }, command: 'test', planId: 'p-test' });
    expect(summary.status).toBe('succeeded');
    expect(seen().map((r) => [r.model, r.system])).toEqual([
      ['weak', EDIT_SYSTEM_WHOLE],
      ['strong', EDIT_SYSTEM_SEARCH_REPLACE],
    ]);
    const [, second] = await store.listAttempts(summary.runId, 'T1/code');
    expect(second?.output).toMatchObject({ format: 'search-replace' });
  });
});
