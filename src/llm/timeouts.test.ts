import { afterEach, describe, expect, it } from 'vitest';
import type { ModelProfile } from '../core/config.js';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeReply } from '../testing/fake-openai-server.js';
import { AiSdkModelClient } from './ai-sdk-client.js';
import { profileTimeouts } from './providers.js';
import { rejectionOf } from '../../test/support/expect-error.js';

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(reply: () => FakeReply): Promise<FakeOpenAIServer> {
  server = await startFakeOpenAIServer({ respond: reply });
  return server;
}

function client(url: string, profile: Partial<ModelProfile>, retries = 0): AiSdkModelClient {
  return new AiSdkModelClient({
    profiles: { coder: { provider: 'openai-compatible', model: 'm', baseURL: url, ...profile } as ModelProfile },
    env: {},
    retries,
    retryBaseMs: 1,
    retryMaxMs: 5,
  });
}

describe('model-call timeouts (total and idle, per profile)', () => {
  it('fails a server that never answers after the idle timeout, each retry bounded the same way', async () => {
    const s = await start(() => ({ noAnswer: true }));
    const started = Date.now();
    const err = await rejectionOf(client(s.url, { idleTimeoutMs: 200, timeoutMs: 60_000 }, 2).generate({ profile: 'coder', prompt: 'x', label: 'T1/edit' }));
    const elapsed = Date.now() - started;
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.retryable).toBe(true);
    expect(err.details).toMatchObject({ timeout: 'idle', timeoutMs: 200, attempts: 3 });
    expect(err.message).toContain('T1/edit');
    expect(err.message).toContain('sent nothing for 200 ms');
    expect(err.hint).toContain('models.coder.idleTimeoutMs');
    expect(s.requests).toHaveLength(3);
    // (retries + 1) x idle, plus tiny backoffs: far from undici's 300 s per try
    expect(elapsed).toBeGreaterThanOrEqual(3 * 200 - 20);
    expect(elapsed).toBeLessThan(15_000);
    // the failed call was sent: it is a model call with no tokens
    expect(err.details.usage).toMatchObject({ calls: 1, inputTokens: 0, outputTokens: 0 });
  });

  it('fails a server that trickles one byte at a time at the total timeout, though it is never idle', async () => {
    const s = await start(() => ({ content: 'a slow answer', trickleMs: 40 }));
    const err = await rejectionOf(client(s.url, { idleTimeoutMs: 1_000, timeoutMs: 700 }).generate({ profile: 'coder', prompt: 'x' }));
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.details).toMatchObject({ timeout: 'total', timeoutMs: 700 });
    expect(err.hint).toContain('models.coder.timeoutMs');
    expect(s.requests).toHaveLength(1);
  });

  it('restarts the idle timer on every body chunk: a steady trickle inside the total timeout succeeds', async () => {
    const s = await start(() => ({ content: 'ok', trickleMs: 4, usage: { prompt_tokens: 3, completion_tokens: 1 } }));
    const res = await client(s.url, { idleTimeoutMs: 250, timeoutMs: 60_000 }).generate({ profile: 'coder', prompt: 'x' });
    expect(res.text).toBe('ok');
    expect(res.usage).toMatchObject({ inputTokens: 3, outputTokens: 1, calls: 1 });
  });

  it('a caller abort is ABORTED, not a timeout, and is not retried', async () => {
    const controller = new AbortController();
    const s = await start(() => {
      setTimeout(() => controller.abort(), 20); // once the request is in
      return { noAnswer: true };
    });
    const err = await rejectionOf(client(s.url, { idleTimeoutMs: 5_000 }, 3).generate({ profile: 'coder', prompt: 'x', signal: controller.signal }));
    expect(err.code).toBe('ABORTED');
    expect(s.requests).toHaveLength(1);
  });

  it('takes the profile timeouts, else the client defaults, else 300 s total and 60 s idle', () => {
    const p = { provider: 'openai', model: 'm' } as ModelProfile;
    expect(profileTimeouts(p)).toEqual({ totalMs: 300_000, idleMs: 60_000 });
    expect(profileTimeouts(p, { timeoutMs: 5, idleTimeoutMs: 6 })).toEqual({ totalMs: 5, idleMs: 6 });
    expect(profileTimeouts({ ...p, timeoutMs: 7, idleTimeoutMs: 8 }, { timeoutMs: 5, idleTimeoutMs: 6 })).toEqual({ totalMs: 7, idleMs: 8 });
  });
});
