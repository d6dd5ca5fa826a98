import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';
import { openStore, SqliteStore, STORE_RELATIVE_PATH } from './sqlite-store.js';
import { attemptStart, expectCode, plan, run, usage } from './store-fixtures.case.js';
import { storeConformance } from './store.case.js';

const root = mkdtempSync(join(tmpdir(), 'taskgraph-store-'));
let counter = 0;
const freshPath = (): string => join(root, `db-${++counter}`, 'taskgraph.db');

afterAll(() => rmSync(root, { recursive: true, force: true }));

storeConformance('sqlite', async () => {
  const store = SqliteStore.open(freshPath());
  await store.migrate();
  return store;
});

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
    const store = await openStore(project);
    expect(store.path).toBe(join(project, STORE_RELATIVE_PATH));
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

    const again = await openStore(project);
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

describe('SqliteStore durability under kill -9', () => {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const built = join(repo, 'dist', 'store', 'sqlite-store.js');
  const sources = ['store/sqlite-store.ts', 'store/sqlite-rows.ts', 'store/sqlite-statements.ts', 'store/sqlite-errors.ts', 'store/migrations.ts', 'core/errors.ts'];

  beforeAll(() => {
    const fresh = () => existsSync(built) && sources.every((s) => statSync(join(repo, 'src', s)).mtimeMs <= statSync(built).mtimeMs);
    if (fresh()) return;
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'pipe' });
    } catch (error) {
      // tsc still emits when other parts of the project have type errors; only a missing or stale output is fatal
      if (!fresh()) throw new Error(`building ${built} failed: ${String((error as { stdout?: Buffer }).stdout ?? error)}`);
    }
  });

  /**
   * Child: loops startAttempt + finishAttempt (with a ~20 kB cache entry), printing each committed
   * index. With TG_KILL_AT=k it SIGKILLs itself right after the k-th SQLite statement (BEGIN and
   * COMMIT included) of iteration 100, so the kill lands at every statement boundary of one
   * start/finish pair in turn; better-sqlite3's Statement#run is only counted, never altered.
   */
  const child = `
    import Database from 'better-sqlite3';
    import { SqliteStore } from ${JSON.stringify(built)};
    const killAt = Number(process.env.TG_KILL_AT ?? 0);
    let counted = -1;
    const proto = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1'));
    const run = proto.run;
    proto.run = function (...args) {
      const result = run.apply(this, args);
      if (counted >= 0 && ++counted === killAt) process.kill(process.pid, 'SIGKILL');
      return result;
    };
    const store = SqliteStore.open(process.env.TG_DB);
    await store.migrate();
    const nodes = Array.from({ length: 20 }, (_, i) => ({ id: 'n' + i, kind: 'command', config: {}, inputs: {}, needs: [], priority: 0 }));
    const t = new Date().toISOString();
    await store.createRun({ id: 'r', status: 'running', graph: { nodes, edges: [] }, command: 'run', options: {}, projectDir: '/p', createdAt: t, updatedAt: t });
    const usage = { inputTokens: 1, outputTokens: 2, costUsd: 0.5, calls: 1 };
    const ws = { head: 'a'.repeat(40), tree: 'b'.repeat(40) };
    for (let i = 0; ; i++) {
      if (i === 100 && killAt > 0) counted = 0;
      const nodeId = 'n' + (i % 20);
      const ingredients = { kind: 'command', kindVersion: 1, config: 'c', inputs: { i: String(i) }, extra: {} };
      const a = await store.startAttempt({ runId: 'r', nodeId, number: Math.floor(i / 20) + 1, cacheKey: 'key-' + i, ingredients, usage, startedAt: t });
      const output = { i, pad: 'x'.repeat(20000) };
      await store.finishAttempt({
        seq: a.seq, status: 'succeeded', output, outputHash: 'h' + i, usage, finishedAt: t, durationMs: 1,
        node: { runId: 'r', nodeId, status: 'succeeded', attempts: a.number },
        cache: { key: 'key-' + i, kind: 'command', nodeId, ingredients, output, outputHash: 'h' + i, usage, createdAt: t },
        runWorkspace: ws,
      });
      process.stdout.write(i + '\\n');
    }
  `;

  /**
   * Runs the child until it dies of SIGKILL: its own (`killAt` > 0), or ours, sent a random
   * 0-30 ms after it has committed `minimum` attempts. Resolves the last index it reported.
   */
  function killMidLoop(db: string, minimum: number, killAt: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
        cwd: repo,
        env: { ...process.env, TG_DB: db, TG_KILL_AT: String(killAt) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      let armed = killAt > 0;
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (!armed && out.split('\n').length > minimum) {
          armed = true;
          setTimeout(() => proc.kill('SIGKILL'), Math.floor(Math.random() * 30));
        }
      });
      proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      proc.on('error', reject);
      proc.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code}/${signal} before the kill: ${err}`));
        const reported = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
        resolve(reported.length === 0 ? -1 : Math.max(...reported));
      });
    });
  }

  /** final state of the in-flight attempt per round: 'running' | 'finished' */
  const outcomes: string[] = [];

  async function checkAfterKill(db: string, lastReported: number): Promise<void> {
    const raw = new Database(db);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    const store = SqliteStore.open(db);
    await store.migrate();
    try {
      const attempts = await store.listAttempts('r');
      expect(attempts.length).toBeGreaterThan(lastReported);
      const running = attempts.filter((a) => a.status === 'running');
      expect(running.length).toBeLessThanOrEqual(1);
      outcomes.push(running.length ? 'running' : 'finished');
      for (const [index, a] of attempts.entries()) {
        expect(a.cacheKey).toBe(`key-${index}`);
        const cached = await store.getCache(a.cacheKey);
        if (a.status === 'succeeded') {
          expect(cached?.output).toStrictEqual(a.output);
          expect(cached?.outputHash).toBe(`h${index}`);
        } else {
          expect(a.status).toBe('running');
          expect(cached, `attempt ${index} is running but its cache entry was written`).toBeUndefined();
          expect(index).toBe(attempts.length - 1);
        }
        // no result the child reported as committed was lost
        if (index <= lastReported) expect(a.status).toBe('succeeded');
      }
      const nodes = await store.listRunNodes('r');
      for (const a of running) expect(nodes.find((n) => n.nodeId === a.nodeId)).toMatchObject({ status: 'running', lastAttemptSeq: a.seq });
      expect((await store.getRun('r'))?.workspace).toStrictEqual({ head: 'a'.repeat(40), tree: 'b'.repeat(40) });

      expect(await store.interruptRunning('r')).toBe(running.length);
      expect((await store.listRunNodes('r')).every((n) => n.status === 'succeeded' || n.status === 'pending')).toBe(true);
    } finally {
      await store.close();
    }
  }

  it.each(Array.from({ length: 12 }, (_, i) => i + 1))(
    'killed after statement %i of a start/finish pair: every attempt is finished with its cache entry, or running without one',
    async (killAt) => {
      const db = freshPath();
      const lastReported = await killMidLoop(db, 0, killAt);
      expect(lastReported).toBeGreaterThanOrEqual(99);
      await checkAfterKill(db, lastReported);
    },
  );

  it.each([1, 2, 3])('killed at a random moment (round %i): same guarantees', async () => {
    const db = freshPath();
    const lastReported = await killMidLoop(db, 150, 0);
    expect(lastReported).toBeGreaterThanOrEqual(149);
    await checkAfterKill(db, lastReported);
  });

  it('the kills above landed both inside and between transactions', () => {
    expect(outcomes).toContain('running');
    expect(outcomes).toContain('finished');
  });
});
