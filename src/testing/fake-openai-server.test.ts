import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fake-openai-server.js';

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('fake OpenAI server', () => {
  it('streams SSE chunks with usage to a real AI SDK client', async () => {
    const content = 'a fairly long answer that spans several chunks';
    server = await startFakeOpenAIServer({ respond: () => ({ content, usage: { prompt_tokens: 11, completion_tokens: 22 } }) });
    const model = createOpenAICompatible({ name: 'fake', baseURL: server.url, includeUsage: true })('m');
    const result = streamText({ model, prompt: 'hi', maxRetries: 0 });
    const parts: string[] = [];
    for await (const part of result.textStream) parts.push(part);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toBe(content);
    expect((await result.usage).inputTokens).toBe(11);
    expect((await result.usage).outputTokens).toBe(22);
    expect(server.requests[0].stream).toBe(true);
  });

  it('answers unknown routes with 404 and reports a throwing respond as 500', async () => {
    server = await startFakeOpenAIServer({
      respond: () => {
        throw new Error('script broke');
      },
    });
    const notFound = await fetch(`${server.url}/models`);
    expect(notFound.status).toBe(404);
    const broken = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toBe('script broke');
  });
});
