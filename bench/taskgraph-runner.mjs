import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, ProjectConfigSchema, SqliteStore, defaultRegistry } from '../dist/index.js';
import { nodeId } from './dag.mjs';

/** Concurrency of the no-op overhead runs (nodes in flight at once). */
export const OVERHEAD_CONCURRENCY = 16;

/**
 * A fresh durable store: a new SQLite FILE (WAL, synchronous=NORMAL, as in production) in its
 * own temp directory, migrated. Nothing is cached in it.
 * @returns {{ store, dir, close(): Promise<void> }}
 */
export async function freshStore() {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
  const store = SqliteStore.open(join(dir, 'bench.db'));
  await store.migrate();
  return {
    store,
    dir,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The DAG as taskgraph script nodes: the built-in `noop` script, a distinct `args` per node (so
 * cache keys differ) and ordering edges (`needs`) from the DAG.
 */
export function noopGraph(dag) {
  return {
    nodes: dag.preds.map((preds, i) => ({
      id: nodeId(i),
      kind: 'script',
      config: { fn: 'noop', args: i },
      needs: preds.map(nodeId),
    })),
  };
}

/**
 * Runs `dag` once with no-op nodes on a fresh durable store and times `engine.start` (graph
 * validation, run creation and every node's durable bookkeeping; opening the store is not
 * counted).
 * @returns {Promise<{ ms: number, summary }>} wall time in ms
 * @throws Error when the run does not succeed with every node executed
 */
export async function runNoop(dag, concurrency = OVERHEAD_CONCURRENCY) {
  const config = ProjectConfigSchema.parse({});
  const { executors, scripts } = defaultRegistry();
  const s = await freshStore();
  try {
    const engine = new Engine({ store: s.store, executors, scripts, projectDir: s.dir, config, concurrency });
    const graph = noopGraph(dag);
    const t0 = performance.now();
    const summary = await engine.start({ graph, command: 'bench' });
    const ms = performance.now() - t0;
    if (summary.status !== 'succeeded' || summary.counts.succeeded !== dag.n) {
      throw new Error(`taskgraph run ended ${summary.status} with ${JSON.stringify(summary.counts)}`);
    }
    return { ms, summary };
  } finally {
    await s.close();
  }
}
