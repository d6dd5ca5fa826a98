import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';

/**
 * Options kept with a run (issue 8 item 4): what the session that started the run was told —
 * `--force NODE...`, `--concurrency N` and `--task-concurrency N` — is stored in `run.options` and honoured by every
 * later session (resume, approve, reject, answer), so a forced node that had not run yet when the
 * run was killed runs on resume instead of coming back from the cache. A later session may give
 * its own value, which then replaces the stored one. (Budgets are kept the same way, under
 * `budget`, by the engine.)
 */

/** The kept options as stored in `run.options` (other keys there are the command's own: goal, target, budget, activeMs). */
export const KeptRunOptionsSchema = z.object({
  /** node ids whose cache entries this run ignores */
  force: z.array(z.string()).optional(),
  /** nodes running at once */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** tasks open at once, each in its own worktree (`--task-concurrency`, issue 10) */
  taskConcurrency: z.number().int().min(1).max(64).optional(),
});

/** {@link KeptRunOptionsSchema} as a type. */
export type KeptRunOptions = z.infer<typeof KeptRunOptionsSchema>;

/**
 * The `run.options` entries for what a session was given; absent values are left out, so merging
 * the result over stored options keeps what was stored.
 * @param given the session's engine options
 */
export function keptOptionsOf(given: { force?: readonly string[]; concurrency?: number; taskConcurrency?: number }): Record<string, Json> {
  return {
    ...(given.taskConcurrency !== undefined ? { taskConcurrency: given.taskConcurrency } : {}),
    ...(given.force && given.force.length > 0 ? { force: [...given.force] } : {}),
    ...(given.concurrency !== undefined ? { concurrency: given.concurrency } : {}),
  };
}

/**
 * Reads the kept options back from a stored run, validated where they enter the engine.
 * @param runId for the error message
 * @param options `run.options` as stored
 * @throws TaskgraphError RUN_STATE when a stored value is malformed (a damaged or hand-edited record)
 */
export function readKeptOptions(runId: string, options: Record<string, Json>): KeptRunOptions {
  const parsed = KeptRunOptionsSchema.safeParse({ force: options['force'] ?? undefined, concurrency: options['concurrency'] ?? undefined, taskConcurrency: options['taskConcurrency'] ?? undefined });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new TaskgraphError('RUN_STATE', `run ${runId} has malformed stored options (${problems})`, {
      details: { runId },
      hint: 'start a new run; unchanged nodes are served from the cache',
    });
  }
  return parsed.data;
}
