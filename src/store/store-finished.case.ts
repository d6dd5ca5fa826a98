import { describe, expect, it } from 'vitest';
import type { AttemptRecord, CacheEntry } from './store.js';
import {
  attemptStart, cacheEntry, expectCode, finishedAttempt, nodeState, run, type StoreHolder,
} from './store-fixtures.case.js';

const WS = { head: '3'.repeat(40), tree: '4'.repeat(40) };

/** Conformance cases for {@link import('./store.js').Store.recordFinishedAttempt} (see `store.case.ts`). */
export function finishedAttemptCases(h: StoreHolder): void {
  describe('recordFinishedAttempts (group commit)', () => {
    it('writes a batch in order in one transaction, and nothing of it when one item fails', async () => {
      await h.store.createRun(run('r1'));
      const a = finishedAttempt('r1', 'a', 'succeeded', { output: 1, outputHash: 'h-a' });
      const b = finishedAttempt('r1', 'b', 'cached', { output: 2, outputHash: 'h-b' });
      const written = await h.store.recordFinishedAttempts([
        { attempt: a, node: nodeState('r1', 'a', 'succeeded'), extras: { cache: cacheEntry(a, 1) } },
        { attempt: b, node: nodeState('r1', 'b', 'cached') },
      ]);
      expect(written.map((x) => x.nodeId)).toStrictEqual(['a', 'b']);
      expect(written[0]!.seq).toBeLessThan(written[1]!.seq);
      expect(await h.store.listAttempts('r1')).toStrictEqual(written);
      expect(await h.store.getCache(a.cacheKey)).toStrictEqual(cacheEntry(a, 1));
      expect(await h.store.recordFinishedAttempts([])).toStrictEqual([]);

      const c = finishedAttempt('r1', 'c', 'succeeded', { output: 3, outputHash: 'h-c' });
      const ghost = finishedAttempt('no-such-run', 'd', 'succeeded', { output: 4, outputHash: 'h-d' });
      await expectCode(
        h.store.recordFinishedAttempts([
          { attempt: c, node: nodeState('r1', 'c', 'succeeded') },
          { attempt: ghost, node: nodeState('no-such-run', 'd', 'succeeded') },
        ]),
        'NOT_FOUND',
      );
      expect((await h.store.listAttempts('r1')).map((x) => x.nodeId)).toStrictEqual(['a', 'b']);
    });
  });

  describe('recordFinishedAttempt', () => {
    it('writes a succeeded attempt, its node, its cache entry and the run workspace in one step', async () => {
      await h.store.createRun(run('r1'));
      const output = { stdout: 'built', files: ['a.ts', 'b.ts'], code: 0 };
      const attempt = finishedAttempt('r1', 'b', 'succeeded', { output, outputHash: 'h-b', workspaceAfter: WS });
      const entry = cacheEntry(attempt, output);
      const back = await h.store.recordFinishedAttempt(attempt, { ...nodeState('r1', 'b', 'succeeded'), task: 'T1' }, { cache: entry, runWorkspace: WS });

      expect(back).toStrictEqual({ ...attempt, seq: back.seq });
      expect(await h.store.listAttempts('r1')).toStrictEqual([back]);
      expect((await h.store.listRunNodes('r1'))[1]).toStrictEqual({
        runId: 'r1', nodeId: 'b', status: 'succeeded', attempts: 1, task: 'T1', lastAttemptSeq: back.seq,
      });
      expect(await h.store.getCache(attempt.cacheKey)).toStrictEqual(entry);
      expect((await h.store.getRun('r1'))?.workspace).toStrictEqual(WS);
      expect(await h.store.lastSuccessfulAttempt('b')).toStrictEqual(back);
    });

    it('records failed, suspended, cached and interrupted attempts; extras are optional', async () => {
      await h.store.createRun(run('r1'));
      const error = { code: 'NODE_FAILED' as const, message: 'script threw', retryable: false, details: { line: 3 } };
      const failed = await h.store.recordFinishedAttempt(
        finishedAttempt('r1', 'a', 'failed', { error, output: null }),
        nodeState('r1', 'a', 'failed'),
      );
      const suspended = await h.store.recordFinishedAttempt(
        finishedAttempt('r1', 'b', 'suspended', { suspendReason: 'approve the plan?', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 } }),
        nodeState('r1', 'b', 'suspended'),
        {},
      );
      const cached = await h.store.recordFinishedAttempt(
        finishedAttempt('r1', 'c', 'cached', { output: 'from cache', outputHash: 'h-c' }),
        nodeState('r1', 'c', 'cached'),
      );
      const interrupted = await h.store.recordFinishedAttempt(
        finishedAttempt('r1', 'c', 'interrupted', { number: 2 }),
        nodeState('r1', 'c', 'pending', 2),
      );
      expect([failed.seq < suspended.seq, suspended.seq < cached.seq, cached.seq < interrupted.seq]).toStrictEqual([true, true, true]);

      const attempts = await h.store.listAttempts('r1');
      expect(attempts).toStrictEqual([failed, suspended, cached, interrupted]);
      expect(attempts[0]?.error).toStrictEqual(error);
      expect(attempts[0]?.output).toBeNull();
      expect(attempts[1]).not.toHaveProperty('output');
      expect(attempts[1]?.usage).not.toHaveProperty('model');
      expect(attempts[1]?.suspendReason).toBe('approve the plan?');
      expect(await h.store.listRunNodes('r1')).toStrictEqual([
        { runId: 'r1', nodeId: 'a', status: 'failed', attempts: 1, lastAttemptSeq: failed.seq },
        { runId: 'r1', nodeId: 'b', status: 'suspended', attempts: 1, lastAttemptSeq: suspended.seq },
        { runId: 'r1', nodeId: 'c', status: 'pending', attempts: 2, lastAttemptSeq: interrupted.seq },
      ]);
      for (const a of attempts) expect(await h.store.getCache(a.cacheKey)).toBeUndefined();
      expect(await h.store.getRun('r1')).not.toHaveProperty('workspace');
    });

    it('interleaves with startAttempt/finishAttempt: seqs keep increasing in creation order', async () => {
      await h.store.createRun(run('r1'));
      const started = await h.store.startAttempt(attemptStart('r1', 'a'));
      const done = await h.store.recordFinishedAttempt(finishedAttempt('r1', 'b', 'succeeded', { output: 1 }), nodeState('r1', 'b', 'succeeded'));
      const again = await h.store.startAttempt(attemptStart('r1', 'c'));
      expect(started.seq).toBeLessThan(done.seq);
      expect(done.seq).toBeLessThan(again.seq);
      expect((await h.store.listAttempts('r1')).map((a) => a.seq)).toStrictEqual([started.seq, done.seq, again.seq]);
    });

    it('caches an entry that differs from the attempt (own output and ingredients) as given', async () => {
      await h.store.createRun(run('r1'));
      const attempt = finishedAttempt('r1', 'a', 'succeeded', { output: { full: true, log: 'long log' } });
      const entry: CacheEntry = { ...cacheEntry(finishedAttempt('r1', 'other', 'succeeded'), { full: false }), key: attempt.cacheKey };
      await h.store.recordFinishedAttempt(attempt, nodeState('r1', 'a', 'succeeded'), { cache: entry });
      expect(await h.store.getCache(attempt.cacheKey)).toStrictEqual(entry);
      expect((await h.store.listAttempts('r1'))[0]?.output).toStrictEqual({ full: true, log: 'long log' });
    });

    it('is atomic: an unknown run rejects NOT_FOUND and writes no attempt, node or cache entry', async () => {
      await h.store.createRun(run('r1'));
      const lost = finishedAttempt('nope', 'a', 'succeeded', { output: 'x' });
      await expectCode(
        h.store.recordFinishedAttempt(lost, nodeState('nope', 'a', 'succeeded'), { cache: cacheEntry(lost, 'x'), runWorkspace: WS }),
        'NOT_FOUND',
      );
      expect(await h.store.getCache(lost.cacheKey)).toBeUndefined();
      expect(await h.store.listAttempts('nope')).toStrictEqual([]);

      // the attempt's run exists but the node's does not: the attempt row must not survive either
      const half = finishedAttempt('r1', 'a', 'succeeded', { output: 'y' });
      await expectCode(
        h.store.recordFinishedAttempt(half, nodeState('nope', 'a', 'succeeded'), { cache: cacheEntry(half, 'y') }),
        'NOT_FOUND',
      );
      expect(await h.store.listAttempts('r1')).toStrictEqual([]);
      expect(await h.store.getCache(half.cacheKey)).toBeUndefined();
      expect((await h.store.listRunNodes('r1'))[0]?.status).toBe('pending');

      const ok = await h.store.recordFinishedAttempt(half, nodeState('r1', 'a', 'succeeded'), { cache: cacheEntry(half, 'y') });
      expect((await h.store.listAttempts('r1')).map((a: AttemptRecord) => a.output)).toStrictEqual(['y']);
      expect((await h.store.listRunNodes('r1'))[0]?.lastAttemptSeq).toBe(ok.seq);
      expect((await h.store.getCache(half.cacheKey))?.output).toBe('y');
    });

    it('rejects a running attempt with STORE_ERROR and writes nothing', async () => {
      await h.store.createRun(run('r1'));
      const running = finishedAttempt('r1', 'a', 'running', { output: 'x' });
      const error = await expectCode(h.store.recordFinishedAttempt(running, nodeState('r1', 'a', 'running'), { cache: cacheEntry(running, 'x') }), 'STORE_ERROR');
      expect(error.hint).toMatch(/startAttempt/);
      expect(await h.store.listAttempts('r1')).toStrictEqual([]);
      expect(await h.store.getCache(running.cacheKey)).toBeUndefined();
      expect((await h.store.listRunNodes('r1'))[0]?.status).toBe('pending');
    });

    it('recordCacheHit is recordFinishedAttempt with status cached', async () => {
      await h.store.createRun(run('r1'));
      const attempt = finishedAttempt('r1', 'a', 'succeeded', { output: [1, 2], outputHash: 'h' });
      const hit = await h.store.recordCacheHit(attempt, nodeState('r1', 'a', 'cached'), WS);
      expect(hit).toStrictEqual({ ...attempt, status: 'cached', seq: hit.seq });
      expect(await h.store.listAttempts('r1')).toStrictEqual([hit]);
      expect((await h.store.getRun('r1'))?.workspace).toStrictEqual(WS);
    });
  });
}
