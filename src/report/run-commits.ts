import type { RunRecord } from '../store/store.js';
import { assertRevision, runGit } from '../workspace/git-run.js';

/**
 * The commits a run made, read from git (issue 8 item 1): `git log base..branch` in the project
 * directory, so every command that shows them (the end of a session, `report RUN`, `report RUN
 * --print`) shows the same list, derived from the branch itself rather than handed over by
 * whoever wrote the report.
 */

/** A commit made by the run. */
export interface ReportCommit {
  /** full hash (40 hex) */
  sha: string;
  /** the subject line */
  message: string;
}

/** The run's commits, or why they cannot be listed. */
export interface RunCommits {
  /** oldest first */
  commits: ReportCommit[];
  /** set when the run has a branch whose commits could not be read (e.g. deleted after a merge), with git's reason */
  unavailable?: string;
}

/**
 * Lists the commits on the run's branch since its base commit, oldest first. A run without a
 * branch or base commit made no commits (an empty list, no `unavailable`).
 * @param run the run (`projectDir`, `branch`, `baseCommit`)
 * @returns never rejects: a git failure becomes `unavailable`
 */
export async function runCommits(run: Pick<RunRecord, 'projectDir' | 'branch' | 'baseCommit'>): Promise<RunCommits> {
  if (!run.branch || !run.baseCommit) return { commits: [] };
  try {
    assertRevision(run.baseCommit, 'base commit');
    assertRevision(run.branch, 'branch');
    const log = await runGit(run.projectDir, ['log', '--format=%H%x09%s', `${run.baseCommit}..refs/heads/${run.branch}`, '--']);
    const commits = log.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [sha, ...rest] = line.split('\t');
        return { sha: sha!, message: rest.join('\t') };
      })
      .reverse();
    return { commits };
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
    return { commits: [], unavailable: why };
  }
}
