import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { sha256 } from '../core/hash.js';
import { Engine } from '../engine/engine.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { Cassette, decodeJson, encodeJson } from '../llm/cassette.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { BLOB_THRESHOLD_BYTES } from '../store/store.js';
import { type FakeOpenAIServer, startFakeOpenAIServer } from '../testing/fake-openai-server.js';
import { defaultRegistry } from './index.js';

// what the fake's media routes answer: a PNG (signature + filler), MP3 audio (ID3 tag + filler,
// over the blob threshold), and a transcript naming the SHA-256 of the audio it received
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(600, 7)]);
// (an empty ID3v2.4 tag, then an MPEG-1 Layer III frame header 0xFFFB9064: how the AI SDK detects audio/mpeg)
const MP3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(100 * 1024, 0x55)]);
// bytes whose base64 reads like a Google API key (`/AIza` + 35 characters)
const TRAP = Buffer.from(`AAAA/AIza${'S'.repeat(35)}/AAAAAAA`, 'base64');
const dir = mkdtempSync(join(tmpdir(), 'tg-media-'));
const cassette = join(dir, 'media.cassette.json');
let fake: FakeOpenAIServer;

beforeAll(async () => {
  fake = await startFakeOpenAIServer({
    respond: () => ({ status: 500 }),
    media: {
      image: (body) => (String(body.prompt).includes('refuse') ? { status: 400 } : { images: [PNG], usage: { input_tokens: 12, output_tokens: 0 } }),
      speech: () => ({ audio: MP3 }),
      transcription: (req) => ({ text: `heard ${req.file.length} bytes ${sha256(req.file).slice(0, 12)}`, language: 'english', duration: 7.5 }),
    },
  });
});
afterAll(async () => {
  await fake.close().catch(() => undefined);
});

const config = () =>
  ProjectConfigSchema.parse({
    models: {
      image: { provider: 'openai', model: 'dall-e-3', baseURL: fake.url, media: 'image', mediaPrice: { perImage: 0.04 } },
      speech: { provider: 'openai', model: 'tts-1', baseURL: fake.url, media: 'speech', mediaPrice: { perCharacter: 0.000015 } },
      transcribe: { provider: 'openai', model: 'whisper-1', baseURL: fake.url, media: 'transcription' },
    },
  });

const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwx0123';
const TEXT = `Welcome to taskgraph. Never say ${SECRET}.`;
const GRAPH: GraphSpecInput = {
  nodes: [
    { id: 'subject', kind: 'script', config: { fn: 'echo', args: 'a lighthouse at dusk' } },
    { id: 'pic', kind: 'image', config: { prompt: 'A watercolour of {{subject}}', size: '1024x1024' }, inputs: { subject: { $ref: 'subject' } } },
    { id: 'say', kind: 'speech', config: { text: TEXT, voice: 'nova' } },
    { id: 'hear', kind: 'transcribe', inputs: { audio: { $ref: 'say' } } },
  ],
};

async function run(store: SqliteStore, models: AiSdkModelClient, graph: GraphSpecInput = GRAPH) {
  const { executors, scripts } = defaultRegistry();
  const summary = await new Engine({ store, executors, scripts, projectDir: dir, config: config(), models }).start({ graph, command: 'test' });
  return { summary, attempt: async (id: string) => (await store.listAttempts(summary.runId, id)).at(-1)! };
}

const env = { OPENAI_API_KEY: 'sk-test-media-key-0000' };

