import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * Durability of the SQLite store under kill -9 (DESIGN.md §5, §6): a child process writes in a
 * loop and is SIGKILLed, at every statement boundary of one iteration in turn and at random
 * moments; the database must then hold every write the child reported as committed, and no
 * half-written one (a running attempt without its cache entry is the only in-between state, and
 * a cache entry never lacks its output blob).
 */

const root = mkdtempSync(join(tmpdir(), 'taskgraph-kill-'));
let counter = 0;
const freshPath = (): string => join(root, `db-${++counter}`, 'taskgraph.db');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const repo = fileURLToPath(new URL('../..', import.meta.url));
const built = join(repo, 'dist', 'store', 'sqlite-store.js');

/** The child imports the built store; rebuild when a source it loads is newer than its output. */
beforeAll(() => {
  const sources = [
    ...readdirSync(join(repo, 'src', 'store')).filter((f) => /^[a-z-]+\.ts$/.test(f)).map((f) => `store/${f}`),
    'core/errors.ts', 'core/hash.ts', 'core/json.ts',
  ];
  const fresh = () =>
    sources.every((s) => {
      const out = join(repo, 'dist', s.replace(/\.ts$/, '.js'));
      return existsSync(out) && statSync(join(repo, 'src', s)).mtimeMs <= statSync(out).mtimeMs;
    });
  if (fresh()) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'pipe' });
  } catch (error) {
    // tsc still emits when other parts of the project have type errors; only a missing or stale output is fatal
    if (!fresh()) throw new Error(`building ${built} failed: ${String((error as { stdout?: Buffer }).stdout ?? error)}`);
  }
});

/**
 * A child program: opens the store at TG_DB, creates run `r` with nodes n0..n19, then runs `loop`
 * (which prints each committed index). With TG_KILL_AT=k it SIGKILLs itself right after the k-th
 * SQLite statement (BEGIN and COMMIT included) counted from the iteration where `loop` sets
 * `counted = 0`; better-sqlite3's Statement#run is only counted, never altered.
 */
function childProgram(loop: string): string {
  return `
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
    ${loop}
  `;
}

/**
 * Runs `program` until it dies of SIGKILL: its own (`killAt` > 0), or ours, sent a random
 * 0-30 ms after it has reported `minimum` iterations. Resolves the last index it reported.
 */
function killMidLoop(program: string, db: string, minimum: number, killAt: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', program], {
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

/** The raw file is a sound database whose foreign keys (run, output blob) all hold. */
function checkFile(db: string): void {
  const raw = new Database(db);
  try {
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(raw.pragma('foreign_key_check')).toStrictEqual([]);
  } finally {
    raw.close();
  }
}

describe('SqliteStore durability under kill -9: startAttempt + finishAttempt', () => {
  /** iterations: startAttempt + finishAttempt with a ~20 kB cache entry; the kill lands in iteration 100 */
  const child = childProgram(`
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
  `);

  /** final state of the in-flight attempt per round: 'running' | 'finished' */
  const outcomes: string[] = [];

  async function checkAfterKill(db: string, lastReported: number): Promise<void> {
    checkFile(db);

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
      const lastReported = await killMidLoop(child, db, 0, killAt);
      expect(lastReported).toBeGreaterThanOrEqual(99);
      await checkAfterKill(db, lastReported);
    },
  );

  it.each([1, 2, 3])('killed at a random moment (round %i): same guarantees', async () => {
    const db = freshPath();
    const lastReported = await killMidLoop(child, db, 150, 0);
    expect(lastReported).toBeGreaterThanOrEqual(149);
    await checkAfterKill(db, lastReported);
  });

  it('the kills above landed both inside and between transactions', () => {
    expect(outcomes).toContain('running');
    expect(outcomes).toContain('finished');
  });
});

