import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ModelProfile } from '../core/config.js';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeReply, type FakeRequest } from '../testing/fake-openai-server.js';
import { AiSdkModelClient, type AiSdkModelClientOptions } from './ai-sdk-client.js';
import { rejectionOf } from '../../test/support/expect-error.js';
import { TaskgraphError } from '../core/errors.js';

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(respond: (req: FakeRequest) => FakeReply | Promise<FakeReply>, latencyMs?: number): Promise<FakeOpenAIServer> {
  server = await startFakeOpenAIServer({ respond, ...(latencyMs ? { latencyMs } : {}) });
  return server;
}

function client(url: string, extra: Partial<AiSdkModelClientOptions> = {}, profile: Partial<ModelProfile> = {}): AiSdkModelClient {
  return new AiSdkModelClient({
    profiles: {
      coder: { provider: 'openai', model: 'gpt-test', baseURL: url, price: { input: 2, output: 8 }, ...profile } as ModelProfile,
      local: { provider: 'openai-compatible', model: 'qwen-local', baseURL: url },
    },
    env: { OPENAI_API_KEY: 'sk-test' },
    retryBaseMs: 5,
    ...extra,
  });
}

const Plan = z.object({ title: z.string(), steps: z.array(z.string()).min(1) });

describe('AiSdkModelClient against the loopback fake server', () => {
  it('generates text and reports usage and cost from the price table', async () => {
    const s = await start(({ messages }) => ({
      content: `echo: ${messages.at(-1)?.content}`,
      usage: { prompt_tokens: 1000, completion_tokens: 500 },
    }));
    const res = await client(s.url).generate({ profile: 'coder', system: 'be brief', prompt: 'hello' });
    expect(res.text).toBe('echo: hello');
    expect(res.object).toBeUndefined();
    expect(res.model).toBe('openai:gpt-test');
    // 1000 * $2/M + 500 * $8/M = 0.002 + 0.004
    expect(res.usage).toEqual({ inputTokens: 1000, outputTokens: 500, costUsd: 0.006, model: 'openai:gpt-test', calls: 1 });
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0].model).toBe('gpt-test');
    expect(s.requests[0].messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello' },
    ]);
  });

  it('estimates tokens as ceil(chars/4) when the server gives none, and a profile without price costs 0', async () => {
    const s = await start(() => ({ content: '123456789' }));
    const res = await client(s.url).generate({ profile: 'local', prompt: 'abcde' });
    expect(res.text).toBe('123456789');
    expect(res.model).toBe('openai-compatible:qwen-local');
    expect(res.usage).toMatchObject({ inputTokens: 2, outputTokens: 3, costUsd: 0, calls: 1 });
  });

  it('passes profile temperature and maxOutputTokens to the provider', async () => {
    const s = await start(() => ({ content: 'ok' }));
    await client(s.url, {}, { temperature: 0.3, maxOutputTokens: 77 }).generate({ profile: 'coder', prompt: 'x' });
    expect(s.requests[0]).toMatchObject({ temperature: 0.3, max_tokens: 77 });
  });

  it('returns a schema-valid object for structured output and sends the JSON schema', async () => {
    const s = await start(() => ({ content: JSON.stringify({ title: 'Add login', steps: ['form', 'route'] }) }));
    const res = await client(s.url).generate({ profile: 'local', prompt: 'plan', schema: Plan, schemaName: 'plan' });
    expect(res.object).toEqual({ title: 'Add login', steps: ['form', 'route'] });
    expect(JSON.parse(res.text)).toEqual(res.object);
    const format = s.requests[0].response_format;
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.name).toBe('plan');
    expect(format.json_schema.schema.required).toEqual(['title', 'steps']);
  });

  it('turns invalid JSON into MODEL_OUTPUT_INVALID carrying the raw text', async () => {
    const s = await start(() => ({ content: 'Sure! {title: oops' }));
    const err = await rejectionOf(client(s.url).generate({ profile: 'coder', prompt: 'plan', schema: Plan, label: 'T1/plan' }));
    expect(err.code).toBe('MODEL_OUTPUT_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.details.text).toBe('Sure! {title: oops');
    expect((err.details.issues as string[])[0]).toMatch(/^invalid JSON/);
    expect(err.message).toContain('T1/plan');
    expect(s.requests).toHaveLength(1); // not retried
  });

  it('turns a schema mismatch into MODEL_OUTPUT_INVALID with the issues by path', async () => {
    const raw = JSON.stringify({ title: 'x', steps: [] });
    const s = await start(() => ({ content: raw }));
    const err = await rejectionOf(client(s.url).generate({ profile: 'coder', prompt: 'plan', schema: Plan }));
    expect(err.code).toBe('MODEL_OUTPUT_INVALID');
    expect(err.details.text).toBe(raw);
    expect(err.details.issues).toEqual([expect.stringMatching(/^steps: /)]);
  });

  it('retries 429 honouring Retry-After (0 s, then 1 s) and then succeeds', async () => {
    let n = 0;
    const s = await start(() => {
      n++;
      if (n === 1) return { status: 429, headers: { 'Retry-After': '0' }, body: { error: { message: 'slow down' } } };
      if (n === 2) return { status: 429, headers: { 'Retry-After': '1' }, body: { error: { message: 'slow down' } } };
      return { content: 'finally' };
    });
    const started = Date.now();
    const res = await client(s.url, { retryBaseMs: 1 }).generate({ profile: 'coder', prompt: 'x' });
    expect(res.text).toBe('finally');
    expect(s.requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries HTTP 500 twice and then succeeds', async () => {
    let n = 0;
    const s = await start(() => (++n <= 2 ? { status: 500 } : { content: 'third time' }));
    const res = await client(s.url).generate({ profile: 'coder', prompt: 'x' });
    expect(res.text).toBe('third time');
    expect(s.requests).toHaveLength(3);
  });

  it('gives up after the configured retries with a retryable PROVIDER_ERROR', async () => {
    const s = await start(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    const err = await rejectionOf(client(s.url, { retries: 2 }).generate({ profile: 'coder', prompt: 'x' }));
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.retryable).toBe(true);
    expect(err.details.status).toBe(503);
    expect(err.message).toContain('overloaded');
    expect(err.details.attempts).toBe(3);
    expect(s.requests).toHaveLength(3);
  });

  it('fails at once on 401 with the provider message', async () => {
    const s = await start(() => ({ status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } }));
    const err = await rejectionOf(client(s.url).generate({ profile: 'coder', prompt: 'x', label: 'T2/edit' }));
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.retryable).toBe(false);
    expect(err.details.status).toBe(401);
    expect(err.message).toContain('Incorrect API key provided');
    expect(err.message).toContain('T2/edit');
    expect(err.hint).toMatch(/API key/);
    expect(s.requests).toHaveLength(1);
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs', async () => {
    const s = await start(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const err = await rejectionOf(client(s.url).generate({ profile: 'coder', prompt: 'x' }));
    expect(err.retryable).toBe(true);
    expect(err.details.retryAfterMs).toBe(3_600_000);
    expect(s.requests).toHaveLength(1);
  });

  it('retries an attempt that exceeds timeoutMs', async () => {
    let n = 0;
    const s = await start(async () => {
      if (++n === 1) await new Promise((r) => setTimeout(r, 600));
      return { content: 'fast now' };
    });
    const res = await client(s.url, { timeoutMs: 150 }).generate({ profile: 'coder', prompt: 'x' });
    expect(res.text).toBe('fast now');
    expect(s.requests).toHaveLength(2);
  });

  it('reports ABORTED when the caller aborts, without retrying', async () => {
    const s = await start(() => ({ content: 'too late' }), 1000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await rejectionOf(client(s.url).generate({ profile: 'coder', prompt: 'x', signal: controller.signal }));
    expect(err.code).toBe('ABORTED');
    expect(s.requests).toHaveLength(1);
  });

  it('marks a refused connection as a retryable PROVIDER_ERROR', async () => {
    const s = await start(() => ({ content: 'never' }));
    const url = s.url;
    await s.close();
    server = undefined;
    const err = await rejectionOf(client(url, { retries: 1 }).generate({ profile: 'coder', prompt: 'x' }));
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.retryable).toBe(true);
  });

  it('names the missing API key variable and sends nothing', async () => {
    const s = await start(() => ({ content: 'never' }));
    const err = await rejectionOf(client(s.url, { env: {} }).generate({ profile: 'coder', prompt: 'x' }));
    expect(err.code).toBe('MISSING_API_KEY');
    expect(err.message).toBe('model profile "coder" (openai) needs the environment variable OPENAI_API_KEY');
    expect(err.hint).toContain('OPENAI_API_KEY');
    const custom = await rejectionOf(
      client(s.url, { env: { OPENAI_API_KEY: 'sk-ignored' } }, { apiKeyEnv: 'MY_KEY' }).generate({ profile: 'coder', prompt: 'x' }),
    );
    expect(custom.code).toBe('MISSING_API_KEY');
    expect(custom.details.variable).toBe('MY_KEY');
    expect(s.requests).toHaveLength(0);
  });

  it('sends the key from apiKeyEnv', async () => {
    const s = await start(() => ({ content: 'ok' }));
    const res = await client(s.url, { env: { MY_KEY: 'sk-mine' } }, { apiKeyEnv: 'MY_KEY' }).generate({ profile: 'coder', prompt: 'x' });
    expect(res.text).toBe('ok');
  });

  it('rejects an unknown profile listing the known ones', async () => {
    const err = await rejectionOf(client('http://127.0.0.1:9/v1').generate({ profile: 'planner', prompt: 'x' }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('known profiles: coder, local');
  });

  it('rejects an openai-compatible profile without baseURL, and record together with replay', async () => {
    const c = new AiSdkModelClient({ profiles: { local: { provider: 'openai-compatible', model: 'm' } }, env: {} });
    const err = await rejectionOf(c.generate({ profile: 'local', prompt: 'x' }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('baseURL');
    expect(() => new AiSdkModelClient({ profiles: {}, record: 'a.json', replay: 'b.json' })).toThrow(/record and replay/);
  });
});

describe('AiSdkModelClient: tool calling', () => {
  const echoTool = (seen: unknown[]) => ({
    echo: {
      description: 'echoes its text',
      inputSchema: z.object({ text: z.string() }),
      execute: async (input: { text: string }) => {
        seen.push(input);
        return `echo ${input.text}`;
      },
    },
  });

  it('runs the loop: tool calls, then `tool` messages, then the answer; steps are summed into one usage', async () => {
    const s = await start(({ messages }) =>
      messages.some((m) => m.role === 'tool')
        ? { content: 'done', usage: { prompt_tokens: 30, completion_tokens: 5 } }
        : { toolCalls: [{ name: 'echo', arguments: { text: 'hi' } }], usage: { prompt_tokens: 20, completion_tokens: 10 } },
    );
    const seen: unknown[] = [];
    const res = await client(s.url).generate({ profile: 'coder', prompt: 'go', tools: { set: echoTool(seen), maxSteps: 4 } });
    expect(res.text).toBe('done');
    expect(res.steps).toBe(2);
    expect(res.usage).toMatchObject({ inputTokens: 50, outputTokens: 15, calls: 2 });
    expect(seen).toEqual([{ text: 'hi' }]);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0].tools[0].function.name).toBe('echo');
    const tool = s.requests[1].messages.find((m: { role: string }) => m.role === 'tool');
    expect(tool).toMatchObject({ role: 'tool', tool_call_id: 'call_1_0' });
    expect(JSON.stringify(tool.content)).toContain('echo hi');
  });

  it('stops after maxSteps requests, whatever the model asks', async () => {
    const s = await start(() => ({ toolCalls: [{ name: 'echo', arguments: { text: 'again' } }] }));
    const res = await client(s.url).generate({ profile: 'coder', prompt: 'go', tools: { set: echoTool([]), maxSteps: 3 } });
    expect(s.requests).toHaveLength(3);
    expect(res.steps).toBe(3);
    expect(res.usage.calls).toBe(3);
  });

  it('asks beforeStep before every step after the first; a throw stops the loop with it', async () => {
    const s = await start(() => ({ toolCalls: [{ name: 'echo', arguments: { text: 'x' } }] }));
    let asked = 0;
    const stop = () => {
      if (++asked === 2) throw new TaskgraphError('BUDGET_EXCEEDED', 'model calls limit reached');
    };
    const error = await rejectionOf(client(s.url).generate({ profile: 'coder', prompt: 'go', tools: { set: echoTool([]), maxSteps: 6, beforeStep: stop } }));
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(asked).toBe(2);
    expect(s.requests).toHaveLength(2);
  });
});
