#!/usr/bin/env node
/**
 * The listings of a 100,000-node run (issue 8 item 16: `status` on such a run took 6 min 23 s,
 * because it filtered all attempts for every node): `node bench/status.mjs [nodes]`.
 *
 * Fills a fresh project store the way a real run does — the engine runs the `random_100000`
 * shape of no-op nodes (`dag.mjs`) — then times the CLI itself (`dist/cli/main.js`, a new process
 * each, stdout to /dev/null): `status RUN`, `status RUN --json`, `runs` and `report RUN --print`.
 * Each figure is wall time in ms of the whole process, Node's start-up included (measured alone
 * as `--version`). Prints ONE JSON line on stdout; progress goes to stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, ProjectConfigSchema, defaultRegistry, openStore } from '../dist/index.js';
import { randomDag } from './dag.mjs';
import { noopGraph, OVERHEAD_CONCURRENCY } from './taskgraph-runner.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'dist', 'cli', 'main.js');
const nodes = Number(process.argv[2] ?? 100_000);
const log = (msg) => process.stderr.write(`${msg}\n`);

const dir = mkdtempSync(join(tmpdir(), 'tg-bench-status-'));
try {
  writeFileSync(join(dir, 'taskgraph.yaml'), 'name: status-bench\n');
  const store = await openStore(dir);
  const { executors, scripts } = defaultRegistry();
  const engine = new Engine({ store, executors, scripts, projectDir: dir, config: ProjectConfigSchema.parse({}), concurrency: OVERHEAD_CONCURRENCY });
  const t0 = performance.now();
  const summary = await engine.start({ graph: noopGraph(randomDag(nodes, nodes)), command: 'bench' });
  const fillMs = performance.now() - t0;
  await store.close();
  if (summary.status !== 'succeeded') throw new Error(`the ${nodes}-node run ended ${summary.status}`);
  log(`  filled: ${nodes} nodes in ${(fillMs / 1000).toFixed(1)} s`);

  /** Wall time (ms) of one CLI process with these arguments; throws when it fails. */
  const time = (args) => {
    const start = performance.now();
    const r = spawnSync(process.execPath, [CLI, '-C', dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`taskgraph ${args.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).slice(0, 300)}`);
    log(`  ${args.join(' ')}: ${ms.toFixed(0)} ms`);
    return ms;
  };
  const result = {
    nodes,
    fill_ms: fillMs,
    cli_startup_ms: time(['--version']),
    status_ms: time(['status', summary.runId]),
    status_json_ms: time(['status', summary.runId, '--json']),
    runs_ms: time(['runs']),
    report_print_ms: time(['report', summary.runId, '--print']),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
