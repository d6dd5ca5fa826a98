#!/usr/bin/env node
/**
 * The model-backed scenarios, each in its own process: `node bench/scenario.mjs <makespan|incremental>`.
 * Both use `llm` nodes through the real AI SDK client against the loopback fake OpenAI server
 * (`dist/testing/fake-openai-server.js`, run in a child process by `fake-server.mjs` so its CPU
 * does not share the engine's event loop), on fresh durable SQLite files. Model calls are counted
 * at the fake server. Prints ONE JSON line.
 *
 * - makespan: a 200-node random DAG, 50 ms model latency, concurrency = the DAG's width (the
 *   most nodes at one depth). Reports makespan / (critical path in nodes × 50 ms), median of 3
 *   runs on fresh stores.
 * - incremental: a 1,000-node random DAG whose nodes feed their predecessors' answers into their
 *   prompts (`$ref` inputs), model latency 0, the fake answering with a hash of the prompt (so a
 *   changed answer changes every prompt downstream). Run 1 cold; run 2 unchanged (model calls,
 *   wall time); then, for a few nodes in turn, change that node's prompt (the previous change
 *   reverted) and compare the nodes re-executed with the node's downstream cone.
 */
import { AiSdkModelClient, Engine, ProjectConfigSchema, defaultRegistry } from '../dist/index.js';
import { downstreamCone, levels, nodeId, randomDag } from './dag.mjs';
import { startFakeServerProcess } from './fake-server.mjs';
import { freshStore } from './taskgraph-runner.mjs';

const scenario = process.argv[2];
const log = (msg) => process.stderr.write(`  [${scenario}] ${msg}\n`);

/** Model latency of the makespan scenario, ms. */
const LATENCY_MS = 50;

function engineFor(store, dir, url, concurrency, observers = []) {
  // the scenarios make ~1,000 model calls per run: above the default bound on runaway loops
  // (DEFAULT_BUDGET, 300 calls), which the makespan and incremental figures are not about
  const config = ProjectConfigSchema.parse({
    models: { bench: { provider: 'openai-compatible', baseURL: url, model: 'bench' } },
    policy: { budget: { maxModelCalls: 100_000 } },
  });
  const { executors, scripts } = defaultRegistry();
  const models = new AiSdkModelClient({ profiles: config.models, retries: 0 });
  return new Engine({ store, executors, scripts, projectDir: dir, config, models, concurrency, observers });
}

/** LLM nodes over the DAG; `promptOf(i)` is node i's prompt; predecessors feed `{{p<k>}}` when `feed`. */
function llmGraph(dag, promptOf, feed) {
  return {
    nodes: dag.preds.map((preds, i) => {
      const refs = feed ? Object.fromEntries(preds.map((p, k) => [`p${k}`, { $ref: nodeId(p), path: 'text' }])) : {};
      const placeholders = feed ? preds.map((_, k) => ` {{p${k}}}`).join('') : '';
      return {
        id: nodeId(i),
        kind: 'llm',
        config: { profile: 'bench', prompt: `${promptOf(i)}${placeholders}` },
        inputs: refs,
        ...(feed ? {} : { needs: preds.map(nodeId) }),
      };
    }),
  };
}

async function runOnce(dag, url, concurrency, promptOf, feed, s) {
  const executed = [];
  const observer = (e) => {
    if (e.type === 'node-finish' && e.status === 'succeeded') executed.push(e.nodeId);
  };
  const engine = engineFor(s.store, s.dir, url, concurrency, [observer]);
  const t0 = performance.now();
  const summary = await engine.start({ graph: llmGraph(dag, promptOf, feed), command: 'bench' });
  const ms = performance.now() - t0;
  if (summary.status !== 'succeeded') throw new Error(`run ended ${summary.status}: ${summary.reason}`);
  return { ms, summary, executed };
}

