import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REDACTED, resetSecretRedactor, secretRedactor } from '../security/redact.js';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { PostgresStore } from './postgres-store.js';
import { openStore } from './open-store.js';
import { expectCode, finishedAttempt, nodeState, plan, run, task } from './store-fixtures.case.js';
import { DATABASE_URL_ENV, parsePostgresUrl, redactDatabaseUrl, resolveStoreLocation } from './store-location.js';
import { storeConformance } from './store.case.js';
import type { Store } from './store.js';

/**
 * The PostgreSQL store against the local server (issue 15: 127.0.0.1:5432, database `test`,
 * trust auth; `.ci/run` starts it). Every test works in a schema of its own (created by
 * `migrate()` from `?schema=`, dropped after the test). The server being down FAILS every test
 * (its store cannot be made) with the way to start it: they never skip.
 */

// synchronous_commit=off: the tests' commits do not wait for the WAL to reach the disk (what a test
// checks never depends on surviving a crash of the machine); the store's own default is left as is
const BASE_URL = process.env['TASKGRAPH_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test?options=-c%20synchronous_commit%3Doff';
const HOW_TO_START = 'PostgreSQL must run on 127.0.0.1:5432 with a database `test` for these tests: start it with `pg_ctlcluster <version> main start` (`.ci/run` does when it is down), or set TASKGRAPH_TEST_POSTGRES_URL';

const admin = new pg.Pool({ connectionString: BASE_URL, max: 2 });
admin.on('error', () => undefined);
let counter = 0;
const schemas: string[] = [];

/** A new schema name for one test, unique across processes. */
function freshSchema(): string {
  const name = `tg_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  schemas.push(name);
  return name;
}

/** `BASE_URL` with `?schema=`. */
function urlFor(schema: string): string {
  return `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
}

/** DROP SCHEMA statements under way (awaited after the last test). */
const drops: Promise<unknown>[] = [];

/** Opens and migrates a store in a new schema; its close() also drops the schema (without waiting for the drop). */
async function createStore(): Promise<PostgresStore> {
  const schema = freshSchema();
  const store = PostgresStore.open(urlFor(schema), { maxConnections: 4 });
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    const e = error as TaskgraphError;
    throw new Error(`${e.message}\n${e.hint ?? ''}\n${HOW_TO_START}`, { cause: error });
  }
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    drops.push(admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  };
  return store;
}

/**
 * Stores of the next tests, created and migrated while the current test runs: every test still
 * gets a schema of its own, made by `migrate()`, but the server's DDL (the bulk of a test's time:
 * ~17 tables with their indexes) runs ahead, a few schemas at once.
 */
const AHEAD = 3;
const ahead: Promise<PostgresStore>[] = [];

/** A new, empty, migrated store in its own schema (one prepared ahead). */
async function freshStore(): Promise<PostgresStore> {
  while (ahead.length < AHEAD + 1) {
    const next = createStore();
    next.catch(() => undefined); // its failure is reported by the test that takes it
    ahead.push(next);
  }
  return ahead.shift()!;
}

afterAll(async () => {
  for (const next of ahead) await next.then((store) => store.close()).catch(() => undefined);
  await Promise.allSettled(drops);
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await admin.end();
});

storeConformance('postgres', freshStore, async (store) => PostgresStore.open((store as PostgresStore).location, { maxConnections: 4 }));

