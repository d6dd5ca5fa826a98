import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, hashJson } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { applyMigrations, MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';
import {
  boundaryOutputs, cacheEntry, expectCode, finishedAttempt, largeOutput, nodeState, run,
} from './store-fixtures.case.js';
import { BLOB_THRESHOLD_BYTES } from './store.js';

const root = mkdtempSync(join(tmpdir(), 'taskgraph-blobs-'));
let counter = 0;
const freshPath = (): string => join(root, `db-${++counter}`, 'taskgraph.db');
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function openFresh(): Promise<{ store: SqliteStore; path: string }> {
  const path = freshPath();
  const store = SqliteStore.open(path);
  await store.migrate();
  await store.createRun(run('r1'));
  return { store, path };
}

/** Runs `fn` on a second, read-only connection to the file (sees every committed write). */
function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Bytes of the pages in use (all pages minus free ones), as a reader sees it (file + committed WAL). */
const dbBytes = (path: string): number =>
  inspect(path, (db) => {
    const pages = (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
    return pages * (db.pragma('page_size', { simple: true }) as number);
  });

describe('SqliteStore output blobs', () => {
  it(`stores an output over ${BLOB_THRESHOLD_BYTES} bytes once: 3 attempts + cache entries of one 100 KiB output make 1 blob and ~1 copy on disk`, async () => {
    const { store, path } = await openFresh();
    const output = largeOutput('once');
    const copy = Buffer.byteLength(JSON.stringify(output), 'utf8');
    expect(copy).toBeGreaterThan(100 * 1024);
    const before = dbBytes(path);
    for (const nodeId of ['a', 'b', 'c']) {
      const attempt = finishedAttempt('r1', nodeId, 'succeeded', { output });
      await store.recordFinishedAttempt(attempt, nodeState('r1', nodeId, 'succeeded'), { cache: cacheEntry(attempt, output) });
    }
    const grown = dbBytes(path) - before;
    // six rows refer to the output; stored inline that would be six copies (part of the one copy
    // fits in the blobs table's existing root page, hence "about")
    expect(grown).toBeGreaterThan(0.9 * copy);
    expect(grown).toBeLessThan(1.5 * copy);

    inspect(path, (db) => {
      const blobs = db.prepare('SELECT hash, size, data FROM blobs').all() as { hash: string; size: number; data: Buffer }[];
      expect(blobs).toHaveLength(1);
      // keyed by the SHA-256 of the canonical JSON, which is what it holds
      expect(blobs[0]?.hash).toBe(hashJson(output));
      expect(blobs[0]?.data.toString('utf8')).toBe(canonicalJson(output));
      expect(blobs[0]?.size).toBe(blobs[0]?.data.length);
      const rows = db.prepare('SELECT output, output_blob FROM attempts UNION ALL SELECT output, output_blob FROM cache_entries').all();
      expect(rows).toStrictEqual(Array(6).fill({ output: null, output_blob: hashJson(output) }));
    });
    expect((await store.listAttempts('r1')).map((a) => a.output)).toStrictEqual([output, output, output]);
    await store.close();
  });

  it('keeps outputs of at most BLOB_THRESHOLD_BYTES (UTF-8) inline and moves one byte more to a blob', async () => {
    const { store, path } = await openFresh();
    const { atLimit, overLimit } = boundaryOutputs();
    const outputs: Json[] = [...atLimit, ...overLimit];
    for (const [i, output] of outputs.entries()) {
      await store.recordFinishedAttempt(finishedAttempt('r1', `n${i}`, 'succeeded', { output }), nodeState('r1', `n${i}`, 'succeeded'));
    }
    const rows = inspect(path, (db) => db.prepare('SELECT output, output_blob FROM attempts ORDER BY seq').all()) as {
      output: string | null;
      output_blob: string | null;
    }[];
    expect(rows.map((r) => r.output !== null)).toStrictEqual([true, true, false, false, false]);
    expect(rows.slice(2).map((r) => r.output_blob)).toStrictEqual(overLimit.map((o) => hashJson(o)));
    await store.close();
  });

  it('a row naming a missing blob (file edited with foreign keys off) reads as STORE_ERROR with a hint', async () => {
    const { store, path } = await openFresh();
    const output = largeOutput('lost');
    const attempt = finishedAttempt('r1', 'a', 'succeeded', { output });
    await store.recordFinishedAttempt(attempt, nodeState('r1', 'a', 'succeeded'), { cache: cacheEntry(attempt, output) });
    const db = new Database(path);
    // with foreign keys on, the schema refuses to drop a blob that rows refer to
    db.pragma('foreign_keys = ON');
    expect(() => db.prepare('DELETE FROM blobs').run()).toThrow(/FOREIGN KEY/);
    db.pragma('foreign_keys = OFF');
    db.prepare('DELETE FROM blobs').run();
    db.close();
    const error = await expectCode(store.getCache(attempt.cacheKey), 'STORE_ERROR');
    expect(error.message).toContain(hashJson(output));
    expect(error.hint).toMatch(/foreign_key_check|backup/);
    await expectCode(store.listAttempts('r1'), 'STORE_ERROR');
    await store.close();
  });
});

describe('SqliteStore migration 2 (blobs, attempts without AUTOINCREMENT)', () => {
  it('keeps the attempts, seqs and cache entries of a version-1 database; new seqs continue after the old', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const v1 = new Database(path);
    applyMigrations(v1, path, MIGRATIONS.slice(0, 1));
    const bigInline = JSON.stringify(largeOutput('v1'));
    v1.exec(`
      INSERT INTO runs (id, status, graph, command, options, project_dir, created_at, updated_at)
        VALUES ('old', 'succeeded', '{"nodes":[],"edges":[]}', 'run', '{}', '/p', 't0', 't0');
      INSERT INTO attempts (seq, run_id, node_id, number, status, cache_key, ingredients, output, output_hash, input_tokens,
          output_tokens, cost_usd, calls, started_at, finished_at)
        VALUES (7, 'old', 'a', 1, 'succeeded', 'k1', '{"kind":"x"}', '{"v":1}', 'h1', 1, 2, 0.5, 1, 't1', 't2'),
               (9, 'old', 'b', 1, 'failed', 'k2', '{"kind":"x"}', NULL, NULL, 0, 0, 0, 0, 't3', 't4');
      INSERT INTO cache_entries (key, kind, node_id, ingredients, output, output_hash, input_tokens, output_tokens, cost_usd,
          calls, created_at)
        VALUES ('k1', 'x', 'a', '{"kind":"x"}', '${bigInline.replaceAll("'", "''")}', 'h1', 1, 2, 0.5, 1, 't2');
    `);
    v1.close();

    await store.migrate();
    try {
      const attempts = await store.listAttempts('old');
      expect(attempts.map((a) => [a.seq, a.status, a.output])).toStrictEqual([[7, 'succeeded', { v: 1 }], [9, 'failed', undefined]]);
      // a large output written before blobs existed stays inline and reads back
      expect((await store.getCache('k1'))?.output).toStrictEqual(largeOutput('v1'));
      await store.createRun(run('r1'));
      const next = await store.recordFinishedAttempt(finishedAttempt('r1', 'a', 'succeeded'), nodeState('r1', 'a', 'succeeded'));
      expect(next.seq).toBe(10);
      inspect(path, (db) => {
        expect(db.pragma('foreign_key_check')).toStrictEqual([]);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const sql = (db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'attempts'`).get() as { sql: string }).sql;
        expect(sql).not.toMatch(/AUTOINCREMENT/);
        const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'attempts' ORDER BY name`).all();
        expect(indexes).toStrictEqual([{ name: 'attempts_node' }, { name: 'attempts_run_node' }]);
      });
    } finally {
      await store.close();
    }
  });
});
