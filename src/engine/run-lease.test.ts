import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { run as runRecord } from '../store/store-fixtures.case.js';
import type { RunLease, RunSession } from '../store/store.js';
import { effectiveRunStatus, holderState, isProcessAlive, RunLeaseHolder, RunSessionScope, sessionViews } from './run-lease.js';

/** The pid of a process that has exited (a real child, waited for). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

async function storeWithRun(id = 'r1') {
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  await store.createRun(runRecord(id));
  return store;
}

const NOW = Date.parse('2025-02-01T00:01:00.000Z');
const lease = (over: Partial<RunLease> = {}): RunLease => ({
  runId: 'r1', token: 't', pid: 4242, host: 'host-a', acquiredAt: '2025-02-01T00:00:00.000Z', heartbeatAt: '2025-02-01T00:00:50.000Z', ...over,
});

describe('reading a lease', () => {
  it('isProcessAlive: this process yes, an exited child no, nonsense pids no', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(await deadPid())).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
  });

  it('holderState: expired past the TTL; dead only on the same host when the pid is gone; else live', () => {
    const alive = () => true;
    const gone = () => false;
    expect(holderState(lease(), NOW, { host: 'host-a', isAlive: alive })).toBe('live');
    expect(holderState(lease(), NOW, { host: 'host-a', isAlive: gone })).toBe('dead');
    expect(holderState(lease(), NOW, { host: 'host-b', isAlive: gone })).toBe('live'); // another host: only the TTL tells
    expect(holderState(lease(), NOW + 20_001, { host: 'host-b', isAlive: alive })).toBe('expired');
    expect(holderState(lease({ heartbeatAt: 'garbage' }), NOW, { host: 'host-a', isAlive: alive })).toBe('expired');
    expect(holderState(lease({ pid: 7 }), NOW, { host: 'host-a', pid: 7, isAlive: gone })).toBe('live'); // the reader itself
  });

  it('effectiveRunStatus: a running run without a live lease is interrupted; other statuses as stored', () => {
    const live = { host: 'host-a', isAlive: () => true };
    expect(effectiveRunStatus({ status: 'running' }, lease(), NOW, live)).toBe('running');
    expect(effectiveRunStatus({ status: 'running' }, undefined, NOW, live)).toBe('interrupted');
    expect(effectiveRunStatus({ status: 'running' }, lease(), NOW + 40_000, live)).toBe('interrupted');
    expect(effectiveRunStatus({ status: 'running' }, lease(), NOW, { host: 'host-a', isAlive: () => false })).toBe('interrupted');
    for (const status of ['succeeded', 'failed', 'suspended', 'interrupted'] as const) {
      expect(effectiveRunStatus({ status }, undefined, NOW, live)).toBe(status);
      expect(effectiveRunStatus({ status }, lease(), NOW, live)).toBe(status);
    }
  });

  it('sessionViews: an open session is running only when it is the newest and the lease is live; else killed', () => {
    const s = (number: number, over: Partial<RunSession> = {}): RunSession => ({ runId: 'r1', number, command: 'do', pid: 1, host: 'h', startedAt: 'x', ...over });
    const sessions = [s(1), s(2, { outcome: 'suspended', endedAt: 'y' }), s(3)];
    expect(sessionViews(sessions, true)).toEqual(['killed', 'suspended', 'running']);
    expect(sessionViews(sessions, false)).toEqual(['killed', 'suspended', 'killed']);
    expect(sessionViews([], true)).toEqual([]);
  });
});

describe('RunLeaseHolder', () => {
  it('a second holder in a live process is refused RUN_LOCKED (pid, host, since when); after release it is free', async () => {
    const store = await storeWithRun();
    const first = await RunLeaseHolder.acquire(store, 'r1');
    expect(first.lease).toMatchObject({ runId: 'r1', pid: process.pid, host: hostname() });
    expect(first.lease.token).toMatch(/^[0-9a-f]{32}$/);
    const refused = await RunLeaseHolder.acquire(store, 'r1').then(
      () => undefined,
      (e: unknown) => e as TaskgraphError,
    );
    expect(refused?.code).toBe('RUN_LOCKED');
    expect(refused?.details).toMatchObject({ pid: process.pid, host: hostname(), acquiredAt: first.lease.acquiredAt });
    expect(refused?.message).toContain(`since ${first.lease.acquiredAt}`);
    await first.release();
    await first.release(); // idempotent
    expect(await store.getRunLease('r1')).toBeUndefined();
    const second = await RunLeaseHolder.acquire(store, 'r1');
    await second.release();
    await store.close();
  });

  it('takes over at once from a dead holder on this host, without waiting for the TTL', async () => {
    const store = await storeWithRun();
    const pid = await deadPid();
    await store.acquireRunLease({ runId: 'r1', token: 'old', pid, host: hostname(), now: new Date().toISOString(), ttlMs: 30_000 });
    const holder = await RunLeaseHolder.acquire(store, 'r1');
    expect((await store.getRunLease('r1'))?.token).toBe(holder.lease.token);
    await holder.release();
    await store.close();
  });

  it('does not take over from a live-looking holder on another host until its heartbeat is older than the TTL', async () => {
    const store = await storeWithRun();
    const pid = await deadPid();
    await store.acquireRunLease({ runId: 'r1', token: 'far', pid, host: 'another-host', now: new Date().toISOString(), ttlMs: 30_000 });
    await expect(RunLeaseHolder.acquire(store, 'r1')).rejects.toMatchObject({ code: 'RUN_LOCKED' });
    await sleep(60);
    const holder = await RunLeaseHolder.acquire(store, 'r1', { ttlMs: 50 });
    expect(holder.lease.pid).toBe(process.pid);
    await holder.release();
    await store.close();
  });

  it('heartbeats on its timer; a holder whose lease was taken over sees it lost (signal aborted with RUN_LOCKED) and cannot drop the new lease', async () => {
    const store = await storeWithRun();
    const a = await RunLeaseHolder.acquire(store, 'r1', { heartbeatMs: 20 });
    const first = a.lease.heartbeatAt;
    await sleep(80);
    expect(Date.parse((await store.getRunLease('r1'))!.heartbeatAt)).toBeGreaterThan(Date.parse(first));
    await a.release();

    const slow = await RunLeaseHolder.acquire(store, 'r1', { heartbeatMs: 60_000 }); // never heartbeats in this test
    await sleep(30);
    const other = await RunLeaseHolder.acquire(store, 'r1', { ttlMs: 10, pid: process.pid + 1 }); // expired for it
    expect(slow.signal.aborted).toBe(false);
    expect(await slow.heartbeat()).toBe(false);
    expect(slow.signal.aborted).toBe(true);
    expect((slow.signal.reason as TaskgraphError).code).toBe('RUN_LOCKED');
    await slow.release();
    expect((await store.getRunLease('r1'))?.token).toBe(other.lease.token);
    await other.release();
    await store.close();
  });
});

describe('RunSessionScope', () => {
  it('records a session under the lease; close ends it once and releases the lease', async () => {
    const store = await storeWithRun();
    const holder = await RunLeaseHolder.acquire(store, 'r1');
    const scope = await RunSessionScope.begin(store, holder, 'approve');
    expect(scope.session).toMatchObject({ runId: 'r1', number: 1, command: 'approve', pid: process.pid, host: hostname() });
    await scope.close('suspended', 'waiting for review');
    await scope.close('failed', 'ignored');
    const [session] = await store.listRunSessions('r1');
    expect(session).toMatchObject({ outcome: 'suspended', reason: 'waiting for review' });
    expect(Date.parse(session!.endedAt!)).toBeGreaterThanOrEqual(Date.parse(session!.startedAt));
    expect(await store.getRunLease('r1')).toBeUndefined();
    await store.close();
  });
});
