import { describe, expect, it } from 'vitest';
import type { LeaseRequest, RunLease } from './store.js';
import { attemptStart, expectCode, finishedAttempt, nodeState, run, type StoreHolder } from './store-fixtures.case.js';

const T0 = '2025-02-01T00:00:00.000Z';
/** ISO time `s` seconds after T0. */
const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();

/** A lease request of holder `token` (pid 100 + n) at second `s`, TTL 30 s. */
function ask(token: string, s: number, over: Partial<LeaseRequest> = {}): LeaseRequest {
  return { runId: 'r1', token, pid: 100 + token.length, host: 'host-a', now: at(s), ttlMs: 30_000, ...over };
}

/** Conformance cases for the run lease, run sessions and the running mark of nodes (see `store.case.ts`). */
export function leaseCases(h: StoreHolder): void {
  describe('run lease', () => {
    it('a free lease is granted and read back; a second holder is refused RUN_LOCKED naming the first, which keeps it', async () => {
      await h.store.createRun(run('r1'));
      expect(await h.store.getRunLease('r1')).toBeUndefined();
      const lease = await h.store.acquireRunLease(ask('tok-a', 0));
      const expected: RunLease = { runId: 'r1', token: 'tok-a', pid: 105, host: 'host-a', acquiredAt: at(0), heartbeatAt: at(0) };
      expect(lease).toStrictEqual(expected);
      expect(await h.store.getRunLease('r1')).toStrictEqual(expected);

      const refused = await expectCode(h.store.acquireRunLease(ask('tok-bb', 10, { pid: 999, host: 'host-b' })), 'RUN_LOCKED');
      expect(refused.details).toStrictEqual({ runId: 'r1', pid: 105, host: 'host-a', acquiredAt: at(0), heartbeatAt: at(0) });
      expect(refused.message).toContain('process 105 on host-a');
      expect(refused.message).toContain(`since ${at(0)}`);
      expect(refused.message).toContain('last heartbeat 10 s ago');
      expect(refused.message).not.toContain('tok-a');
      expect(refused.hint).toContain('taskgraph resume r1');
      expect(await h.store.getRunLease('r1')).toStrictEqual(expected);
    });

    it('the holder may acquire again (refresh, acquiredAt kept); heartbeats keep a lease live past the TTL', async () => {
      await h.store.createRun(run('r1'));
      await h.store.acquireRunLease(ask('tok-a', 0));
      expect(await h.store.acquireRunLease(ask('tok-a', 5))).toMatchObject({ acquiredAt: at(0), heartbeatAt: at(5) });
      expect(await h.store.heartbeatRunLease('r1', 'tok-a', at(25))).toBe(true);
      expect(await h.store.heartbeatRunLease('r1', 'tok-a', at(50))).toBe(true);
      expect((await h.store.getRunLease('r1'))?.heartbeatAt).toBe(at(50));
      // 30 s after the last heartbeat: still live, one ms later: expired
      await expectCode(h.store.acquireRunLease(ask('tok-b', 80)), 'RUN_LOCKED');
      const taken = await h.store.acquireRunLease(ask('tok-b', 80.001));
      expect(taken).toMatchObject({ token: 'tok-b', acquiredAt: at(80.001) });
    });

    it('an expired lease is taken over; the old holder can then neither heartbeat nor release it', async () => {
      await h.store.createRun(run('r1'));
      await h.store.acquireRunLease(ask('tok-a', 0));
      await h.store.acquireRunLease(ask('tok-b', 31));
      expect(await h.store.heartbeatRunLease('r1', 'tok-a', at(32))).toBe(false);
      expect(await h.store.releaseRunLease('r1', 'tok-a')).toBe(false);
      expect((await h.store.getRunLease('r1'))?.token).toBe('tok-b');
      expect((await h.store.getRunLease('r1'))?.heartbeatAt).toBe(at(31));
    });

    it('takeOver names a dead holder: taken at once; a takeOver naming another token does not help', async () => {
      await h.store.createRun(run('r1'));
      await h.store.acquireRunLease(ask('tok-a', 0));
      await expectCode(h.store.acquireRunLease(ask('tok-c', 1, { takeOver: 'tok-x' })), 'RUN_LOCKED');
      expect(await h.store.acquireRunLease(ask('tok-c', 1, { takeOver: 'tok-a' }))).toMatchObject({ token: 'tok-c', acquiredAt: at(1) });
      // the verdict was about tok-a: now that tok-c holds it, the same request from someone else is refused
      await expectCode(h.store.acquireRunLease(ask('tok-d', 2, { takeOver: 'tok-a' })), 'RUN_LOCKED');
    });

    it('release frees the lease (only for its token); a released lease is free for anyone', async () => {
      await h.store.createRun(run('r1'));
      await h.store.acquireRunLease(ask('tok-a', 0));
      expect(await h.store.releaseRunLease('r1', 'tok-b')).toBe(false);
      expect(await h.store.getRunLease('r1')).toBeDefined();
      expect(await h.store.releaseRunLease('r1', 'tok-a')).toBe(true);
      expect(await h.store.getRunLease('r1')).toBeUndefined();
      expect(await h.store.heartbeatRunLease('r1', 'tok-a', at(1))).toBe(false);
      expect(await h.store.acquireRunLease(ask('tok-b', 1))).toMatchObject({ token: 'tok-b' });
    });

    it('leases are per run; an unknown run is NOT_FOUND', async () => {
      await h.store.createRun(run('r1'));
      await h.store.createRun(run('r2'));
      await h.store.acquireRunLease(ask('tok-a', 0));
      expect(await h.store.acquireRunLease(ask('tok-b', 0, { runId: 'r2' }))).toMatchObject({ runId: 'r2', token: 'tok-b' });
      expect((await h.store.getRunLease('r1'))?.token).toBe('tok-a');
      await expectCode(h.store.acquireRunLease(ask('tok-a', 0, { runId: 'nope' })), 'NOT_FOUND');
      expect(await h.store.getRunLease('nope')).toBeUndefined();
    });
  });

  describe('run sessions', () => {
    it('numbers sessions per run in start order, ends them, and lists them with optional fields absent', async () => {
      await h.store.createRun(run('r1'));
      await h.store.createRun(run('r2'));
      const first = await h.store.startRunSession({ runId: 'r1', command: 'do', pid: 10, host: 'h', startedAt: at(0) });
      expect(first).toStrictEqual({ runId: 'r1', number: 1, command: 'do', pid: 10, host: 'h', startedAt: at(0) });
      const other = await h.store.startRunSession({ runId: 'r2', command: 'run', pid: 11, host: 'h', startedAt: at(1) });
      expect(other.number).toBe(1);
      const second = await h.store.startRunSession({ runId: 'r1', command: 'resume', pid: 12, host: 'h', startedAt: at(60) });
      expect(second.number).toBe(2);
      await h.store.endRunSession('r1', 2, { endedAt: at(70), outcome: 'suspended', reason: 'waiting for review' });
      const third = await h.store.startRunSession({ runId: 'r1', command: 'approve', pid: 13, host: 'h', startedAt: at(80) });
      await h.store.endRunSession('r1', 3, { endedAt: at(90), outcome: 'succeeded' });
      expect(await h.store.listRunSessions('r1')).toStrictEqual([
        first,
        { ...second, endedAt: at(70), outcome: 'suspended', reason: 'waiting for review' },
        { ...third, endedAt: at(90), outcome: 'succeeded' },
      ]);
      expect(await h.store.listRunSessions('nope')).toStrictEqual([]);
    });

    it('rejects NOT_FOUND for a session of an unknown run or an unknown session number', async () => {
      await h.store.createRun(run('r1'));
      await expectCode(h.store.startRunSession({ runId: 'nope', command: 'do', pid: 1, host: 'h', startedAt: at(0) }), 'NOT_FOUND');
      await expectCode(h.store.endRunSession('r1', 1, { endedAt: at(1), outcome: 'failed' }), 'NOT_FOUND');
      expect(await h.store.listRunSessions('r1')).toStrictEqual([]);
    });
  });

  describe('running mark', () => {
    it('markNodeRunning sets status, attempts and startedAt, keeps task and lastAttemptSeq; a finish clears startedAt', async () => {
      await h.store.createRun(run('r1'));
      const done = await h.store.recordFinishedAttempt(finishedAttempt('r1', 'a', 'failed'), { ...nodeState('r1', 'a', 'failed'), task: 'T1' });
      await h.store.markNodeRunning('r1', 'a', 2, at(5));
      expect((await h.store.listRunNodes('r1'))[0]).toStrictEqual({
        runId: 'r1', nodeId: 'a', status: 'running', attempts: 2, task: 'T1', lastAttemptSeq: done.seq, startedAt: at(5),
      });
      const again = await h.store.recordFinishedAttempt(finishedAttempt('r1', 'a', 'succeeded', { number: 2 }), { ...nodeState('r1', 'a', 'succeeded', 2), task: 'T1' });
      expect((await h.store.listRunNodes('r1'))[0]).toStrictEqual({ runId: 'r1', nodeId: 'a', status: 'succeeded', attempts: 2, task: 'T1', lastAttemptSeq: again.seq });
      await expectCode(h.store.markNodeRunning('r1', 'nope', 1, at(6)), 'NOT_FOUND');
      await expectCode(h.store.markNodeRunning('nope', 'a', 1, at(6)), 'NOT_FOUND');
    });

    it('startAttempt records startedAt on the node; interruptRunning clears it with the running status', async () => {
      await h.store.createRun(run('r1'));
      await h.store.startAttempt(attemptStart('r1', 'a'));
      await h.store.markNodeRunning('r1', 'b', 1, at(7));
      const [a, b] = await h.store.listRunNodes('r1');
      expect(a?.startedAt).toBe(attemptStart('r1', 'a').startedAt);
      expect(b).toMatchObject({ status: 'running', startedAt: at(7) });
      await h.store.interruptRunning('r1');
      for (const n of (await h.store.listRunNodes('r1')).slice(0, 2)) {
        expect(n.status).toBe('pending');
        expect(n).not.toHaveProperty('startedAt');
      }
    });
  });
}
