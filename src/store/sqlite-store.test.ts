import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { applyMigrations, MIGRATIONS } from './migrations.js';
import { openStore, STORE_RELATIVE_PATH } from './open-store.js';
import { SqliteStore } from './sqlite-store.js';
import { attemptStart, expectCode, plan, run, usage } from './store-fixtures.case.js';
import { storeConformance } from './store.case.js';

const root = mkdtempSync(join(tmpdir(), 'taskgraph-store-'));
let counter = 0;
const freshPath = (): string => join(root, `db-${++counter}`, 'taskgraph.db');

afterAll(() => rmSync(root, { recursive: true, force: true }));

storeConformance(
  'sqlite',
  async () => {
    const store = SqliteStore.open(freshPath());
    await store.migrate();
    return store;
  },
  async (store) => SqliteStore.open((store as SqliteStore).path),
);

describe('SqliteStore (SQLite specifics)', () => {
  it('uses WAL journal mode, persisted in the file', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    await store.migrate();
    await store.savePlan(plan('p1'));
    expect(existsSync(`${path}-wal`)).toBe(true);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('openStore creates <project>/.taskgraph/taskgraph.db, migrates, and data survives close and reopen', async () => {
    const project = join(root, `project-${++counter}`);
    const store = await openStore(project, { env: {} });
    expect(store).toBeInstanceOf(SqliteStore);
    expect((store as SqliteStore).path).toBe(join(project, STORE_RELATIVE_PATH));
    await store.savePlan(plan('p1'));
    await store.createRun(run('r1'));
    const a = await store.startAttempt(attemptStart('r1', 'a'));
    await store.finishAttempt({
      seq: a.seq, status: 'succeeded', output: { ok: true }, outputHash: 'h', usage: usage(),
      finishedAt: '2025-02-01T00:00:03.000Z', durationMs: 2,
      node: { runId: 'r1', nodeId: 'a', status: 'succeeded', attempts: 1, task: 'T1' },
      cache: { key: a.cacheKey, kind: 'command', nodeId: 'a', ingredients: a.ingredients, output: { ok: true }, outputHash: 'h', usage: usage(), createdAt: '2025-02-01T00:00:03.000Z' },
    });
    const before = { plan: await store.getPlan('p1'), run: await store.getRun('r1'), attempts: await store.listAttempts('r1'), nodes: await store.listRunNodes('r1') };
    await store.close();
    await store.close();

    const again = await openStore(project, { env: {} });
    try {
      expect(await again.getPlan('p1')).toStrictEqual(before.plan);
      expect(await again.getRun('r1')).toStrictEqual(before.run);
      expect(await again.listAttempts('r1')).toStrictEqual(before.attempts);
      expect(await again.listRunNodes('r1')).toStrictEqual(before.nodes);
      expect((await again.getCache(a.cacheKey))?.output).toStrictEqual({ ok: true });
    } finally {
      await again.close();
    }
    const raw = new Database(join(project, STORE_RELATIVE_PATH), { readonly: true });
    try {
      const versions = raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      expect(versions).toStrictEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    } finally {
      raw.close();
    }
  });

  it('migrates a version-5 database to plan versions: an old plan shows as version 1 until its first edit writes 1 and 2', async () => {
    const path = freshPath();
    await SqliteStore.open(path).close();
    const db = new Database(path);
    applyMigrations(db, path, MIGRATIONS.filter((m) => m.version <= 5));
    db.close();
    const raw = new Database(path);
    raw.prepare(`INSERT INTO plans (id, goal, created_at, meta) VALUES ('p0', 'old goal', '2024-01-01T00:00:00.000Z', '{"leaves":["T1"]}')`).run();
    raw.prepare(`INSERT INTO tasks (plan_id, id, position, title, description, acceptance, dependencies, files, atomic, parent, depth, tags, notes, status)
      VALUES ('p0', 'T1', 0, 'Old task', '', '["works"]', '[]', '[]', 1, NULL, 0, '[]', '["a note"]', 'pending')`).run();
    raw.close();
    const store = SqliteStore.open(path);
    await store.migrate();
    try {
      const [v1] = await store.listPlanVersions('p0');
      expect(v1).toMatchObject({ version: 1, by: 'planner', createdAt: '2024-01-01T00:00:00.000Z', leaves: ['T1'] });
      expect(v1!.tasks.map((t) => [t.id, t.title, t.notes])).toStrictEqual([['T1', 'Old task', []]]);
      const tasks = (await store.listTasks('p0')).map((t) => ({ ...t, title: 'New title' }));
      await store.editPlan({ planId: 'p0', tasks, leaves: ['T1'], baseVersion: 1, by: 'ada', at: 1_767_000_000_000, summary: 'update T1: title' });
      expect((await store.listPlanVersions('p0')).map((v) => [v.version, v.tasks[0]!.title])).toStrictEqual([
        [1, 'Old task'],
        [2, 'New title'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('migrates a version-3 database to the lease schema: node states kept, no startedAt, lease and sessions usable', async () => {
    const path = freshPath();
    await SqliteStore.open(path).close(); // creates the directory and the file
    const db = new Database(path);
    applyMigrations(db, path, MIGRATIONS.filter((m) => m.version <= 3));
    db.close();
    // a v3 store (as an older taskgraph wrote it): insert directly, since today's statements name started_at
    const raw = new Database(path);
    raw.prepare(`INSERT INTO runs (id, status, graph, command, options, project_dir, created_at, updated_at)
      VALUES ('r1', 'running', '{"nodes":[],"edges":[]}', 'run', '{}', '/p', 'x', 'x')`).run();
    raw.prepare(`INSERT INTO run_nodes (run_id, node_id, status, attempts, task, last_attempt_seq) VALUES ('r1', 'a', 'running', 1, 'T1', NULL)`).run();
    raw.close();
    const store = SqliteStore.open(path);
    await store.migrate();
    try {
      expect(await store.listRunNodes('r1')).toStrictEqual([{ runId: 'r1', nodeId: 'a', status: 'running', attempts: 1, task: 'T1' }]);
      expect(await store.getRunLease('r1')).toBeUndefined();
      const lease = await store.acquireRunLease({ runId: 'r1', token: 't', pid: 1, host: 'h', now: '2025-01-01T00:00:00.000Z', ttlMs: 30_000 });
      expect(await store.getRunLease('r1')).toStrictEqual(lease);
      expect((await store.startRunSession({ runId: 'r1', command: 'resume', pid: 1, host: 'h', startedAt: 'y' })).number).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('rejects a database written by a newer schema version', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    await store.migrate();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'future', 'x');
    raw.close();
    const error = await expectCode(store.migrate(), 'STORE_ERROR');
    expect(error.message).toContain('schema version 999');
    expect(error.hint).toMatch(/upgrade taskgraph/);
    await store.close();
  });

  it('explains an unmigrated store, a closed store and a file that is not a database', async () => {
    const store = SqliteStore.open(freshPath());
    const unmigrated = await expectCode(store.getRun('r1'), 'STORE_ERROR');
    expect(unmigrated.hint).toMatch(/migrate/);
    await store.migrate();
    await store.close();
    const closed = await expectCode(store.getRun('r1'), 'STORE_ERROR');
    expect(closed.hint).toMatch(/open the store again/);

    const junk = join(root, `junk-${++counter}.db`);
    writeFileSync(junk, 'this is not an sqlite database, just text '.repeat(100));
    let error: unknown;
    try {
      const bad = SqliteStore.open(junk);
      await bad.migrate();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TaskgraphError);
    expect((error as TaskgraphError).code).toBe('STORE_ERROR');
    expect((error as TaskgraphError).hint).toMatch(/backup|delete/);
  });

  it('refuses a zero-length database file instead of treating it as a new, empty store', async () => {
    const project = join(root, `project-${++counter}`);
    const dbPath = join(project, STORE_RELATIVE_PATH);
    mkdirSync(dirname(dbPath), { recursive: true });
    writeFileSync(dbPath, '');
    const error = await expectCode(openStore(project, { env: {} }), 'STORE_ERROR');
    expect(error.message).toContain(`the database file ${dbPath} is empty (0 bytes)`);
    expect(error.hint).toMatch(/restore .* from a backup.*delete it/);
    expect(statSync(dbPath).size).toBe(0); // left as it was: nothing written into it
    // a fresh store is still created where there is no file
    const fresh = (await openStore(join(root, `project-${++counter}`), { env: {} })) as SqliteStore;
    expect(statSync(fresh.path).size).toBeGreaterThan(0);
    await fresh.close();
  });

  it('waits busy_timeout (5 s) for another writer, then fails retryable with a hint', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    await store.migrate();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const error = await expectCode(store.createRun(run('r1')), 'STORE_ERROR');
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
      expect(error.retryable).toBe(true);
      expect(error.hint).toBe('another process holds the database; retry');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await store.createRun(run('r1'));
    expect(await store.getRun('r1')).toBeDefined();
    await store.close();
  });
});
