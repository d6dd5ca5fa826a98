import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ModelProfile } from '../core/config.js';
import { startFakeOpenAIServer, type FakeOpenAIServer, type FakeReply, type FakeRequest } from '../testing/fake-openai-server.js';
import { AiSdkModelClient, type AiSdkModelClientOptions } from './ai-sdk-client.js';
import { rejectionOf } from '../../test/support/expect-error.js';

/**
 * Plain text requests with `onDelta` stream (`streamText`) over the loopback fake server, and end
 * exactly as the same request without `onDelta` (`generateText`): text, usage, errors, retries.
 * Structured output and cassettes do not stream.
 */
let server: FakeOpenAIServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function start(respond: (req: FakeRequest) => FakeReply | Promise<FakeReply>): Promise<FakeOpenAIServer> {
  server = await startFakeOpenAIServer({ respond });
  return server;
}

function client(url: string, extra: Partial<AiSdkModelClientOptions> = {}): AiSdkModelClient {
  return new AiSdkModelClient({
    profiles: {
      coder: { provider: 'openai', model: 'gpt-test', baseURL: url, price: { input: 2, output: 8 } } as ModelProfile,
      local: { provider: 'openai-compatible', model: 'qwen-local', baseURL: url },
    },
    env: { OPENAI_API_KEY: 'sk-test' },
    retryBaseMs: 5,
    ...extra,
  });
}

/** A listener that records every chunk with its restart flag. */
function recorder() {
  const chunks: Array<[string, boolean]> = [];
  return { chunks, onDelta: (text: string, restart: boolean) => void chunks.push([text, restart]) };
}

const ANSWER = 'The quick brown fox jumps over the lazy dog, then writes a unified diff of 80 characters.';

describe('AiSdkModelClient streaming plain text (onDelta)', () => {
  for (const profile of ['coder', 'local']) {
    it(`streams the answer in chunks and returns what generateText returns (${profile})`, async () => {
      const s = await start(() => ({ content: ANSWER, usage: { prompt_tokens: 1000, completion_tokens: 500 } }));
      const plain = await client(s.url).generate({ profile, system: 'be brief', prompt: 'hello' });
      const r = recorder();
      const streamed = await client(s.url).generate({ profile, system: 'be brief', prompt: 'hello', onDelta: r.onDelta });
      expect(streamed).toStrictEqual(plain);
      expect(streamed.text).toBe(ANSWER);
      // the fake sends 16 characters per chunk
      expect(r.chunks.length).toBe(Math.ceil(ANSWER.length / 16));
      expect(r.chunks.map(([t]) => t).join('')).toBe(ANSWER);
      expect(r.chunks.every(([, restart]) => !restart)).toBe(true);
      expect(s.requests.map((b) => b.stream === true)).toEqual([false, true]);
      expect(s.requests[1].messages).toEqual(s.requests[0].messages);
    });
  }

  it('retries a stream cut mid-answer; the retried try restarts the text', async () => {
    let n = 0;
    const s = await start(() => (++n === 1 ? { content: ANSWER, dropAfterChunks: 2 } : { content: ANSWER }));
    const r = recorder();
    const res = await client(s.url).generate({ profile: 'coder', prompt: 'x', onDelta: r.onDelta });
    expect(res.text).toBe(ANSWER);
    expect(s.requests).toHaveLength(2);
    expect(r.chunks.slice(0, 2)).toEqual([[ANSWER.slice(0, 16), false], [ANSWER.slice(16, 32), false]]);
    expect(r.chunks[2]).toEqual([ANSWER.slice(0, 16), true]);
    expect(r.chunks.slice(3).every(([, restart]) => !restart)).toBe(true);
    expect(r.chunks.slice(2).map(([t]) => t).join('')).toBe(ANSWER);
  });

  it('fails and retries HTTP errors exactly as without streaming', async () => {
    let n = 0;
    const s = await start(() => (++n <= 2 ? { status: 500 } : { content: 'third time' }));
    const r = recorder();
    expect((await client(s.url).generate({ profile: 'coder', prompt: 'x', onDelta: r.onDelta })).text).toBe('third time');
    expect(s.requests).toHaveLength(3);
    expect(r.chunks).toEqual([['third time', false]]);

    const t = await start(() => ({ status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } }));
    const plain = await rejectionOf(client(t.url).generate({ profile: 'coder', prompt: 'x', label: 'T2/edit' }));
    const streamed = await rejectionOf(client(t.url).generate({ profile: 'coder', prompt: 'x', label: 'T2/edit', onDelta: r.onDelta }));
    expect(streamed.code).toBe('PROVIDER_ERROR');
    expect(streamed.message).toBe(plain.message);
    expect(streamed.retryable).toBe(false);
    expect(streamed.details).toStrictEqual(plain.details);
    expect(streamed.hint).toBe(plain.hint);

    const u = await start(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    const gaveUp = await rejectionOf(client(u.url, { retries: 1 }).generate({ profile: 'coder', prompt: 'x', onDelta: r.onDelta }));
    expect(gaveUp).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
    expect(gaveUp.details).toMatchObject({ status: 503, attempts: 2, usage: { calls: 1 } });
  });

  it('reports ABORTED when the caller aborts a stream', async () => {
    const s = await start(async () => {
      await new Promise((r) => setTimeout(r, 1000));
      return { content: 'too late' };
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const r = recorder();
    const err = await rejectionOf(client(s.url).generate({ profile: 'coder', prompt: 'x', signal: controller.signal, onDelta: r.onDelta }));
    expect(err.code).toBe('ABORTED');
    expect(r.chunks).toEqual([]);
  });

  it('does not stream structured output', async () => {
    const s = await start(() => ({ content: '{"answer": 42}' }));
    const r = recorder();
    const res = await client(s.url).generate({ profile: 'coder', prompt: 'JSON please', schema: z.object({ answer: z.number() }), onDelta: r.onDelta });
    expect(res.object).toEqual({ answer: 42 });
    expect(r.chunks).toEqual([]);
    expect(s.requests[0].stream).toBeUndefined();
  });

  it('does not stream with a cassette: records and replays the whole answer, no deltas', async () => {
    const s = await start(() => ({ content: ANSWER }));
    dir = mkdtempSync(join(tmpdir(), 'tg-stream-'));
    const file = join(dir, 'c.json');
    const r = recorder();
    const recorded = await client(s.url, { record: file }).generate({ profile: 'coder', prompt: 'x', onDelta: r.onDelta });
    expect(recorded.text).toBe(ANSWER);
    expect(s.requests[0].stream).toBeUndefined();
    const replayed = await client(s.url, { replay: file }).generate({ profile: 'coder', prompt: 'x', onDelta: r.onDelta });
    expect(replayed).toStrictEqual(recorded);
    expect(r.chunks).toEqual([]);
    expect(s.requests).toHaveLength(1);
  });
});
