import { describe, expect, it } from 'vitest';
import type { Json } from '../core/json.js';
import { BLOB_THRESHOLD_BYTES, type AttemptFinish } from './store.js';
import {
  attemptStart, boundaryOutputs, cacheEntry, finishedAttempt, jsonBytes, largeOutput, nodeState, run, usage, type StoreHolder,
} from './store-fixtures.case.js';

/**
 * Conformance cases for outputs larger than {@link BLOB_THRESHOLD_BYTES} (see `store.case.ts`).
 * Where a store keeps them is its business; these cases check that every write and read path
 * gives back exactly the JSON value written, for one large output, for many equal ones, and at
 * the threshold's edge.
 */
export function outputCases(h: StoreHolder): void {
  describe('large outputs', () => {
    it('the fixtures are on the intended side of the threshold', () => {
      expect(jsonBytes(largeOutput('a'))).toBeGreaterThan(100 * 1024);
      const { atLimit, overLimit } = boundaryOutputs();
      for (const o of atLimit) expect(jsonBytes(o)).toBe(BLOB_THRESHOLD_BYTES);
      for (const o of overLimit) expect(jsonBytes(o)).toBe(BLOB_THRESHOLD_BYTES + 1);
    });

    it('round-trip exactly through startAttempt/finishAttempt, getCache, listAttempts and lastSuccessfulAttempt', async () => {
      await h.store.createRun(run('r1'));
      const output = largeOutput('finish');
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      const finish: AttemptFinish = {
        seq: a.seq, status: 'succeeded', output, outputHash: 'h-big', usage: usage(), finishedAt: '2025-02-01T00:00:03.000Z', durationMs: 5,
        node: nodeState('r1', 'a', 'succeeded'), cache: cacheEntry(a, output),
      };
      await h.store.finishAttempt(finish);
      const [back] = await h.store.listAttempts('r1');
      expect(back?.output).toStrictEqual(output);
      expect(JSON.stringify(back?.output)).toHaveLength(JSON.stringify(output).length);
      expect((await h.store.listAttempts('r1', 'a'))[0]?.output).toStrictEqual(output);
      expect(await h.store.getCache(a.cacheKey)).toStrictEqual(finish.cache);
      expect((await h.store.lastSuccessfulAttempt('a'))?.output).toStrictEqual(output);
    });

    it('round-trip exactly through recordFinishedAttempt and recordCacheHit', async () => {
      await h.store.createRun(run('r1'));
      const output = largeOutput('finished');
      const attempt = finishedAttempt('r1', 'a', 'succeeded', { output, outputHash: 'h-big' });
      const entry = cacheEntry(attempt, output);
      const done = await h.store.recordFinishedAttempt(attempt, nodeState('r1', 'a', 'succeeded'), { cache: entry });
      const cachedFrom = await h.store.getCache(attempt.cacheKey);
      expect(cachedFrom).toStrictEqual(entry);
      const hit = await h.store.recordCacheHit(
        { ...finishedAttempt('r1', 'b', 'cached'), output: cachedFrom?.output ?? null, outputHash: 'h-big' },
        nodeState('r1', 'b', 'cached'),
      );
      expect(await h.store.listAttempts('r1')).toStrictEqual([done, hit]);
      expect(hit.output).toStrictEqual(output);
    });

    it('many attempts and cache entries with equal or different large outputs each read back as written', async () => {
      await h.store.createRun(run('r1'));
      const shared = largeOutput('shared');
      // equal as JSON but built with another key order: must come back deep-equal as well
      const reordered = Object.fromEntries(Object.entries(shared as Record<string, Json>).reverse()) as Json;
      const other = largeOutput('other', 3);
      const outputs: Json[] = [shared, reordered, other, shared, 'small', largeOutput('third')];
      const written = [];
      for (const [i, output] of outputs.entries()) {
        const attempt = finishedAttempt('r1', `n${i}`, 'succeeded', { output });
        written.push(await h.store.recordFinishedAttempt(attempt, nodeState('r1', `n${i}`, 'succeeded'), { cache: cacheEntry(attempt, output) }));
      }
      const back = await h.store.listAttempts('r1');
      expect(back).toStrictEqual(written);
      for (const [i, a] of back.entries()) {
        expect(a.output).toStrictEqual(outputs[i]);
        expect((await h.store.getCache(a.cacheKey))?.output).toStrictEqual(outputs[i]);
      }
    });

    it('outputs at the threshold and one byte over it round-trip (ASCII, 2- and 4-byte characters)', async () => {
      await h.store.createRun(run('r1'));
      const { atLimit, overLimit } = boundaryOutputs();
      for (const [i, output] of [...atLimit, ...overLimit].entries()) {
        const attempt = finishedAttempt('r1', `edge${i}`, 'succeeded', { output });
        await h.store.recordFinishedAttempt(attempt, nodeState('r1', `edge${i}`, 'succeeded'), { cache: cacheEntry(attempt, output) });
        expect((await h.store.listAttempts('r1', `edge${i}`))[0]?.output).toBe(output);
        expect((await h.store.getCache(attempt.cacheKey))?.output).toBe(output);
      }
    });

    it('a cache entry replaced by one with a large output, then by a small one, reads back the latest', async () => {
      await h.store.createRun(run('r1'));
      const a = finishedAttempt('r1', 'a', 'succeeded', { output: 'small' });
      await h.store.recordFinishedAttempt(a, nodeState('r1', 'a', 'succeeded'), { cache: cacheEntry(a, 'small') });
      const big = largeOutput('replacement');
      await h.store.recordFinishedAttempt({ ...a, number: 2, output: big }, nodeState('r1', 'a', 'succeeded', 2), { cache: cacheEntry(a, big) });
      expect((await h.store.getCache(a.cacheKey))?.output).toStrictEqual(big);
      await h.store.recordFinishedAttempt({ ...a, number: 3, output: 'tiny' }, nodeState('r1', 'a', 'succeeded', 3), { cache: cacheEntry(a, 'tiny') });
      expect((await h.store.getCache(a.cacheKey))?.output).toBe('tiny');
      expect((await h.store.listAttempts('r1')).map((x) => x.output)).toStrictEqual(['small', big, 'tiny']);
    });
  });
}