async function makespan() {
  const server = await startFakeServerProcess(LATENCY_MS, 'echo');
  try {
    // warm-up: modules, HTTP keep-alive connections, JIT
    const warm = await freshStore();
    await runOnce(randomDag(40, 3), server.url, 16, (i) => `warm ${i}`, false, warm);
    await warm.close();

    const dag = randomDag(200, 200);
    const { criticalPath, width } = levels(dag);
    const ideal = criticalPath * LATENCY_MS;
    const runs = [];
    for (let r = 0; r < 3; r++) {
      const s = await freshStore();
      const before = await server.count();
      // a different prompt per repetition: nothing could be cached even in a shared store
      const { ms, executed } = await runOnce(dag, server.url, width, (i) => `node ${i} rep ${r}`, false, s);
      await s.close();
      const calls = (await server.count()) - before;
      if (executed.length !== dag.n || calls !== dag.n) throw new Error(`expected ${dag.n} model calls, saw ${calls}`);
      runs.push(ms);
      log(`makespan ${ms.toFixed(0)} ms, ideal ${ideal} ms (critical path ${criticalPath} nodes), concurrency ${width}`);
    }
    const ms = [...runs].sort((a, b) => a - b)[1];
    return {
      nodes: dag.n, criticalPath, width, concurrency: width, latencyMs: LATENCY_MS, makespanMs: ms, idealMs: ideal, ratio: ms / ideal,
      runs: runs.map((r) => r / ideal),
    };
  } finally {
    await server.close();
  }
}

async function incremental() {
  const server = await startFakeServerProcess(0, 'hash');
  const concurrency = 16;
  try {
    const dag = randomDag(1000, 1000);
    const s = await freshStore();
    const calls = () => server.count();

    let c0 = await calls();
    const cold = await runOnce(dag, server.url, concurrency, (i) => `node ${i}`, true, s);
    const coldCalls = (await calls()) - c0;
    log(`cold run: ${cold.executed.length} executed, ${coldCalls} model calls, ${cold.ms.toFixed(0)} ms`);

    c0 = await calls();
    const same = await runOnce(dag, server.url, concurrency, (i) => `node ${i}`, true, s);
    const unchangedCalls = (await calls()) - c0;
    log(`unchanged re-run: ${same.executed.length} executed, ${unchangedCalls} model calls, ${same.ms.toFixed(0)} ms`);

    const changes = [];
    for (const target of [500, 100, 250, 999]) {
      const cone = downstreamCone(dag, target);
      c0 = await calls();
      const run = await runOnce(dag, server.url, concurrency, (i) => (i === target ? `node ${i} (changed)` : `node ${i}`), true, s);
      const modelCalls = (await calls()) - c0;
      const outside = run.executed.filter((id) => !cone.has(Number(id.slice(1)))).length;
      changes.push({ node: nodeId(target), cone: cone.size, reexecuted: run.executed.length, outsideCone: outside, modelCalls, ms: run.ms });
      log(`changed ${nodeId(target)}: re-executed ${run.executed.length} / cone ${cone.size} (${outside} outside), ${run.ms.toFixed(0)} ms`);
    }
    await s.close();
    const reexecuted = changes.reduce((n, c) => n + c.reexecuted, 0);
    const cone = changes.reduce((n, c) => n + c.cone, 0);
    return {
      nodes: dag.n,
      coldMs: cold.ms,
      coldModelCalls: coldCalls,
      unchangedModelCalls: unchangedCalls,
      unchangedExecuted: same.executed.length,
      unchangedMs: same.ms,
      changes,
      ratio: reexecuted / cone,
    };
  } finally {
    await server.close();
  }
}

const scenarios = { makespan, incremental };
if (!scenarios[scenario]) {
  process.stderr.write('usage: node bench/scenario.mjs <makespan|incremental>\n');
  process.exit(2);
}
const result = await scenarios[scenario]();
process.stdout.write(`${JSON.stringify({ scenario, ...result, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
