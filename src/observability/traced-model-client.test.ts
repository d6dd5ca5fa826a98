import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { TracedModelClient } from './traced-model-client.js';

/** A model call with a tool loop, traced: one `chat` span, one `execute_tool` span per tool call under it. */

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('TracedModelClient', () => {
  it('makes a chat span with the usage of all steps and an execute_tool span per tool call under it', async () => {
    server = await startFakeOpenAIServer({
      respond: ({ messages }) =>
        messages.filter((m) => m.role === 'tool').length >= 2
          ? { content: 'done', usage: { prompt_tokens: 10, completion_tokens: 1 } }
          : { toolCalls: [{ name: 'echo', arguments: { text: 'x' } }], usage: { prompt_tokens: 10, completion_tokens: 2 } },
    });
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
    const inner = new AiSdkModelClient({ profiles: { m: { provider: 'openai-compatible', model: 'small-model', baseURL: server.url } } });
    const client = new TracedModelClient(inner, tracer, () => undefined);
    const tools = { set: { echo: { description: 'echo', inputSchema: z.object({ text: z.string() }), execute: async (i: { text: string }) => i.text } }, maxSteps: 5 };
    const res = await client.generate({ profile: 'm', prompt: 'go', tools });
    expect(res.text).toBe('done');
    const spans = exporter.getFinishedSpans();
    const chat = spans.find((s) => s.name === 'chat m')!;
    const toolSpans = spans.filter((s) => s.name === 'execute_tool echo');
    expect(toolSpans).toHaveLength(2);
    for (const t of toolSpans) {
      expect(t.parentSpanContext?.spanId).toBe(chat.spanContext().spanId);
      expect(t.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'echo' });
    }
    expect(chat.attributes).toMatchObject({ 'gen_ai.request.model': 'small-model', 'gen_ai.usage.input_tokens': 30, 'gen_ai.usage.output_tokens': 5, 'taskgraph.steps': 3 });
  });

  it('marks a failed call as an error with its code', async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ status: 400, body: { error: { message: 'bad request' } } }) });
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
    const inner = new AiSdkModelClient({ profiles: { m: { provider: 'openai-compatible', model: 'small-model', baseURL: server.url } }, retries: 0 });
    await expect(new TracedModelClient(inner, tracer, () => undefined).generate({ profile: 'm', prompt: 'go' })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    const [chat] = exporter.getFinishedSpans();
    expect(chat!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(chat!.attributes['error.type']).toBe('PROVIDER_ERROR');
  });
});
