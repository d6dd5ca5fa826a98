import { describe, expect, it } from 'vitest';
import type { AttemptFinish, AttemptRecord } from './store.js';
import { attemptStart, cacheEntry, expectCode, run, usage, type StoreHolder } from './store-fixtures.case.js';

const WS = { head: '1'.repeat(40), tree: '2'.repeat(40) };

/** A succeeded finish of `a` with a cache entry and a run workspace. */
function success(a: AttemptRecord, output: AttemptFinish['output'] = { stdout: 'hi', code: 0 }): AttemptFinish {
  return {
    seq: a.seq,
    status: 'succeeded',
    output,
    outputHash: `h-${a.seq}`,
    usage: usage(),
    finishedAt: '2025-02-01T00:00:03.000Z',
    durationMs: 1500.5,
    workspaceAfter: WS,
    node: { runId: a.runId, nodeId: a.nodeId, status: 'succeeded', attempts: a.number, task: 'T1', lastAttemptSeq: a.seq },
    cache: cacheEntry(a, output ?? null),
    runWorkspace: WS,
  };
}

/** Conformance cases for attempts and the cache (see `store.case.ts`). */
export function attemptCases(h: StoreHolder): void {
  describe('attempts', () => {
    it('startAttempt stores a running attempt, sets the node running, and assigns increasing seqs', async () => {
      await h.store.createRun(run('r1'));
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      const b = await h.store.startAttempt(attemptStart('r1', 'b', 2));
      expect(a).toStrictEqual({ ...attemptStart('r1', 'a'), seq: a.seq, status: 'running' });
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(await h.store.listAttempts('r1')).toStrictEqual([a, b]);
      expect(await h.store.listRunNodes('r1')).toStrictEqual([
        { runId: 'r1', nodeId: 'a', status: 'running', attempts: 1, task: 'T1', lastAttemptSeq: a.seq, startedAt: a.startedAt },
        { runId: 'r1', nodeId: 'b', status: 'running', attempts: 2, task: 'T1', lastAttemptSeq: b.seq, startedAt: b.startedAt },
        { runId: 'r1', nodeId: 'c', status: 'pending', attempts: 0 },
      ]);
      await expectCode(h.store.startAttempt(attemptStart('nope', 'a')), 'NOT_FOUND');
    });

    it('finishAttempt writes attempt, node, cache entry and run workspace together', async () => {
      await h.store.createRun(run('r1'));
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      const f = success(a);
      await h.store.finishAttempt(f);
      const expected: AttemptRecord = {
        ...a,
        status: 'succeeded',
        output: f.output ?? null,
        outputHash: `h-${a.seq}`,
        usage: usage(),
        finishedAt: f.finishedAt,
        durationMs: 1500.5,
        workspaceAfter: WS,
      };
      expect(await h.store.listAttempts('r1', 'a')).toStrictEqual([expected]);
      expect((await h.store.listRunNodes('r1'))[0]).toStrictEqual(f.node);
      expect(await h.store.getCache(a.cacheKey)).toStrictEqual(f.cache);
      expect((await h.store.getRun('r1'))?.workspace).toStrictEqual(WS);
    });

    it('finishAttempt without a cache entry writes none; error, suspend reason and JSON null output round-trip', async () => {
      await h.store.createRun(run('r1'));
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      const error = { code: 'COMMAND_FAILED' as const, message: 'exit 2', retryable: false, details: { exitCode: 2, stderr: 'boom' }, hint: 'fix it' };
      await h.store.finishAttempt({
        seq: a.seq,
        status: 'failed',
        output: null,
        error,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 },
        finishedAt: '2025-02-01T00:00:04.000Z',
        durationMs: 3,
        node: { runId: 'r1', nodeId: 'a', status: 'failed', attempts: 1 },
      });
      const [back] = await h.store.listAttempts('r1');
      expect(back).toStrictEqual({
        ...a,
        status: 'failed',
        output: null,
        error,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 },
        finishedAt: '2025-02-01T00:00:04.000Z',
        durationMs: 3,
      });
      expect(await h.store.getCache(a.cacheKey)).toBeUndefined();
      expect((await h.store.getRun('r1'))).not.toHaveProperty('workspace');
      expect((await h.store.listRunNodes('r1'))[0]).toStrictEqual({ runId: 'r1', nodeId: 'a', status: 'failed', attempts: 1, lastAttemptSeq: a.seq });

      const s = await h.store.startAttempt(attemptStart('r1', 'b'));
      await h.store.finishAttempt({
        seq: s.seq, status: 'suspended', suspendReason: 'approve deploy?', usage: usage({ model: undefined }),
        finishedAt: '2025-02-01T00:00:05.000Z', durationMs: 0, node: { runId: 'r1', nodeId: 'b', status: 'suspended', attempts: 1 },
      });
      const [suspended] = await h.store.listAttempts('r1', 'b');
      expect(suspended?.suspendReason).toBe('approve deploy?');
      expect(suspended).not.toHaveProperty('output');
      expect(suspended?.usage).not.toHaveProperty('model');
    });

    it('finishAttempt is atomic: a failing part leaves the attempt running and no cache entry', async () => {
      await h.store.createRun(run('r1'));
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      const bad = success(a);
      bad.node = { ...bad.node, runId: 'no-such-run' };
      await expectCode(h.store.finishAttempt(bad), 'NOT_FOUND');
      expect((await h.store.listAttempts('r1'))[0]).toStrictEqual(a);
      expect(await h.store.getCache(a.cacheKey)).toBeUndefined();
      expect((await h.store.listRunNodes('r1'))[0]?.status).toBe('running');
      await expectCode(h.store.finishAttempt({ ...success(a), seq: a.seq + 1000 }), 'NOT_FOUND');
      expect(await h.store.getCache(a.cacheKey)).toBeUndefined();
    });

    it('recordCacheHit stores a finished cached attempt and the node state in one step', async () => {
      await h.store.createRun(run('r1'));
      const start = attemptStart('r1', 'c');
      const hit = await h.store.recordCacheHit(
        { ...start, status: 'cached', output: ['x', 1], outputHash: 'h', usage: usage(), finishedAt: '2025-02-01T00:00:02.000Z', durationMs: 0 },
        { runId: 'r1', nodeId: 'c', status: 'cached', attempts: 1 },
        WS,
      );
      expect(hit).toStrictEqual({ ...start, seq: hit.seq, status: 'cached', output: ['x', 1], outputHash: 'h', usage: usage(), finishedAt: '2025-02-01T00:00:02.000Z', durationMs: 0 });
      expect(await h.store.listAttempts('r1', 'c')).toStrictEqual([hit]);
      expect((await h.store.listRunNodes('r1'))[2]).toStrictEqual({ runId: 'r1', nodeId: 'c', status: 'cached', attempts: 1, lastAttemptSeq: hit.seq });
      expect((await h.store.getRun('r1'))?.workspace).toStrictEqual(WS);
      await expectCode(
        h.store.recordCacheHit({ ...start, runId: 'nope', status: 'cached', usage: usage() }, { runId: 'nope', nodeId: 'c', status: 'cached', attempts: 1 }),
        'NOT_FOUND',
      );
    });

    it('listAttempts returns a run’s attempts in seq order, optionally of one node', async () => {
      await h.store.createRun(run('r1'));
      await h.store.createRun(run('r2'));
      const a1 = await h.store.startAttempt(attemptStart('r1', 'a'));
      const other = await h.store.startAttempt(attemptStart('r2', 'a'));
      const b1 = await h.store.startAttempt(attemptStart('r1', 'b'));
      const a2 = await h.store.startAttempt(attemptStart('r1', 'a', 2));
      expect(await h.store.listAttempts('r1')).toStrictEqual([a1, b1, a2]);
      expect(await h.store.listAttempts('r1', 'a')).toStrictEqual([a1, a2]);
      expect(await h.store.listAttempts('r2')).toStrictEqual([other]);
      expect(await h.store.listAttempts('nope')).toStrictEqual([]);
    });

    it('listAttemptSummaries returns every attempt of a run in seq order without its payload', async () => {
      await h.store.createRun(run('r1'));
      await h.store.createRun(run('r2'));
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      await h.store.finishAttempt(success(a, { big: 'x'.repeat(100_000) }));
      await h.store.startAttempt(attemptStart('r2', 'a'));
      const b = await h.store.startAttempt(attemptStart('r1', 'b'));
      await h.store.finishAttempt({ ...success(b), status: 'failed', output: undefined, error: { code: 'VERIFY_FAILED', message: 'red', retryable: false, details: { n: 1 } }, cache: undefined });
      const full = await h.store.listAttempts('r1');
      const strip = ({ output: _o, outputHash: _h, ingredients: _i, cacheKey: _k, workspaceAfter: _w, ...rest }: (typeof full)[number]) => rest;
      expect(await h.store.listAttemptSummaries('r1')).toStrictEqual(full.map(strip));
      expect((await h.store.listAttemptSummaries('r1'))[1]).toMatchObject({ status: 'failed', error: { code: 'VERIFY_FAILED' } });
      expect(await h.store.listAttemptSummaries('nope')).toStrictEqual([]);
    });

    it('interruptRunning marks running attempts interrupted and their nodes pending, in one run only', async () => {
      await h.store.createRun(run('r1'));
      await h.store.createRun(run('r2'));
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      await h.store.finishAttempt(success(a));
      const b = await h.store.startAttempt(attemptStart('r1', 'b'));
      const c = await h.store.startAttempt(attemptStart('r1', 'c'));
      const elsewhere = await h.store.startAttempt(attemptStart('r2', 'b'));
      expect(await h.store.interruptRunning('r1')).toBe(2);
      const attempts = await h.store.listAttempts('r1');
      expect(attempts.map((x) => x.status)).toStrictEqual(['succeeded', 'interrupted', 'interrupted']);
      for (const x of attempts.slice(1)) expect(Math.abs(Date.parse(x.finishedAt ?? '') - Date.now())).toBeLessThan(60_000);
      expect(attempts[1]).toStrictEqual({ ...b, status: 'interrupted', finishedAt: attempts[1]?.finishedAt });
      expect(attempts[2]?.seq).toBe(c.seq);
      expect((await h.store.listRunNodes('r1')).map((n) => n.status)).toStrictEqual(['succeeded', 'pending', 'pending']);
      expect(await h.store.listAttempts('r2')).toStrictEqual([elsewhere]);
      expect((await h.store.listRunNodes('r2'))[1]?.status).toBe('running');
      expect(await h.store.interruptRunning('r1')).toBe(0);
    });

    it('lastSuccessfulAttempt finds the newest succeeded or cached attempt of a node id, optionally outside a run', async () => {
      await h.store.createRun(run('r1'));
      await h.store.createRun(run('r2'));
      await h.store.createRun(run('r3'));
      expect(await h.store.lastSuccessfulAttempt('a')).toBeUndefined();
      const first = await h.store.startAttempt(attemptStart('r1', 'a'));
      await h.store.finishAttempt(success(first));
      const second = await h.store.recordCacheHit(
        { ...attemptStart('r2', 'a'), status: 'cached', output: 'x', usage: usage(), finishedAt: '2025-02-01T00:00:02.000Z' },
        { runId: 'r2', nodeId: 'a', status: 'cached', attempts: 1 },
      );
      const failed = await h.store.startAttempt(attemptStart('r3', 'a'));
      await h.store.finishAttempt({ ...success(failed), status: 'failed', cache: undefined });
      await h.store.startAttempt(attemptStart('r3', 'a', 2));
      expect(await h.store.lastSuccessfulAttempt('a')).toStrictEqual(second);
      expect((await h.store.lastSuccessfulAttempt('a', 'r3'))?.seq).toBe(second.seq);
      expect((await h.store.lastSuccessfulAttempt('a', 'r2'))?.seq).toBe(first.seq);
      expect(await h.store.lastSuccessfulAttempt('b')).toBeUndefined();
      // newest first, bounded, optionally outside a run
      expect((await h.store.recentSuccessfulAttempts('a', 10)).map((a) => a.seq)).toEqual([second.seq, first.seq]);
      expect(await h.store.recentSuccessfulAttempts('a', 1)).toStrictEqual([second]);
      expect((await h.store.recentSuccessfulAttempts('a', 10, 'r2')).map((a) => a.seq)).toEqual([first.seq]);
      expect(await h.store.recentSuccessfulAttempts('a', 0)).toEqual([]);
      expect(await h.store.recentSuccessfulAttempts('b', 10)).toEqual([]);
    });
  });

  describe('cache', () => {
    it('getCache returns undefined for an unknown key; a later entry for the same key replaces the earlier', async () => {
      expect(await h.store.getCache('nope')).toBeUndefined();
      await h.store.createRun(run('r1'));
      const a = await h.store.startAttempt(attemptStart('r1', 'a'));
      await h.store.finishAttempt(success(a));
      const b = await h.store.startAttempt({ ...attemptStart('r1', 'a', 2), cacheKey: a.cacheKey });
      const replacement = { ...cacheEntry(a, { big: 'x'.repeat(100_000), list: [true, false, null, 1.5] }), workspaceAfter: undefined };
      delete replacement.workspaceAfter;
      await h.store.finishAttempt({ ...success(b), cache: replacement });
      expect(await h.store.getCache(a.cacheKey)).toStrictEqual(replacement);
    });
  });
}
