import { TaskgraphError } from '../core/errors.js';
import type { RunSummary } from '../engine/engine.js';
import type { RunRecord } from '../store/store.js';
import { closeRunIssue, commentRunOnIssue } from '../trackers/run-issue.js';
import { formatIssueRef, issueGoal, parseIssueRef, runIssueRef } from '../trackers/tracker.js';
import { trackerFor } from '../trackers/tracker-for.js';
import { assertRevision, gitText, runGit } from '../workspace/git-run.js';
import type { CommonOptions } from './run-common.js';
import { safeJson, safeText } from './safe-text.js';
import { type ProjectHandle, withProject } from './wiring.js';

/**
 * The issue-tracker side of the CLI (issue 16): `do --issue` importing the goal, the comment a
 * finished run posts on its issue, `taskgraph issue close RUN` and `taskgraph issue sync`.
 * Loaded only when one of them is used (`issue-cli.ts`, `run-common.ts`).
 */

/**
 * The goal of `do --issue REF`: the issue read from its tracker, marked as untrusted issue text
 * (`trackers/tracker.ts` issueGoal), after `goal` when one is given too.
 * @returns the goal and the formatted reference kept with the run
 * @throws TaskgraphError CONFIG_INVALID (a bad reference, a credential unset), NOT_FOUND, TRACKER_FAILED
 */
export async function importIssueGoal(project: ProjectHandle, issue: string, goal: string | undefined): Promise<{ goal: string; issue: string }> {
  const ref = parseIssueRef(issue);
  const read = await trackerFor(ref, project.config.trackers).getIssue(ref);
  process.stderr.write(`${safeText(`goal imported from ${read.ref} (${read.state}): ${read.title.replace(/\s+/g, ' ').slice(0, 120)}`)}\n`);
  const text = issueGoal(read);
  return { goal: goal?.trim() ? `${goal}\n\n${text}` : text, issue: formatIssueRef(ref) };
}

/**
 * At the end of a session of a run started with `do --issue ... --comment` (or `trackers.comment:
 * true`, kept with the run as `options.issueComment`): when the run finished (succeeded or failed),
 * comments its report summary on the issue. A failure is one warning line on stderr, never the
 * session's outcome (the run's records are unchanged; `taskgraph issue comment` is not needed:
 * `resume` of a failed run comments again when it finishes).
 */
export async function commentAfterSession(project: ProjectHandle, summary: RunSummary, run: RunRecord): Promise<void> {
  if (run.options['issueComment'] !== true || !runIssueRef(run)) return;
  if (summary.status !== 'succeeded' && summary.status !== 'failed') return;
  try {
    const done = await commentRunOnIssue(project.store, run.id, project.config.trackers);
    if (done) process.stderr.write(`${safeText(`commented the run's report on ${done.ref}${done.url ? `: ${done.url}` : ''}`)}\n`);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    process.stderr.write(`${safeText(`warning: the run's report could not be commented on ${String(run.options['issue'])} (${reason})`)}\n`);
  }
}

/**
 * `taskgraph issue close RUN`: closes the issue the run was started for (`do --issue`). An issue
 * closed already is left as it is (exit 0, "was closed already").
 * @throws TaskgraphError NOT_FOUND (unknown run, or a run without an issue), tracker errors
 */
export async function issueCloseCommand(runId: string, opts: CommonOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const run = await project.store.getRun(runId);
    if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: '`taskgraph runs` lists the runs' });
    const done = await closeRunIssue(project.store, run, project.config.trackers);
    if (!done) throw new TaskgraphError('NOT_FOUND', `run ${runId} was not started for an issue`, { hint: 'runs started with `taskgraph do --issue github:OWNER/REPO#N` (or jira:KEY) have one' });
    if (opts.json) process.stdout.write(`${safeJson({ runId, ...done })}\n`);
    else process.stdout.write(`${safeText(done.changed ? `closed ${done.ref}` : `${done.ref} was closed already`)}\n`);
    return 0;
  });
}

/** Options of `taskgraph issue sync`. */
export type IssueSyncOptions = CommonOptions & {
  /** the branch runs are merged into (default: the branch checked out in the project) */
  base?: string;
  /** list what would be closed, close nothing */
  dryRun?: boolean;
};

/** One run `issue sync` looked at. */
interface SyncRow {
  runId: string;
  issue: string;
  branch: string;
  /** `closed`, `already-closed`, `would-close`, `not-merged`, `no-commits`, `no-branch`, `failed: ...` */
  outcome: string;
}

/**
 * `taskgraph issue sync`: closes the issues of runs whose branch is merged into the base branch.
 * A run counts when it succeeded, has an issue that was not closed by an earlier sync or `issue
 * close`, its branch still exists with at least one commit past the run's base commit, and `git
 * merge-base --is-ancestor BRANCH BASE` says the base holds it. Every run is one line (JSON: rows).
 * @returns 0, or 1 when closing an issue failed
 * @throws TaskgraphError GIT_ERROR for a base branch git does not know
 */
export async function issueSyncCommand(opts: IssueSyncOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const base = opts.base ?? (await gitText(project.dir, ['rev-parse', '--abbrev-ref', 'HEAD']));
    assertRevision(base, 'base branch');
    await runGit(project.dir, ['rev-parse', '--verify', '--quiet', `${base}^{commit}`]).catch(() => {
      throw new TaskgraphError('GIT_ERROR', `no branch "${base}" in ${project.dir}`, { hint: 'pass --base with the branch runs are merged into (e.g. main)' });
    });
    const rows: SyncRow[] = [];
    let failed = false;
    for (const run of await project.store.listRuns()) {
      const ref = runIssueRef(run);
      if (!ref || run.status !== 'succeeded' || run.options['issueClosed'] !== undefined || !run.branch) continue;
      const row = { runId: run.id, issue: formatIssueRef(ref), branch: run.branch };
      const tip = await runGit(project.dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${run.branch}`], { okCodes: [0, 1] });
      if (tip.code !== 0) {
        rows.push({ ...row, outcome: 'no-branch' });
        continue;
      }
      if (tip.stdout.trim() === run.baseCommit) {
        rows.push({ ...row, outcome: 'no-commits' });
        continue;
      }
      const merged = await runGit(project.dir, ['merge-base', '--is-ancestor', `refs/heads/${run.branch}`, base], { okCodes: [0, 1] });
      if (merged.code !== 0) {
        rows.push({ ...row, outcome: 'not-merged' });
        continue;
      }
      if (opts.dryRun) {
        rows.push({ ...row, outcome: 'would-close' });
        continue;
      }
      try {
        const done = await closeRunIssue(project.store, run, project.config.trackers);
        rows.push({ ...row, outcome: done?.changed ? 'closed' : 'already-closed' });
      } catch (error) {
        failed = true;
        rows.push({ ...row, outcome: `failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}` });
      }
    }
    if (opts.json) process.stdout.write(`${safeJson({ base, runs: rows })}\n`);
    else if (rows.length === 0) process.stdout.write('no succeeded run with an open issue\n');
    else process.stdout.write(`${safeText(rows.map((r) => `${r.runId}  ${r.issue}  ${r.branch}  ${r.outcome}`).join('\n'))}\n`);
    return failed ? 1 : 0;
  });
}
