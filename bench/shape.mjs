#!/usr/bin/env node
/**
 * One overhead measurement in its own process: `node bench/shape.mjs <taskgraph|langgraph> <shape>`.
 * Warms the engine up on a small random DAG, then times the shape (median of `reps` runs for
 * shapes up to 1,000 nodes, one run above), and prints ONE JSON line on stdout:
 * `{ engine, shape, nodes, edges, reps, ms, usPerNode, maxRssMb, ... }`. Peak RSS is
 * `process.resourceUsage().maxRSS` (KB) of this process, so shapes never share a heap.
 */
import { setMaxListeners } from 'node:events';
import { SHAPES, edgeCount, randomDag } from './dag.mjs';

// LangGraph adds one abort listener per running task to a shared AbortSignal; past Node's default
// limit of 10 every new one prints a MaxListenersExceededWarning with a stack trace, which costs
// time that is not LangGraph's. Lift the limit for both engines.
setMaxListeners(0);

const [engineName, shapeName] = process.argv.slice(2);
const makeShape = SHAPES[shapeName];
if (!makeShape || !['taskgraph', 'langgraph'].includes(engineName)) {
  process.stderr.write(`usage: node bench/shape.mjs <taskgraph|langgraph> <${Object.keys(SHAPES).join('|')}>\n`);
  process.exit(2);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const run = engineName === 'taskgraph'
  ? (await import('./taskgraph-runner.mjs')).runNoop
  : (await import('./langgraph-runner.mjs')).runLangGraph;

// warm-up: JIT, module loading, SQLite statement preparation
for (let i = 0; i < 3; i++) await run(randomDag(200, 7 + i));

const dag = makeShape();
// up to 5 runs for shapes of at most 1,000 nodes while they take under 3 s in all; one above
const maxReps = dag.n <= 1000 ? 5 : 1;
const results = [];
const started = performance.now();
do results.push(await run(dag));
while (results.length < maxReps && performance.now() - started < 3000);
const reps = results.length;
const ms = median(results.map((x) => x.ms));
const out = {
  engine: engineName,
  shape: shapeName,
  nodes: dag.n,
  edges: edgeCount(dag),
  reps,
  ms,
  usPerNode: (ms * 1000) / dag.n,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
};
if (engineName === 'langgraph') {
  out.compileMs = median(results.map((x) => x.compileMs));
  out.buildMs = median(results.map((x) => x.buildMs));
}
process.stdout.write(`${JSON.stringify(out)}\n`);
