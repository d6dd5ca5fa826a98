import { describe, expect, it } from 'vitest';
import type { RunLease, RunStatus } from '../store/store.js';
import { hostTag } from '../workspace/worktree-location.js';
import { isFullyCached } from './cached-rerun.js';
import { type CleanCandidate, parseOlderThan, selectLeftoverScratch, selectRunsToClean } from './clean-selection.js';
import { thrownBy } from '../../test/support/expect-error.js';

const NOW = Date.parse('2025-06-10T12:00:00.000Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const LEASE = { host: 'host-a', isAlive: (pid: number) => pid === 42 };

function candidate(id: string, status: RunStatus, patch: Partial<CleanCandidate> & { updatedAt?: number; branch?: string } = {}): CleanCandidate {
  return {
    run: { id, status, worktree: `/cache/wt/${id}`, branch: patch.branch ?? `taskgraph/${id}`, updatedAt: iso(patch.updatedAt ?? NOW - 10 * DAY) },
    worktreeExists: true,
    branchExists: true,
    ...(patch.lease ? { lease: patch.lease } : {}),
    ...(patch.worktreeExists !== undefined ? { worktreeExists: patch.worktreeExists } : {}),
    ...(patch.branchExists !== undefined ? { branchExists: patch.branchExists } : {}),
  };
}

function lease(pid: number, heartbeatAgoMs: number): RunLease {
  return { runId: 'x', token: 't', pid, host: 'host-a', acquiredAt: iso(NOW - DAY), heartbeatAt: iso(NOW - heartbeatAgoMs) };
}

describe('selectRunsToClean', () => {
  it('takes finished runs (succeeded, failed, interrupted with a dead or expired lease); keeps live, suspended and pending ones', () => {
    const sel = selectRunsToClean(
      [
        candidate('ok', 'succeeded'),
        candidate('bad', 'failed'),
        candidate('dead', 'running', { lease: lease(7, 1_000) }), // same host, pid gone
        candidate('stale', 'running', { lease: lease(42, 60_000) }), // heartbeat older than the TTL
        candidate('live', 'running', { lease: lease(42, 1_000) }),
        candidate('resuming', 'failed', { lease: lease(42, 1_000) }), // a resume holds it right now
        candidate('waiting', 'suspended'),
      ],
      { nowMs: NOW, branches: false, lease: LEASE },
    );
    expect(sel.runs).toEqual([
      { runId: 'ok', status: 'succeeded', worktree: '/cache/wt/ok' },
      { runId: 'bad', status: 'failed', worktree: '/cache/wt/bad' },
      { runId: 'dead', status: 'interrupted', worktree: '/cache/wt/dead' },
      { runId: 'stale', status: 'interrupted', worktree: '/cache/wt/stale' },
    ]);
    expect(sel.branches).toEqual([]);
    expect(sel.kept.map((k) => k.runId)).toEqual(['live', 'resuming', 'waiting']);
    expect(sel.kept[0]!.reason).toBe('its lease is live (process 42 on host-a)');
    expect(sel.kept[2]!.reason).toMatch(/^suspended/);
  });

  it('--older-than keeps newer runs; runs with nothing left on disk are not listed', () => {
    const sel = selectRunsToClean(
      [candidate('old', 'succeeded', { updatedAt: NOW - 8 * DAY }), candidate('new', 'succeeded', { updatedAt: NOW - DAY }), candidate('gone', 'succeeded', { worktreeExists: false })],
      { nowMs: NOW, olderThanMs: 7 * DAY, branches: false, lease: LEASE },
    );
    expect(sel.runs.map((r) => r.runId)).toEqual(['old']);
    expect(sel.kept).toEqual([{ runId: 'new', reason: 'finished less than 7 days ago' }]);
  });

  it('--branches deletes a branch only when every run naming it is cleaned (a fully cached run points at an earlier branch)', () => {
    const runs = [
      candidate('a', 'succeeded', { updatedAt: NOW - 9 * DAY }),
      candidate('b', 'succeeded', { branch: 'taskgraph/a', worktreeExists: false, updatedAt: NOW - DAY }), // fully cached re-run of a
      candidate('c', 'failed', { worktreeExists: false }), // worktree gone, branch left
      candidate('d', 'succeeded', { branchExists: false }),
    ];
    const all = selectRunsToClean(runs, { nowMs: NOW, branches: true, lease: LEASE });
    expect(all.branches).toEqual([
      { branch: 'taskgraph/a', runIds: ['a', 'b'] },
      { branch: 'taskgraph/c', runIds: ['c'] },
    ]);
    const older = selectRunsToClean(runs, { nowMs: NOW, olderThanMs: 7 * DAY, branches: true, lease: LEASE });
    expect(older.runs.map((r) => r.runId)).toEqual(['a', 'c', 'd']);
    expect(older.branches.map((b) => b.branch)).toEqual(['taskgraph/c']);
    expect(older.kept).toContainEqual({ runId: 'a', reason: 'branch taskgraph/a stays: run b still uses it' });
  });
});

describe('selectLeftoverScratch', () => {
  it('takes scratch worktrees of gone processes on this host only, honouring --older-than', () => {
    const host = hostTag();
    const entries = [
      { path: '/c/main', mtimeMs: NOW - DAY },
      { path: `/c/scratch-7-${host}-0a0b0c0d`, mtimeMs: NOW - DAY },
      { path: `/c/scratch-42-${host}-0a0b0c0e`, mtimeMs: NOW - DAY },
      { path: '/c/scratch-7-ffffff-0a0b0c0f', mtimeMs: NOW - DAY },
      { path: `/c/scratch-8-${host}-0a0b0c10`, mtimeMs: NOW - 60_000 },
    ];
    const isAlive = (pid: number) => pid === 42;
    expect(selectLeftoverScratch(entries, { nowMs: NOW, isAlive }).map((e) => e.pid)).toEqual([7, 8]);
    expect(selectLeftoverScratch(entries, { nowMs: NOW, olderThanMs: 3_600_000, isAlive }).map((e) => e.path)).toEqual([`/c/scratch-7-${host}-0a0b0c0d`]);
  });
});

describe('parseOlderThan', () => {
  it('reads durations with a unit and refuses anything else with a hint', () => {
    expect(parseOlderThan('7d')).toBe(7 * DAY);
    expect(parseOlderThan('12h')).toBe(12 * 3_600_000);
    expect(parseOlderThan('1.5h')).toBe(5_400_000);
    expect(parseOlderThan('0s')).toBe(0);
    for (const bad of ['7', '-1d', 'soon', '', '7 parsecs']) {
      const error = thrownBy(() => parseOlderThan(bad));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.hint).toContain('--older-than 7d');
    }
  });
});

describe('isFullyCached', () => {
  const graph = { id: 'g', nodes: [{ id: 'setup', kind: 'setup' }, { id: 'plan', kind: 'decompose' }, { id: 'T1/edit', kind: 'llm' }] } as never;
  const node = (nodeId: string, status: 'cached' | 'succeeded' | 'failed') => ({ runId: 'r', nodeId, status, attempts: 1 });
  it('holds when every node is a cache hit, setup (which prepares the new worktree) aside', () => {
    expect(isFullyCached({ graph }, [node('setup', 'succeeded'), node('plan', 'cached'), node('T1/edit', 'cached')])).toBe(true);
    expect(isFullyCached({ graph }, [node('plan', 'cached'), node('T1/edit', 'succeeded')])).toBe(false);
    expect(isFullyCached({ graph }, [node('setup', 'succeeded')])).toBe(false);
    expect(isFullyCached({ graph }, [node('plan', 'cached'), node('T1/edit', 'failed')])).toBe(false);
  });
});
