// PostgreSQL store overhead (issue 15, "Per-node overhead of the PostgreSQL store against
// SQLite"): a 1,000-node graph of no-op script nodes run by the engine (engine.start) on the
// SQLite store (a file in a temporary directory, as in a project) and on the PostgreSQL store (a
// fresh schema of the local server, dropped afterwards), alternately, REPS times each. Prints ONE
// JSON line: the median wall time per node of each, in µs, and their ratio. Needs dist/ and a
// PostgreSQL server (TASKGRAPH_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ProjectConfigSchema } from '../dist/core/config.js';
import { Engine } from '../dist/engine/engine.js';
import { defaultRegistry } from '../dist/nodes/index.js';
import { PostgresStore } from '../dist/store/postgres-store.js';
import { SqliteStore } from '../dist/store/sqlite-store.js';
import { scaleGraph } from '../dist/testing/scale-graph.js';

const N = Number(process.env.NODES ?? 1000);
const REPS = Number(process.env.REPS ?? 5);
const BASE = process.env.TASKGRAPH_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const config = ProjectConfigSchema.parse({ policy: { concurrency: 8 } });
const graph = scaleGraph(N);
const dir = mkdtempSync(join(tmpdir(), 'tg-pg-bench-'));
const admin = new pg.Pool({ connectionString: BASE, max: 1 });
let counter = 0;

/** A fresh, migrated store of `kind`, and how to get rid of it. */
async function fresh(kind) {
  const n = ++counter;
  if (kind === 'sqlite') {
    const store = SqliteStore.open(join(dir, `bench-${n}.db`));
    await store.migrate();
    return { store, dispose: () => store.close() };
  }
  const schema = `tg_bench_${process.pid}_${n}`;
  const store = PostgresStore.open(`${BASE}${BASE.includes('?') ? '&' : '?'}schema=${schema}`);
  await store.migrate();
  return {
    store,
    dispose: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

/** ms for engine.start of the graph on a fresh store of `kind` (store creation not counted). */
async function once(kind) {
  const { store, dispose } = await fresh(kind);
  try {
    const { executors, scripts } = defaultRegistry();
    const engine = new Engine({ store, executors, scripts, projectDir: dir, config, tracing: false });
    const t0 = performance.now();
    const summary = await engine.start({ graph, command: 'bench' });
    const ms = performance.now() - t0;
    if (summary.status !== 'succeeded') throw new Error(`run ${summary.status}: ${summary.reason}`);
    return ms;
  } finally {
    await dispose();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  await once('sqlite'); // warm-up
  await once('postgres');
  const sqlite = [];
  const postgres = [];
  for (let i = 0; i < REPS; i++) {
    // alternate which goes first, so neither always runs after the other's garbage
    if (i % 2) {
      postgres.push(await once('postgres'));
      sqlite.push(await once('sqlite'));
    } else {
      sqlite.push(await once('sqlite'));
      postgres.push(await once('postgres'));
    }
  }
  const m = { nodes: N, reps: REPS, sqlite_us_per_node: (1000 * median(sqlite)) / N, postgres_us_per_node: (1000 * median(postgres)) / N };
  m.postgres_over_sqlite = m.postgres_us_per_node / m.sqlite_us_per_node;
  console.log(JSON.stringify(m, (k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v)));
} finally {
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