describe('PostgresStore (PostgreSQL specifics)', () => {
  it('two processes migrating one new schema at once both succeed; migrate is recorded once per version', async () => {
    const schema = freshSchema();
    const [a, b] = [PostgresStore.open(urlFor(schema)), PostgresStore.open(urlFor(schema))];
    try {
      await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
      const { rows } = await admin.query<{ version: number; name: string }>(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
      expect(rows).toStrictEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      await a.savePlan(plan('p1'));
      expect(await b.getPlan('p1')).toStrictEqual(plan('p1'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a database written by a newer schema version', async () => {
    const store = await freshStore();
    try {
      await admin.query(`INSERT INTO "${store.location.schema}".schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')`);
      const error = await expectCode(store.migrate(), 'STORE_ERROR');
      expect(error.message).toContain('schema version 999');
      expect(error.hint).toMatch(/upgrade taskgraph/);
    } finally {
      await store.close();
    }
  });

  it('keeps the NUL character of an output exactly (as a blob) and stores it as U+FFFD in text and other JSON', async () => {
    const store = await freshStore();
    try {
      await store.createRun(run('r1', undefined, { reason: 'a\u0000b' }));
      const output = { stdout: 'bin\u0000ary', escaped: '\\u0000 is not NUL' };
      const done = await store.recordFinishedAttempt(
        finishedAttempt('r1', 'a', 'failed', { output, error: { code: 'COMMAND_FAILED', message: 'x\u0000y', retryable: false, details: {} } }),
        nodeState('r1', 'a', 'failed'),
      );
      const [back] = await store.listAttempts('r1');
      expect(back?.output).toStrictEqual(output);
      expect(back?.seq).toBe(done.seq);
      expect(back?.error?.message).toBe('x\uFFFDy');
      expect((await store.getRun('r1'))?.reason).toBe('a\uFFFDb');
      // the group commit: batched (distinct nodes), then row by row (one node twice)
      const batched = await store.recordFinishedAttempts([
        { attempt: finishedAttempt('r1', 'b', 'succeeded', { output: 'b\u0000', outputHash: 'hb' }), node: nodeState('r1', 'b', 'succeeded') },
        { attempt: finishedAttempt('r1', 'c', 'failed', { error: { code: 'NODE_FAILED', message: 'c\u0000', retryable: false, details: {} } }), node: nodeState('r1', 'c', 'failed') },
      ]);
      const twice = await store.recordFinishedAttempts([
        { attempt: finishedAttempt('r1', 'd', 'failed'), node: nodeState('r1', 'd', 'failed') },
        { attempt: finishedAttempt('r1', 'd', 'succeeded', { number: 2, output: 2 }), node: nodeState('r1', 'd', 'succeeded', 2) },
      ]);
      const all = await store.listAttempts('r1');
      expect(all.slice(1)).toStrictEqual([...batched, ...twice].map((a) => (a.error ? { ...a, error: { ...a.error, message: 'c\uFFFD' } } : a)));
      expect((await store.listRunNodes('r1')).find((n) => n.nodeId === 'd')).toMatchObject({ status: 'succeeded', attempts: 2, lastAttemptSeq: twice[1]!.seq });
      await store.savePlan({ ...plan('p1'), tasks: [task('p1', 'T1', { title: 'nul\u0000title', notes: ['n\u0000'] })] });
      expect(await store.getTask('p1', 'T1')).toMatchObject({ title: 'nul\uFFFDtitle', notes: ['n\uFFFD'] });
    } finally {
      await store.close();
    }
  });

  it('an unreachable server is STORE_ERROR with the way to start it, and the password never shows', async () => {
    const store = PostgresStore.open('postgres://ada:hunter2-very-secret@127.0.0.1:1/test?schema=x', { connectTimeoutMs: 2_000 });
    try {
      const error = await expectCode(store.migrate(), 'STORE_ERROR');
      expect(error.retryable).toBe(true);
      expect(error.hint).toMatch(/start PostgreSQL/);
      const shown = JSON.stringify({ message: error.message, details: error.details, hint: error.hint });
      expect(shown).not.toContain('hunter2');
      expect(shown).toContain('ada:***@127.0.0.1:1');
      expect(store.location.display).not.toContain('hunter2');
    } finally {
      await store.close();
    }
    const closed = await freshStore();
    await closed.close();
    expect((await expectCode(closed.getRun('r1'), 'STORE_ERROR')).hint).toMatch(/open the store again/);
  });

  it('a password in TASKGRAPH_DATABASE_URL becomes a secret: the redactor removes the URL wherever it appears', async () => {
    const schema = freshSchema();
    const withPassword = urlFor(schema).replace('postgres://postgres@', 'postgres://postgres:pw-not-needed-with-trust@');
    vi.stubEnv(DATABASE_URL_ENV, withPassword);
    resetSecretRedactor();
    try {
      const store = await openStore('/nonexistent-project');
      await store.close();
      expect(secretRedactor().redact(`connect to ${withPassword} now`)).toBe(`connect to ${REDACTED} now`);
    } finally {
      vi.unstubAllEnvs();
      resetSecretRedactor();
    }
  });

  it('selects the store: TASKGRAPH_DATABASE_URL wins over store:, sqlite: or a path keeps SQLite, schema names are checked', async () => {
    const pgUrl = 'postgres://u:pw@db.example:5433/tg?schema=team_a';
    expect(resolveStoreLocation('/p')).toStrictEqual({ kind: 'sqlite', path: '/p/.taskgraph/taskgraph.db' });
    expect(resolveStoreLocation('/p', pgUrl, {})).toMatchObject({ kind: 'postgres', schema: 'team_a', display: expect.stringContaining('u:***@db.example') as unknown });
    expect(resolveStoreLocation('/p', pgUrl, { [DATABASE_URL_ENV]: 'sqlite:data/x.db' })).toStrictEqual({ kind: 'sqlite', path: '/p/data/x.db' });
    expect(resolveStoreLocation('/p', 'sqlite:/abs/y.db', { [DATABASE_URL_ENV]: '' })).toStrictEqual({ kind: 'sqlite', path: '/abs/y.db' });
    expect(resolveStoreLocation('/p', undefined, { [DATABASE_URL_ENV]: 'postgresql://h/db' })).toMatchObject({ kind: 'postgres' });
    const parsed = parsePostgresUrl(pgUrl);
    expect(parsed.connectionString).not.toContain('schema=');
    expect(new URL(parsed.connectionString).searchParams.get('options')).toBe('-c search_path=team_a');
    expect(parsePostgresUrl('postgres://h/db?options=-c%20search_path%3Dother').schema).toBe('other');
    const bad = await expectCode(Promise.resolve().then(() => parsePostgresUrl('postgres://u:pw-secret@h/db?schema=x;drop')), 'CONFIG_INVALID');
    expect(bad.message).not.toContain('pw-secret');
    expect(redactDatabaseUrl('postgres://u:p%40ss@h/db')).toBe('postgres://u:***@h/db');
    expect(ProjectConfigSchema.parse({ store: pgUrl }).store).toBe(pgUrl);
    expect(ProjectConfigSchema.parse({ store: 'sqlite:.taskgraph/other.db' }).store).toBe('sqlite:.taskgraph/other.db');
    expect(ProjectConfigSchema.safeParse({ store: 'mysql://h/db' }).success).toBe(false);

    const schema = freshSchema();
    const viaEnv = await openStore('/nonexistent-project', { env: { [DATABASE_URL_ENV]: urlFor(schema) } });
    try {
      expect(viaEnv).toBeInstanceOf(PostgresStore);
      await viaEnv.createRun(run('r1'));
      const { rows } = await admin.query(`SELECT id FROM "${schema}".runs`);
      expect(rows).toStrictEqual([{ id: 'r1' }]);
    } finally {
      await viaEnv.close();
    }
    const viaConfig: Store = await openStore('/nonexistent-project', { store: urlFor(schema), env: {} });
    try {
      expect(await viaConfig.getRun('r1')).toBeDefined();
    } finally {
      await viaConfig.close();
    }
  });
});
