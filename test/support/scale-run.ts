import type { ProjectHandle } from '../../src/cli/wiring.js';
import { scaleGraph } from '../../src/testing/scale-graph.js';

/**
 * Runs `src/testing/scale-graph.ts`'s graph of `n` no-op nodes to the end in `project`'s store
 * (real engine, real attempts and events) and returns the run id.
 * @throws Error when the run does not succeed
 */
export async function recordScaleRun(project: ProjectHandle, n = 500): Promise<string> {
  const summary = await project.engine({ concurrency: 16 }).start({ graph: scaleGraph(n), command: 'run', options: { goal: `${n}-node scale run` } });
  if (summary.status !== 'succeeded') throw new Error(`the ${n}-node run ended ${summary.status}: ${JSON.stringify(summary.counts)}`);
  return summary.runId;
}
