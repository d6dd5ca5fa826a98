import { TaskgraphError } from '../core/errors.js';
import { prDescriptionPath, readPrDescription } from '../report/pr-description.js';
import type { CommonOptions } from './commands.js';
import { safeJson, safeText } from './safe-text.js';
import { issueLinkText, runIssueRef } from '../trackers/tracker.js';
import { withProject } from './wiring.js';

/**
 * `taskgraph pr RUN`: prints the run's pull-request description, the output of its plan-level
 * review (`review.pr: true`) read from the store — the very text written to
 * `.taskgraph/reports/<run>.pr.md` at the end of the run. `--json` prints `{ runId, path, text }`.
 * The text came from a model: it goes through safeText. A run of `do --issue` links its issue
 * (`Closes owner/repo#123`, `Resolves PROJ-12`; `report/pr-description.ts`); without a description
 * that line alone is printed.
 * @returns 0
 * @throws TaskgraphError NOT_FOUND for an unknown run, or a run without a pull-request description (hint: `review.pr: true`)
 */
export async function prCommand(runId: string, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const text = await readPrDescription(project.store, runId);
    const run = text === undefined ? await project.store.getRun(runId) : undefined;
    const ref = run ? runIssueRef(run) : undefined;
    if (text === undefined && ref) {
      // no description (review.pr off), but the run was started for an issue: its linking line is the description
      const link = issueLinkText(ref);
      process.stderr.write(`run ${runId} has no pull-request description (review.pr: true writes one); the line that links its issue:\n`);
      process.stdout.write(opts.json ? `${safeJson({ runId, path: null, text: `${link}\n` })}\n` : `${safeText(link)}\n`);
      return 0;
    }
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
