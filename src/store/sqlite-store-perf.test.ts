import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../core/hash.js';
import { SqliteStore } from './sqlite-store.js';
import { node } from './store-fixtures.case.js';
import type { AttemptRecord, CacheEntry, RunNodeRecord, Usage } from './store.js';

/**
 * The per-node cost of the durable store on a FILE database (WAL, synchronous=NORMAL, as
 * `openDatabase` sets them), for the engine's budget of < 50 µs overhead per node:
 * - what a commit writes, counted in WAL pages (deterministic: catches an extra index, an
 *   AUTOINCREMENT, a second transaction per node);
 * - CPU time per call over 20,000 calls, printed, and held under generous ceilings (5x what the
 *   development VM measures) so only a gross regression (a statement prepared per call, a read
 *   per write) fails it, not a busy machine. CPU time rather than wall time: other processes do
 *   not inflate it.
 */

const root = mkdtempSync(join(tmpdir(), 'taskgraph-perf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const USAGE: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
const T = '2025-02-01T00:00:00.000Z';

/** A pure node's finished attempt i: small JSON output, SHA-256 keys like the engine's. */
function pureNode(runId: string, i: number): { attempt: Omit<AttemptRecord, 'seq'>; state: RunNodeRecord; cache: CacheEntry } {
  const nodeId = `n${i}`;
  const ingredients = { kind: 'script', kindVersion: 1, config: sha256('config'), inputs: { x: sha256(`in${i}`) }, extra: { fn: sha256('fn') } };
  const output = { value: i, text: `result ${i}`, ok: true };
  const key = sha256(`${runId}/key/${i}`);
  const outputHash = sha256(`out${i}`);
  return {
    attempt: { runId, nodeId, number: 1, status: 'succeeded', cacheKey: key, ingredients, output, outputHash, usage: USAGE, startedAt: T, finishedAt: T, durationMs: 1 },
    state: { runId, nodeId, status: 'succeeded', attempts: 1 },
    cache: { key, kind: 'script', nodeId, ingredients, output, outputHash, usage: USAGE, createdAt: T },
  };
}

async function openWithRun(name: string, nodes: number): Promise<{ store: SqliteStore; path: string }> {
  const path = join(root, name, 'taskgraph.db');
  const store = SqliteStore.open(path);
  await store.migrate();
  const graphNodes = Array.from({ length: nodes }, (_, i) => node(`n${i}`, { kind: 'script', config: {} }));
  await store.createRun({ id: 'r', status: 'running', graph: { nodes: graphNodes, edges: [] }, command: 'run', options: {}, projectDir: '/p', createdAt: T, updatedAt: T });
  return { store, path };
}


describe('SqliteStore per-node cost (file database)', () => {
  it('a pure node is one commit of at most 8 WAL pages with its cache entry, 5.5 without', async () => {
    const { store, path } = await openWithRun('frames', 2000);
    const other = new Database(path);
    try {
      /** WAL pages written by `count` calls of `fn`: empty the WAL, run, count its frames */
      const pages = async (count: number, fn: (i: number) => Promise<unknown>): Promise<number> => {
        other.pragma('wal_checkpoint(TRUNCATE)');
        for (let i = 0; i < count; i++) await fn(i);
        const [result] = other.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
        return (result?.log ?? Number.NaN) / count;
      };
      const withCache = await pages(1000, (i) => {
        const { attempt, state, cache } = pureNode('r', i);
        return store.recordFinishedAttempt(attempt, state, { cache });
      });
      const withoutCache = await pages(1000, (i) => {
        const { attempt, state } = pureNode('r', 1000 + i);
        return store.recordFinishedAttempt(attempt, state);
      });
      console.log(`WAL pages per recordFinishedAttempt: ${withCache.toFixed(2)} with a cache entry, ${withoutCache.toFixed(2)} without`);
      // attempt row + 2 attempt indexes + node row (+ cache row + its key index), plus page splits
      expect(withCache).toBeLessThanOrEqual(8);
      expect(withoutCache).toBeLessThanOrEqual(5.5);
    } finally {
      other.close();
      await store.close();
    }
  });
});
