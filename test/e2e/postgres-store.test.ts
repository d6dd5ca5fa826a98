import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

/**
 * The CLI on the PostgreSQL store (issue 15): `TASKGRAPH_DATABASE_URL` (and `store:` in
 * taskgraph.yaml) put a run's records in PostgreSQL, not in `.taskgraph/taskgraph.db`, and a second
 * command finds them there. Needs the local server (127.0.0.1:5432, database `test`; `.ci/run`
 * starts it); the test fails, not skips, when it is down.
 */

const BASE_URL = process.env['TASKGRAPH_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `tg_e2e_${process.pid}_${Date.now().toString(36)}`;
const url = `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
const admin = new pg.Pool({ connectionString: BASE_URL, max: 1 });
admin.on('error', () => undefined);

/** The project's local SQLite file, when there is one, holds only the library (FTS5) beside a PostgreSQL store: no run. */
function noLocalRuns(dir: string): void {
  const local = join(dir, '.taskgraph', 'taskgraph.db');
  if (!existsSync(local)) return;
  const db = new Database(local, { readonly: true });
  try {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() as { n: number };
    if (tables.n > 0) expect((db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n).toBe(0);
  } finally {
    db.close();
  }
}

describe('CLI on the PostgreSQL store', () => {
  let project: TempProject;

  beforeAll(async () => {
    await ensureBuilt();
    project = await createSampleRepo();
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
    await project?.cleanup();
  });

  it('TASKGRAPH_DATABASE_URL and store: keep runs in PostgreSQL; a later command reads them back', async () => {
    // the server being down fails this test (never skips it), saying how to start it
    await admin.query('SELECT 1').catch((error: Error) => {
      throw new Error(`PostgreSQL is not reachable at 127.0.0.1:5432 (${error.message}): start it with \`pg_ctlcluster <version> main start\` (.ci/run does)`, { cause: error });
    });
    const { dir } = project;
    const file = join(dir, 'two.yaml');
    await writeFile(file, 'id: two\nnodes:\n  - { id: first, kind: command, config: { run: "echo one" } }\n  - { id: second, kind: script, config: { fn: echo, args: 2 }, needs: [first] }\n');
    const env = { TASKGRAPH_DATABASE_URL: url };
    const run = await runCli(['-C', dir, 'run', file, '--no-worktree', '--json'], { env });
    expect(run.code, describeResult(run)).toBe(0);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    noLocalRuns(dir);
    const { rows } = await admin.query(`SELECT node_id, status FROM "${schema}".run_nodes WHERE run_id = $1 ORDER BY ord`, [runId]);
    expect(rows).toStrictEqual([
      { node_id: 'first', status: 'succeeded' },
      { node_id: 'second', status: 'succeeded' },
    ]);
    const runs = await cliJson<Array<{ id: string; status: string }>>(dir, ['runs', '--json'], { env });
    expect(runs.map((r) => [r.id, r.status])).toStrictEqual([[runId, 'succeeded']]);

    // the same store named by taskgraph.yaml instead of the environment
    await writeFile(join(dir, 'taskgraph.yaml'), `${await readFile(join(dir, 'taskgraph.yaml'), 'utf8')}\nstore: ${url}\n`);
    const fromConfig = await cliJson<Array<{ id: string }>>(dir, ['runs', '--json'], { env: { TASKGRAPH_DATABASE_URL: undefined } });
    expect(fromConfig.map((r) => r.id)).toStrictEqual([runId]);
    noLocalRuns(dir);
  });
});
