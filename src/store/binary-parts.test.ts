import { describe, expect, it } from 'vitest';
import type { Json } from '../core/json.js';
import { liftBinaryParts } from './binary-parts.js';
import { SqliteStore } from './sqlite-store.js';
import { finishedAttempt, nodeState, run } from './store-fixtures.case.js';

/**
 * Image and audio payloads survive the store's secret redaction byte for byte (issue 16: a
 * key-shaped run inside base64 was replaced, corrupting the file), while a key in any other
 * string — a `data` field that is not such a payload included — is still redacted.
 */
describe('binary media payloads in outputs', () => {
  const key = `AIza${'Sy0123456789abcdefghijklmnopqrstuvw'}`; // a Google API key's shape: AIza + 35
  // a PNG signature, then bytes whose base64 holds the key-shaped run right after a '/' (a word boundary)
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]), Buffer.from([0, 0, 0x3f]), Buffer.from(key, 'base64'), Buffer.alloc(64, 7)]);
  const data = png.toString('base64');

  it('keeps a PNG payload exact and still redacts keys elsewhere', async () => {
    expect(data).toContain('/AIza'); // the hazard is real: see 'plain' below
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    try {
      await store.createRun(run('R1'));
      const output: Json = {
        image: { mediaType: 'image/png', data },
        note: `made with ${key}`,
        fake: { mediaType: 'image/png', data: key }, // not a PNG: redacted
        plain: { data },
      };
      await store.recordFinishedAttempt(finishedAttempt('R1', 'shot', 'succeeded', { output }), nodeState('R1', 'shot', 'succeeded'));
      const [stored] = await store.listAttempts('R1', 'shot');
      const back = stored!.output as Record<string, Record<string, string> | string>;
      expect((back['image'] as Record<string, string>)['data']).toBe(data);
      expect(Buffer.from((back['image'] as Record<string, string>)['data']!, 'base64').equals(png)).toBe(true);
      expect(back['note']).not.toContain(key);
      expect((back['fake'] as Record<string, string>)['data']).not.toContain(key);
      expect((back['plain'] as Record<string, string>)['data']).not.toContain('AIza'); // no mediaType: redacted as before
    } finally {
      await store.close();
    }
  });

  it('lifts only image/audio objects whose bytes start like such a file', () => {
    expect(liftBinaryParts({ a: 1, b: ['x'] })).toBeUndefined();
    expect(liftBinaryParts({ mediaType: 'text/plain', data })).toBeUndefined();
    const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVE'), Buffer.alloc(20)]).toString('base64');
    expect(liftBinaryParts([{ mediaType: 'audio/wav', data: wav }])?.parts).toStrictEqual([wav]);
  });
});
