import type { GraphSpecInput } from '../core/graph.js';
import { mulberry32 } from './prng.js';

/**
 * A large graph for the web UI's scale measurement (issue 12 "the page stays usable on a
 * 500-node run"; test/e2e/ui.test.ts and bench/ui-render.mjs): `n` no-op script nodes (the
 * built-in `noop` script, a distinct `args` each so cache keys differ) in tasks of `perTask`
 * nodes (`G01`, `G02`, ...; node ids `G01/n0`), each waiting for 1–3 distinct earlier nodes among
 * the previous 40 (PRNG {@link mulberry32} with `seed`, so the shape is the same every time).
 */
export function scaleGraph(n: number, perTask = 20, seed = 12): GraphSpecInput {
  const rand = mulberry32(seed);
  const id = (i: number) => `G${String(Math.floor(i / perTask) + 1).padStart(2, '0')}/n${i}`;
  return {
    nodes: Array.from({ length: n }, (_, i) => {
      const span = Math.min(i, 40);
      const needs = new Set<string>();
      const k = Math.min(span, 1 + Math.floor(rand() * 3));
      while (needs.size < k) needs.add(id(i - 1 - Math.floor(rand() * span)));
      return { id: id(i), kind: 'script' as const, config: { fn: 'noop', args: i }, needs: [...needs], task: id(i).split('/')[0]! };
    }),
  };
}
