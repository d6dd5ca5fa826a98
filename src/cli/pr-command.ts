import { TaskgraphError } from '../core/errors.js';
import { prDescriptionPath, readPrDescription } from '../report/pr-description.js';
import type { CommonOptions } from './commands.js';
import { safeJson, safeText } from './safe-text.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph pr RUN`: prints the run's pull-request description, the output of its plan-level
 * review (`review.pr: true`) read from the store — the very text written to
 * `.taskgraph/reports/<run>.pr.md` at the end of the run. `--json` prints `{ runId, path, text }`.
 * The text came from a model: it goes through safeText.
 * @returns 0
 * @throws TaskgraphError NOT_FOUND for an unknown run, or a run without a pull-request description (hint: `review.pr: true`)
 */
export async function prCommand(runId: string, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const text = await readPrDescription(project.store, runId);
    if (text === undefined) {
      throw new TaskgraphError('NOT_FOUND', `run ${runId} has no pull-request description`, {
        hint: 'set `review: { pr: true }` and a `reviewer` model profile in taskgraph.yaml, then run the plan again (or resume an unfinished run)',
      });
    }
    if (opts.json) process.stdout.write(`${safeJson({ runId, path: prDescriptionPath(project.dir, runId), text })}\n`);
    else process.stdout.write(safeText(text));
    return 0;
  });
}
