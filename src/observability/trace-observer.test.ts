import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { Engine } from '../engine/engine.js';
import type { ScriptFunction } from '../engine/node-executor.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { defaultRegistry } from '../nodes/index.js';
import { resetSecretRedactor } from '../security/redact.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { type FakeOpenAIServer, startFakeOpenAIServer } from '../testing/fake-openai-server.js';

/**
 * The engine's spans through an in-process SDK (`InMemorySpanExporter`): the tree run → task →
 * node → model call, the GenAI attributes, cache hits, and no secret in any attribute.
 */

const exporter = new InMemorySpanExporter();
let server: FakeOpenAIServer | undefined;
const key = `sk-test-${randomBytes(12).toString('hex')}`;
const savedKey = process.env['OPENAI_API_KEY'];

beforeEach(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  process.env['OPENAI_API_KEY'] = key;
  resetSecretRedactor();
});
afterEach(async () => {
  trace.disable();
  exporter.reset();
  await server?.close();
  server = undefined;
  if (savedKey === undefined) delete process.env['OPENAI_API_KEY'];
  else process.env['OPENAI_API_KEY'] = savedKey;
  resetSecretRedactor();
});

/** A script node that asks the model once; its label carries the API key (a careless caller). */
const ask: ScriptFunction = {
  version: 1,
  sideEffects: false,
  description: 'asks the model once',
  run: async (_args, _inputs, ctx) => (await ctx.models!.generate({ profile: 'coder', prompt: 'hello', label: `${ctx.node.id} with ${process.env['OPENAI_API_KEY']}` })).text,
};

async function setup(tracing?: boolean) {
  server = await startFakeOpenAIServer({ respond: () => ({ content: 'answer', usage: { prompt_tokens: 120, completion_tokens: 30 } }) });
  const config = ProjectConfigSchema.parse({
    models: { coder: { provider: 'openai-compatible', baseURL: server.url, model: 'gpt-fake', apiKeyEnv: 'OPENAI_API_KEY', price: { input: 1, output: 2 } } },
    roles: { planner: 'coder', coder: 'coder' },
    policy: { concurrency: 1 },
  });
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry(new Map([['ask', ask]]));
  const models = new AiSdkModelClient({ profiles: config.models, retries: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'tg-trace-'));
  return () => new Engine({ store, executors, scripts, projectDir: dir, config, models, ...(tracing === false ? { tracing: false } : {}) });
}

const graph = { nodes: [{ id: 'T1/ask', kind: 'script' as const, task: 'T1', config: { fn: 'ask' } }] };

const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('trace observer', () => {
  it('makes the span tree run → task → node → model call with GenAI attributes', async () => {
    const engine = await setup();
    const summary = await engine().start({ graph, command: 'test' });
    expect(summary.status).toBe('succeeded');
    const spans = exporter.getFinishedSpans();
    const [run] = byName(spans, 'run');
    const [task] = byName(spans, 'task T1');
    const [node] = byName(spans, 'node T1/ask');
    const [chat] = byName(spans, 'chat coder');
    expect(run && task && node && chat).toBeTruthy();
    expect(parentOf(run!)).toBeUndefined();
    expect(parentOf(task!)).toBe(run!.spanContext().spanId);
    expect(parentOf(node!)).toBe(task!.spanContext().spanId);
    expect(parentOf(chat!)).toBe(node!.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(run!.attributes).toMatchObject({ 'taskgraph.run_id': summary.runId, 'taskgraph.status': 'succeeded' });
    expect(chat!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-fake',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
    });
    expect(chat!.attributes['taskgraph.cost_usd']).toBeCloseTo((120 * 1 + 30 * 2) / 1e6, 12);
    expect(node!.attributes).toMatchObject({ 'taskgraph.cache_hit': false, 'taskgraph.status': 'succeeded', 'gen_ai.usage.input_tokens': 120, 'gen_ai.request.model': 'gpt-fake' });

    // the same graph again: the node is a cache hit, no model call
    exporter.reset();
    await engine().start({ graph, command: 'test' });
    const again = exporter.getFinishedSpans();
    expect(byName(again, 'chat coder')).toHaveLength(0);
    expect(byName(again, 'node T1/ask')[0]!.attributes).toMatchObject({ 'taskgraph.cache_hit': true, 'taskgraph.status': 'cached' });
  });

  it('puts no secret in any span attribute or status message', async () => {
    const engine = await setup();
    await engine().start({ graph, command: 'test' });
    const spans = exporter.getFinishedSpans();
    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events })));
    expect(text).toContain('[redacted]'); // the label did carry the key
    expect(text).not.toContain(key);
  });

  it('makes no span with tracing off', async () => {
    const engine = await setup(false);
    expect((await engine().start({ graph, command: 'test' })).status).toBe('succeeded');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
