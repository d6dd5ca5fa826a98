import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ModelProfile } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { AiSdkModelClient } from './ai-sdk-client.js';
import { Cassette, type CassetteFile } from './cassette.js';
import { rejectionOf } from '../../test/support/expect-error.js';

let dir: string;
let server: FakeOpenAIServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tg-cassette-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const Answer = z.object({ answer: z.number() });

function profiles(url: string): Record<string, ModelProfile> {
  return {
    coder: { provider: 'openai', model: 'gpt-test', baseURL: url, price: { input: 1, output: 1 } },
    local: { provider: 'openai-compatible', model: 'qwen', baseURL: url },
  };
}

describe('cassettes through AiSdkModelClient', () => {
  it('records live answers and replays them identically with the server closed and no API key', async () => {
    let n = 0;
    server = await startFakeOpenAIServer({
      respond: ({ messages }) => {
        n++;
        const last = messages.at(-1)?.content ?? '';
        return last.includes('JSON') ? { content: '{"answer": 42}' } : { content: `reply ${n} to ${last}` };
      },
    });
    const file = join(dir, 'run.cassette.json');
    const recorder = new AiSdkModelClient({ profiles: profiles(server.url), env: { OPENAI_API_KEY: 'sk-test' }, record: file });
    const text = await recorder.generate({ profile: 'coder', system: 'sys', prompt: 'say hi' });
    // saved after each call: the file exists before the second call
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as CassetteFile).entries)).toHaveLength(1);
    const structured = await recorder.generate({ profile: 'local', prompt: 'answer in JSON', schema: Answer });
    expect(structured.object).toEqual({ answer: 42 });
    expect(server.requests).toHaveLength(2);

    const url = server.url;
    await server.close();
    server = undefined;

    const saved = JSON.parse(readFileSync(file, 'utf8')) as CassetteFile;
    expect(saved.version).toBe(1);
    const keys = Object.keys(saved.entries);
    expect(keys).toHaveLength(2);
    expect(keys).toEqual([...keys].sort());
    expect(Object.values(saved.entries).map((e) => e.model).sort()).toEqual(['openai-compatible:qwen', 'openai:gpt-test']);
    expect(readdirSync(dir)).toEqual(['run.cassette.json']); // no temp files left behind

    const replayer = new AiSdkModelClient({ profiles: profiles(url), env: {}, replay: file });
    expect(await replayer.generate({ profile: 'coder', system: 'sys', prompt: 'say hi' })).toEqual(text);
    expect(await replayer.generate({ profile: 'local', prompt: 'answer in JSON', schema: Answer })).toEqual(structured);
    expect(text.text).toBe('reply 1 to say hi');
  });

  it('replays an invalid structured answer as MODEL_OUTPUT_INVALID again', async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ content: 'not json' }) });
    const file = join(dir, 'bad.json');
    const recorder = new AiSdkModelClient({ profiles: profiles(server.url), env: {}, record: file });
    const live = await rejectionOf(recorder.generate({ profile: 'local', prompt: 'p', schema: Answer }));
    await server.close();
    server = undefined;
    const replayer = new AiSdkModelClient({ profiles: profiles('http://127.0.0.1:9/v1'), replay: file });
    const replayed = await rejectionOf(replayer.generate({ profile: 'local', prompt: 'p', schema: Answer }));
    expect(live.code).toBe('MODEL_OUTPUT_INVALID');
    expect(replayed.code).toBe('MODEL_OUTPUT_INVALID');
    expect(replayed.details.text).toBe('not json');
  });

  it('recording into an existing cassette keeps its entries', async () => {
    server = await startFakeOpenAIServer({ respond: ({ messages }) => ({ content: messages.at(-1)?.content ?? '' }) });
    const file = join(dir, 'c.json');
    const env = { OPENAI_API_KEY: 'k' };
    await new AiSdkModelClient({ profiles: profiles(server.url), env, record: file }).generate({ profile: 'coder', prompt: 'one' });
    await new AiSdkModelClient({ profiles: profiles(server.url), env, record: file }).generate({ profile: 'coder', prompt: 'two' });
    expect(Cassette.load(file).size).toBe(2);
  });

  it('fails an unrecorded request with CASSETTE_MISS naming the label, hash and file', async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ content: 'recorded' }) });
    const file = join(dir, 'c.json');
    await new AiSdkModelClient({ profiles: profiles(server.url), env: { OPENAI_API_KEY: 'k' }, record: file }).generate({
      profile: 'coder',
      prompt: 'recorded prompt',
    });
    const replayer = new AiSdkModelClient({ profiles: profiles(server.url), env: {}, replay: file });
    const err = await rejectionOf(replayer.generate({ profile: 'coder', prompt: 'a different prompt', label: 'T3/edit' }));
    expect(err.code).toBe('CASSETTE_MISS');
    expect(err.message).toMatch(/^no recording for T3\/edit \(profile "coder"\) \(request [0-9a-f]{64}\) in /);
    expect(err.message).toContain(file);
    expect(err.details.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(err.hint).toBe('re-record with --record FILE against a live model or the fake server');
    // a different temperature is a different request too
    const hotter = new AiSdkModelClient({
      profiles: { coder: { ...profiles(server.url).coder!, temperature: 1 } },
      replay: file,
    });
    expect((await rejectionOf(hotter.generate({ profile: 'coder', prompt: 'recorded prompt' }))).code).toBe('CASSETTE_MISS');
    expect(server.requests).toHaveLength(1);
  });

  it('rejects malformed cassette files with a clear error', () => {
    const notJson = join(dir, 'a.json');
    writeFileSync(notJson, '{"version": 1, "entries": ');
    expect(() => new AiSdkModelClient({ profiles: {}, replay: notJson })).toThrow(/cassette .*a\.json is not valid JSON/);

    const wrongShape = join(dir, 'b.json');
    writeFileSync(wrongShape, JSON.stringify({ version: 2, entries: { abc: {} } }));
    let err: TaskgraphError | undefined;
    try {
      Cassette.load(wrongShape);
    } catch (e) {
      err = e as TaskgraphError;
    }
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toContain('b.json is malformed');
    expect(err?.details.issues).toEqual(expect.arrayContaining([expect.stringMatching(/^version: /)]));
    expect(err?.hint).toContain('re-record');

    expect(() => Cassette.load(join(dir, 'missing.json'))).toThrow(/does not exist/);
    // record mode never overwrites a malformed file
    expect(() => new AiSdkModelClient({ profiles: {}, record: wrongShape })).toThrow(/malformed/);
  });
});