describe('media nodes (image, speech, transcribe) against the loopback OpenAI fake', () => {
  const dbPath = join(dir, 'live.db');
  const outputs: Record<string, unknown> = {};

  it('generates, records usage and cost, keeps large audio in the blob table, hits the cache on re-run, and records a cassette', async () => {
    const store = SqliteStore.open(dbPath);
    await store.migrate();
    const models = new AiSdkModelClient({ profiles: config().models, env, record: cassette, retries: 0 });
    const first = await run(store, models);
    expect(first.summary.status).toBe('succeeded');

    const pic = await first.attempt('pic');
    expect(pic.output).toEqual({ mediaType: 'image/png', data: PNG.toString('base64'), bytes: PNG.length, sha256: sha256(PNG), cost: 'priced' });
    expect(pic.usage).toMatchObject({ calls: 1, inputTokens: 12, costUsd: 0.04, model: 'openai:dall-e-3' });
    const say = await first.attempt('say');
    expect(say.output).toEqual({ mediaType: 'audio/mpeg', data: MP3.toString('base64'), bytes: MP3.length, sha256: sha256(MP3), format: 'mp3', cost: 'priced' });
    // the text is redacted before it leaves: the server (and the cassette) never sees the key
    const spoken = String(fake.mediaRequests.find((r) => r.path === '/v1/audio/speech')!.body.input);
    expect(spoken).toContain('Welcome to taskgraph. Never say ');
    expect(spoken).not.toContain(SECRET);
    expect(say.usage?.costUsd).toBeCloseTo(spoken.length * 0.000015, 12);
    const hear = await first.attempt('hear');
    // the upstream audio reached the server byte for byte; whisper's verbose answer gives language and duration
    expect(hear.output).toEqual({ text: `heard ${MP3.length} bytes ${sha256(MP3).slice(0, 12)}`, language: 'en', durationSec: 7.5, cost: 'unknown' });
    expect(hear.usage).toMatchObject({ calls: 1, costUsd: 0, model: 'openai:whisper-1' });
    for (const id of ['pic', 'say', 'hear']) outputs[id] = (await first.attempt(id)).output;

    // the requests as the OpenAI reference shapes them
    const byPath = (p: string) => fake.mediaRequests.filter((r) => r.path === p).map((r) => r.body);
    expect(byPath('/v1/images/generations')).toEqual([expect.objectContaining({ model: 'dall-e-3', prompt: 'A watercolour of a lighthouse at dusk', n: 1, size: '1024x1024', response_format: 'b64_json' })]);
    expect(byPath('/v1/audio/speech')).toEqual([expect.objectContaining({ model: 'tts-1', input: spoken, voice: 'nova', response_format: 'mp3' })]);
    expect(byPath('/v1/audio/transcriptions')).toEqual([expect.objectContaining({ model: 'whisper-1', response_format: 'verbose_json', file: { filename: 'audio.mp3', bytes: MP3.length, mediaType: 'audio/mpeg' } })]);

    // outputs over the threshold live once in the blob table: the speech audio (and the transcript's input is a ref, not a copy)
    const db = new Database(dbPath, { readonly: true });
    try {
      const blobs = db.prepare('SELECT size FROM blobs').all() as { size: number }[];
      expect(blobs.length).toBe(1);
      expect(blobs[0]!.size).toBeGreaterThan(BLOB_THRESHOLD_BYTES);
    } finally {
      db.close();
    }

    // re-run: every media node is a cache hit and the server hears nothing
    const sent = fake.mediaRequests.length;
    const second = await run(store, models);
    expect(second.summary.counts.cached).toBe(4);
    expect(fake.mediaRequests.length).toBe(sent);
    // another voice is another cache key: speech runs again; the same audio back means transcribe is cut off early
    const third = await run(store, models, { nodes: GRAPH.nodes.map((n) => (n.id === 'say' ? { ...n, config: { ...n.config, voice: 'alloy' } } : n)) });
    expect(third.summary.status).toBe('succeeded');
    expect(fake.mediaRequests.slice(sent).map((r) => r.path)).toEqual(['/v1/audio/speech']);

    // the cassette holds the three exchanges (and the alloy one), binary data as base64
    const file = JSON.parse(readFileSync(cassette, 'utf8')) as { entries: Record<string, { kind?: string; media?: any }> };
    const media = Object.values(file.entries);
    expect(media.map((e) => e.kind).sort()).toEqual(['image', 'speech', 'speech', 'transcription']);
    expect(media.find((e) => e.kind === 'speech')!.media.audio).toEqual({ $bytes: MP3.toString('base64') });
    expect(JSON.stringify(file)).not.toContain(env.OPENAI_API_KEY);
    expect(JSON.stringify(file)).not.toContain(SECRET);
    store.close();
  });

  it('replays the cassette with the server down: same outputs and usage, and a request it lacks is a CASSETTE_MISS', async () => {
    await fake.close();
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const models = new AiSdkModelClient({ profiles: config().models, env: {}, replay: cassette, retries: 0 });
    const replayed = await run(store, models);
    expect(replayed.summary.status).toBe('succeeded');
    for (const id of ['pic', 'say', 'hear']) expect((await replayed.attempt(id)).output).toEqual(outputs[id]);
    expect((await replayed.attempt('pic')).usage).toMatchObject({ inputTokens: 12, costUsd: 0.04 });

    const miss = await run(store, models, { nodes: [{ id: 'pic2', kind: 'image', config: { prompt: 'never recorded' } }] });
    expect(miss.summary.status).toBe('failed');
    expect((await miss.attempt('pic2')).error).toMatchObject({ code: 'CASSETTE_MISS' });
    store.close();
  });

  it('transcribes a project audio file keyed by its content, and refuses audio outside the project or a profile of another kind', async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const models = new AiSdkModelClient({ profiles: config().models, env: {}, replay: cassette, retries: 0 });
    const { executors, scripts } = defaultRegistry();
    const engine = () => new Engine({ store, executors, scripts, projectDir: dir, config: config(), models });
    const node = { id: 'hear', kind: 'transcribe' as const, config: { file: 'talk.mp3' } };
    const key = async (): Promise<string> => (await executors.get('transcribe')!.keyIngredients!(node.config as never, {}, { node, projectDir: dir, workspace: undefined, config: config() } as never))['audio'] as string;
    writeFileSync(join(dir, 'talk.mp3'), MP3);
    const before = await key();
    expect(before).toBe(sha256(MP3));
    // the file holds the recorded audio: the replayed transcript is the one recorded for that SHA-256
    const fromFile = await engine().start({ graph: { nodes: [node] }, command: 'test' });
    expect(fromFile.status).toBe('succeeded');
    expect((await store.listAttempts(fromFile.runId, 'hear')).at(-1)!.output).toEqual(outputs['hear']);
    writeFileSync(join(dir, 'talk.mp3'), Buffer.concat([MP3, Buffer.from([1])]));
    expect(await key()).not.toBe(before);

    const outside = await engine().start({ graph: { nodes: [{ id: 'x', kind: 'transcribe', config: { file: '../elsewhere.mp3' } }] }, command: 'test' });
    expect((await store.listAttempts(outside.runId, 'x')).at(-1)?.error).toMatchObject({ code: 'CONFIG_INVALID' });
    const wrongKind = await engine().start({ graph: { nodes: [{ id: 'y', kind: 'image', config: { prompt: 'p', profile: 'speech' } }] }, command: 'test' });
    const error = (await store.listAttempts(wrongKind.runId, 'y')).at(-1)?.error;
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(error?.message).toContain('"speech" is not a image model');
    await expect(models.generate({ profile: 'image', prompt: 'hello' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('is a image model, not a language model') });
    // audio whose data no longer matches its sha256 (e.g. altered on the way) is refused before any call
    const altered = await engine().start({ graph: { nodes: [{ id: 'z', kind: 'transcribe', inputs: { audio: { mediaType: 'audio/mpeg', data: TRAP.toString('base64'), sha256: sha256(MP3) } } }] }, command: 'test' });
    expect((await store.listAttempts(altered.runId, 'z')).at(-1)?.error?.message).toContain('does not match its sha256');
    store.close();
  });

  it('a cassette redacts a media entry but leaves its binary alone, even bytes whose base64 looks like a key', () => {
    expect(TRAP.toString('base64')).toContain('/AIzaSSS');
    const tape = Cassette.create(join(dir, 'unit.cassette.json'));
    tape.set('0'.repeat(64), { model: 'openai:tts-1', kind: 'speech', request: { text: `say ${SECRET}` }, media: { audio: encodeJson(TRAP), images: [TRAP.toString('base64')], warnings: [`echo ${SECRET}`] } });
    const entry = tape.getMedia('0'.repeat(64))!;
    expect(JSON.stringify(entry)).not.toContain(SECRET);
    expect(decodeJson((entry.media as { audio: unknown }).audio)).toEqual(new Uint8Array(TRAP));
    expect((entry.media as { images: string[] }).images).toEqual([TRAP.toString('base64')]);
    expect(tape.get('0'.repeat(64))).toBeUndefined();
  });
});
