import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ModelProfile } from '../core/config.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { AiSdkModelClient } from './ai-sdk-client.js';
import { MAX_TOKENS_PER_CALL, validateTokens } from './usage.js';
import { rejectionOf, thrownBy } from '../../test/support/expect-error.js';

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(url: string): AiSdkModelClient {
  return new AiSdkModelClient({
    profiles: { coder: { provider: 'openai', model: 'gpt-test', baseURL: url, price: { input: 2, output: 8 } } as ModelProfile },
    env: { OPENAI_API_KEY: 'sk-test' },
    retryBaseMs: 1,
  });
}

describe('usage reported by a server is validated, never a credit', () => {
  for (const [name, usage, words] of [
    ['negative', { prompt_tokens: -1_000_000, completion_tokens: 10 }, 'input tokens -1000000 is negative'],
    ['fractional', { prompt_tokens: 10, completion_tokens: 2.5 }, 'output tokens 2.5 is not a whole number'],
    ['absurd', { prompt_tokens: MAX_TOKENS_PER_CALL + 1, completion_tokens: 1 }, `is over ${MAX_TOKENS_PER_CALL} per call`],
  ] as const) {
    it(`fails a call whose server reports ${name} token counts, without retrying`, async () => {
      server = await startFakeOpenAIServer({ respond: () => ({ content: 'ok', usage }) });
      const err = await rejectionOf(client(server.url).generate({ profile: 'coder', prompt: 'x', label: 'T1/edit' }));
      expect(err.code).toBe('PROVIDER_ERROR');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('the server reported invalid usage');
      expect(err.message).toContain(words);
      expect(server.requests).toHaveLength(1);
      // the call happened: it counts as a call, with no tokens credited
      expect(err.details.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'openai:gpt-test', calls: 1 });
    });
  }

  it('checks the usage of an answer that failed the schema too, and carries valid usage on the error', async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ content: 'not json', usage: { prompt_tokens: 1000, completion_tokens: 500 } }) });
    const err = await rejectionOf(client(server.url).generate({ profile: 'coder', prompt: 'x', schema: z.object({ a: z.string() }) }));
    expect(err.code).toBe('MODEL_OUTPUT_INVALID');
    expect(err.details.usage).toEqual({ inputTokens: 1000, outputTokens: 500, costUsd: 0.006, model: 'openai:gpt-test', calls: 1 });
    await server.close();
    server = await startFakeOpenAIServer({ respond: () => ({ content: 'not json', usage: { prompt_tokens: -5, completion_tokens: 1 } }) });
    const bad = await rejectionOf(client(server.url).generate({ profile: 'coder', prompt: 'x', schema: z.object({ a: z.string() }) }));
    expect(bad.code).toBe('PROVIDER_ERROR');
    expect(bad.message).toContain('the server reported invalid usage');
  });

  it('a failure before any request (missing key) carries no usage: it was not a model call', async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ content: 'ok' }) });
    const c = new AiSdkModelClient({ profiles: { coder: { provider: 'openai', model: 'm', baseURL: server.url } as ModelProfile }, env: {} });
    const err = await rejectionOf(c.generate({ profile: 'coder', prompt: 'x' }));
    expect(err.code).toBe('MISSING_API_KEY');
    expect(err.details.usage).toBeUndefined();
  });

  it('validateTokens: missing counts are 0; NaN and Infinity are refused', () => {
    expect(validateTokens({ inputTokens: undefined, outputTokens: 7 }, 'w', 'm')).toEqual({ inputTokens: 0, outputTokens: 7 });
    expect(thrownBy(() => validateTokens({ inputTokens: Number.NaN, outputTokens: 1 }, 'w', 'm')).message).toContain('input tokens NaN is not a number');
    expect(thrownBy(() => validateTokens({ inputTokens: 1, outputTokens: Number.POSITIVE_INFINITY }, 'w', 'm')).message).toContain('not a number');
  });
});
