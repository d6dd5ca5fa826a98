// Tracing overhead (issue 13, "Tracing and logs"): a 1,000-node graph of no-op script nodes run
// by the engine with the trace observer (tracing on, no SDK registered: spans are no-ops, as in
// a CLI run without OTEL_EXPORTER_OTLP_ENDPOINT) and without it (`tracing: false`), alternately,
// REPS times each, in-memory store. Prints the medians (ms) and their difference. Needs dist/.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectConfigSchema } from '../dist/core/config.js';
import { Engine } from '../dist/engine/engine.js';
import { defaultRegistry } from '../dist/nodes/index.js';
import { SqliteStore } from '../dist/store/sqlite-store.js';
import { scaleGraph } from '../dist/testing/scale-graph.js';

const N = Number(process.env.NODES ?? 1000);
const REPS = Number(process.env.REPS ?? 7);
const config = ProjectConfigSchema.parse({ policy: { concurrency: 8 } });
const graph = scaleGraph(N);
const dir = mkdtempSync(join(tmpdir(), 'tg-trace-bench-'));

async function once(tracing) {
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry();
  const engine = new Engine({ store, executors, scripts, projectDir: dir, config, tracing });
  const t0 = performance.now();
  const summary = await engine.start({ graph, command: 'bench' });
  const ms = performance.now() - t0;
  await store.close();
  if (summary.status !== 'succeeded') throw new Error(`run ${summary.status}: ${summary.reason}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await once(true); // warm-up
await once(false);
const on = [];
const off = [];
for (let i = 0; i < REPS; i++) {
  // alternate which goes first, so neither always runs after the other's garbage
  if (i % 2) {
    on.push(await once(true));
    off.push(await once(false));
  } else {
    off.push(await once(false));
    on.push(await once(true));
  }
}
const m = { nodes: N, reps: REPS, withObserverMs: median(on), withoutObserverMs: median(off) };
m.differenceMs = m.withObserverMs - m.withoutObserverMs;
m.differencePct = (100 * m.differenceMs) / m.withoutObserverMs;
m.perNodeUs = (1000 * m.differenceMs) / N;
console.log(JSON.stringify(m, (k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v)));
