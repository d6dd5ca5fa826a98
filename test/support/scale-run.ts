import type { ProjectHandle } from '../../src/cli/wiring.js';
import type { GraphSpecInput } from '../../src/core/graph.js';
import { mulberry32 } from '../../src/testing/prng.js';

/**
 * A large run for the UI's scale measurement (issue 12 "the page stays usable on a 500-node
 * run"): `n` no-op script nodes (the built-in `noop` script, a distinct `args` each so cache keys
 * differ) in tasks of `perTask` nodes (`G01`, `G02`, ...), each node waiting for 1–3 earlier
 * nodes among the previous 40 (seeded PRNG, so the shape is the same every time).
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

/**
 * Runs {@link scaleGraph} to the end in `project`'s store (real engine, real attempts) and
 * returns the run id.
 * @throws Error when the run does not succeed
 */
export async function recordScaleRun(project: ProjectHandle, n = 500): Promise<string> {
  const summary = await project.engine({ concurrency: 16 }).start({ graph: scaleGraph(n), command: 'run', options: { goal: `${n}-node scale run` } });
  if (summary.status !== 'succeeded') throw new Error(`the ${n}-node run ended ${summary.status}: ${JSON.stringify(summary.counts)}`);
  return summary.runId;
}