describe('SqliteStore durability under kill -9: large cache entries (output blobs)', () => {
  /**
   * iterations: recordFinishedAttempt with a cache entry whose output is, by i % 3, one large
   * output shared by every such iteration, a large output of its own, or a small one; the
   * self-kill lands in iteration 40 (its own large output: BEGIN, blob, attempt, node, cache, COMMIT).
   */
  const child = childProgram(`
    const shared = { shared: true, pad: 'y'.repeat(70000) };
    for (let i = 0; ; i++) {
      if (i === 40 && killAt > 0) counted = 0;
      const nodeId = 'n' + (i % 20);
      const ingredients = { kind: 'script', kindVersion: 1, config: 'c', inputs: { i: String(i) }, extra: {} };
      const output = i % 3 === 0 ? shared : i % 3 === 1 ? { i, pad: 'z'.repeat(70000 + i) } : { i, small: true };
      const attempts = Math.floor(i / 20) + 1;
      await store.recordFinishedAttempt(
        { runId: 'r', nodeId, number: attempts, status: 'succeeded', cacheKey: 'key-' + i, ingredients, output, outputHash: 'h' + i, usage, startedAt: t, finishedAt: t, durationMs: 1 },
        { runId: 'r', nodeId, status: 'succeeded', attempts },
        { cache: { key: 'key-' + i, kind: 'script', nodeId, ingredients, output, outputHash: 'h' + i, usage, createdAt: t } },
      );
      process.stdout.write(i + '\\n');
    }
  `);

  /** what the child wrote in iteration `i` */
  const expected = (i: number): Json =>
    i % 3 === 0 ? { shared: true, pad: 'y'.repeat(70000) } : i % 3 === 1 ? { i, pad: 'z'.repeat(70000 + i) } : { i, small: true };

  async function checkAfterKill(db: string, lastReported: number): Promise<void> {
    checkFile(db);
    const raw = new Database(db, { readonly: true });
    let blobs: { hash: string; size: number; data: Buffer }[];
    try {
      for (const table of ['attempts', 'cache_entries']) {
        const orphans = raw
          .prepare(`SELECT count(*) AS n FROM ${table} t LEFT JOIN blobs b ON b.hash = t.output_blob WHERE t.output_blob IS NOT NULL AND b.hash IS NULL`)
          .get() as { n: number };
        expect(orphans.n, `${table} rows naming a missing blob`).toBe(0);
      }
      blobs = raw.prepare('SELECT hash, size, data FROM blobs').all() as typeof blobs;
    } finally {
      raw.close();
    }
    for (const blob of blobs) {
      expect(sha256(blob.data)).toBe(blob.hash);
      expect(blob.data.length).toBe(blob.size);
    }

    const store = SqliteStore.open(db);
    await store.migrate();
    try {
      const attempts = await store.listAttempts('r');
      // one transaction per iteration: everything reported is there, and at most the one in flight beyond it
      expect(attempts.length).toBeGreaterThan(lastReported);
      expect(attempts.length).toBeLessThanOrEqual(lastReported + 2);
      for (const [i, a] of attempts.entries()) {
        expect(a.cacheKey).toBe(`key-${i}`);
        expect(a.status).toBe('succeeded');
        expect(a.output).toStrictEqual(expected(i));
        expect((await store.getCache(`key-${i}`))?.output).toStrictEqual(expected(i));
      }
      // the entry in flight when the child died was not half-written: it is absent
      expect(await store.getCache(`key-${attempts.length}`)).toBeUndefined();
      // stored once each: the shared output, plus one per committed iteration with its own
      const own = attempts.filter((_, i) => i % 3 === 1).length;
      expect(blobs.length).toBe(own + (attempts.length > 0 ? 1 : 0));
    } finally {
      await store.close();
    }
  }

  it.each(Array.from({ length: 7 }, (_, i) => i + 1))(
    'killed after statement %i of an iteration: no cache entry without its blob, none half-written',
    async (killAt) => {
      const db = freshPath();
      const lastReported = await killMidLoop(child, db, 0, killAt);
      expect(lastReported).toBeGreaterThanOrEqual(39);
      await checkAfterKill(db, lastReported);
    },
  );

  it.each([1, 2, 3])('killed at a random moment (round %i): same guarantees', async () => {
    const db = freshPath();
    const lastReported = await killMidLoop(child, db, 60, 0);
    expect(lastReported).toBeGreaterThanOrEqual(59);
    await checkAfterKill(db, lastReported);
  });
});

describe('SqliteStore creation by processes at once', () => {
  it('eight processes opening one new store together all open it: none sees the half-created file as an empty store', async () => {
    for (let round = 0; round < 3; round++) {
      const db = freshPath();
      // each child waits for the same moment, then opens (creates) the store and migrates it
      const at = Date.now() + 700;
      const program = `
        import { SqliteStore } from ${JSON.stringify(built)};
        while (Date.now() < ${at}) {}
        const store = SqliteStore.open(process.env.TG_DB);
        await store.migrate();
        await store.close();
        console.log('ok');
      `;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
          const proc = spawn(process.execPath, ['--input-type=module', '-e', program], { cwd: repo, env: { ...process.env, TG_DB: db }, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
          proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
          proc.on('error', reject);
          proc.on('exit', (code) => resolve({ code, out, err }));
        })),
      );
      for (const r of results) expect(r, r.err).toMatchObject({ code: 0, out: 'ok\n' });
      checkFile(db);
      expect(readdirSync(join(db, '..')).filter((f) => f.includes('.new-'))).toEqual([]);
    }
  });
});
