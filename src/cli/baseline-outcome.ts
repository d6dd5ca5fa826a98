import { BaselineModeSchema } from '../core/config.js';
import { TaskgraphError, type ErrorCode } from '../core/errors.js';
import { BASELINE_NODE_ID, SETUP_NODE_ID, type RunBaselineMode } from '../planning/plan-graph.js';
import { safeText } from './safe-text.js';
import type { ProjectHandle } from './wiring.js';

/**
 * What `do`, `run` and `resume` say when a run stopped at one of its root nodes (`setup`,
 * `baseline`), before any model call: the node's recorded error as the command's error, with
 * the first failing lines of the output and what to do.
 */

/**
 * The `--baseline` flag over `policy.baseline`, validated where it enters.
 * @throws TaskgraphError CONFIG_INVALID for an unknown mode
 */
export function baselineModeOf(flag: string | undefined, project: ProjectHandle): RunBaselineMode {
  if (flag === undefined) return project.config.policy.baseline;
  const parsed = BaselineModeSchema.safeParse(flag);
  if (!parsed.success) {
    throw new TaskgraphError('CONFIG_INVALID', `--baseline must be one of ${BaselineModeSchema.options.join(', ')}, not "${flag}"`, {
      hint: 'strict: a red base commit stops the run; known-failures: record the tests failing at the base and fail tasks only on new ones; off: do not verify the base',
    });
  }
  return parsed.data;
}

/**
 * The error to end the command with when the run's `setup` or `baseline` node failed, built from
 * its last recorded attempt; `undefined` when neither failed.
 * @param project the open project
 * @param runId the run that just stopped
 */
export async function rootFailure(project: ProjectHandle, runId: string): Promise<TaskgraphError | undefined> {
  const nodes = await project.store.listRunNodes(runId);
  const root = nodes.find((n) => (n.nodeId === SETUP_NODE_ID || n.nodeId === BASELINE_NODE_ID) && n.status === 'failed');
  if (!root) return undefined;
  const last = (await project.store.listAttempts(runId, root.nodeId)).filter((a) => a.error).at(-1);
  if (!last?.error) return undefined;
  const { error } = last;
  const lines = Array.isArray(error.details['firstLines']) ? (error.details['firstLines'] as unknown[]).filter((l): l is string => typeof l === 'string') : [];
  const shown = lines.length > 0 ? `\n${lines.map((l) => `  | ${safeText(l)}`).join('\n')}` : '';
  const next = `A fix outside the repository (a tool installed, a network setting) is retried with \`taskgraph resume ${runId}\`; a fix committed to the repository, or another --baseline, needs a new run.`;
  return new TaskgraphError(error.code as ErrorCode, `run ${runId} stopped at ${root.nodeId}, before any model call: ${safeText(error.message)}${shown}`, {
    details: error.details,
    hint: error.hint ? `${safeText(error.hint)} ${next}` : next,
  });
}
