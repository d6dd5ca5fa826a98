import { mulberry32 } from '../dist/testing/prng.js';
export { mulberry32 };
/**
 * Benchmark graph shapes, as plain index-based DAGs shared by both engines.
 *
 * A DAG is `{ n, preds }`: nodes are 0..n-1 and `preds[i]` lists the nodes node i waits for
 * (always indexes < i, so index order is a topological order). Node i is named `n<i>`.
 */


/** n nodes in a line: node i waits for node i-1. */
export function chain(n) {
  return { n, preds: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1])) };
}

/** One root and n-1 independent children of it (n nodes in all, n-1 edges). */
export function fanout(n) {
  return { n, preds: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [0])) };
}

/**
 * `layers` layers of `width` nodes; every node of layer k waits for every node of layer k-1
 * (complete bipartite between consecutive layers: (layers-1)·width² edges).
 */
export function layered(layers, width) {
  const preds = [];
  for (let l = 0; l < layers; l++) {
    for (let j = 0; j < width; j++) {
      preds.push(l === 0 ? [] : Array.from({ length: width }, (_, k) => (l - 1) * width + k));
    }
  }
  return { n: layers * width, preds };
}

/**
 * A random DAG. Generator: node 0 has no predecessor; every node i ≥ 1 draws k uniformly from
 * {1, 2, 3}, capped at i, and picks k DISTINCT predecessors uniformly among the previous
 * min(i, window) nodes (i-window .. i-1). PRNG: {@link mulberry32} with `seed`.
 * @param {number} n nodes
 * @param {number} seed PRNG seed
 * @param {number} window how far back predecessors may lie (default 50)
 */
export function randomDag(n, seed, window = 50) {
  const rand = mulberry32(seed);
  const preds = [[]];
  for (let i = 1; i < n; i++) {
    const span = Math.min(i, window);
    const k = Math.min(span, 1 + Math.floor(rand() * 3));
    const picked = new Set();
    while (picked.size < k) picked.add(i - 1 - Math.floor(rand() * span));
    preds.push([...picked].sort((a, b) => a - b));
  }
  return { n, preds };
}

/** The benchmark shapes of the overhead bench, by name. */
export const SHAPES = {
  chain_1000: () => chain(1000),
  fanout_1000: () => fanout(1000),
  layered_10x100: () => layered(10, 100),
  random_10000: () => randomDag(10_000, 10_000),
  random_100000: () => randomDag(100_000, 100_000),
};

/** Number of edges. */
export function edgeCount(dag) {
  let e = 0;
  for (const p of dag.preds) e += p.length;
  return e;
}

/**
 * Depth of every node (1 for a root, else 1 + the deepest predecessor), the critical path
 * (longest path, counted in nodes) and the width (most nodes at one depth: with equal node
 * durations an as-soon-as-possible schedule runs exactly one depth at a time, so this is the
 * concurrency needed to reach the critical path).
 */
export function levels(dag) {
  const depth = new Array(dag.n).fill(1);
  for (let i = 0; i < dag.n; i++) for (const p of dag.preds[i]) depth[i] = Math.max(depth[i], depth[p] + 1);
  const perLevel = new Map();
  for (const d of depth) perLevel.set(d, (perLevel.get(d) ?? 0) + 1);
  return { depth, criticalPath: Math.max(...depth), width: Math.max(...perLevel.values()) };
}

/** Node `root` and all its descendants (the downstream cone), as a Set of indexes. */
export function downstreamCone(dag, root) {
  const succs = Array.from({ length: dag.n }, () => []);
  for (let i = 0; i < dag.n; i++) for (const p of dag.preds[i]) succs[p].push(i);
  const cone = new Set([root]);
  const stack = [root];
  while (stack.length > 0) {
    for (const s of succs[stack.pop()]) {
      if (!cone.has(s)) {
        cone.add(s);
        stack.push(s);
      }
    }
  }
  return cone;
}

/** Node id of index i. */
export const nodeId = (i) => `n${i}`;
