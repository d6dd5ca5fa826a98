import { TaskgraphError } from '../core/errors.js';
import { assertRevision, gitText, runGit } from './git-run.js';
import { QUIET_GIT_CONFIG } from './git-workspace.js';

/**
 * Integration of a task's commit onto the run branch (issue 10): the task's one commit is
 * replayed on the run branch's tip as a three-way merge (`git merge-tree --write-tree`, git ≥
 * 2.38: the merge happens in the object database, no worktree, no index, no `MERGE_HEAD`), and a
 * new commit is written with `git commit-tree`. Nothing here moves a ref: the caller records the
 * result, then moves the run branch in one step, so a kill at any moment leaves the run branch
 * either before or after the task, never mid-rebase.
 *
 * Deterministic: the new commit copies the task commit's message, author and committer (names,
 * e-mails and dates), so replaying the same task commit on the same tip yields the same sha — a
 * fully cached re-run rebuilds the same run branch. When the tip is the task commit's parent the
 * task commit itself is taken (a fast-forward).
 */

/** Which commit to replay onto which tip. */
export interface IntegrateRequest {
  /** the task's commit (its branch head after the commit node), 40 hex */
  commit: string;
  /** the commit the task started from (its branch's base), 40 hex */
  start: string;
  /** the run branch's tip now, 40 hex */
  tip: string;
}

/** The outcome: a commit to move the run branch to, or the conflict. */
export type IntegrateResult =
  | {
      kind: 'integrated';
      /** the commit the run branch moves to (equal to `tip` when the task changed nothing) */
      commit: string;
      /** how: `fast-forward` (the task commit itself), `replayed` (a new commit on the tip), `empty` */
      how: 'fast-forward' | 'replayed' | 'empty';
    }
  | {
      kind: 'conflict';
      /** repository-relative paths with conflicts, sorted */
      files: string[];
      /** git's messages (`CONFLICT (content): Merge conflict in a.txt`), one a line */
      messages: string;
      /** the conflicting hunks with their markers, cut to `hunkLimit` characters */
      hunks: string;
    };

/**
 * Replays a task's commit onto the run branch's tip, in the object database only.
 * @param repoDir a directory inside the repository (the run worktree)
 * @param request the task commit, its start and the tip
 * @param hunkLimit characters of conflict hunks kept (default 3000)
 * @returns the commit to move the run branch to, or the conflict (nothing written but objects)
 * @throws TaskgraphError GIT_ERROR when a revision is malformed or git fails otherwise
 */
export async function integrateCommit(repoDir: string, request: IntegrateRequest, hunkLimit = 3000): Promise<IntegrateResult> {
  const { commit, start, tip } = request;
  for (const [rev, what] of [
    [commit, 'commit'],
    [start, 'start'],
    [tip, 'tip'],
  ] as const) assertRevision(rev, what);
  if (commit === start || commit === tip) return { kind: 'integrated', commit: tip, how: 'empty' };
  // a commit the run branch already holds (a task that committed nothing on a base the tip contains)
  const contained = await runGit(repoDir, ['merge-base', '--is-ancestor', commit, tip], { okCodes: [0, 1] });
  if (contained.code === 0) return { kind: 'integrated', commit: tip, how: 'empty' };
  const parents = (await gitText(repoDir, ['rev-list', '--parents', '-n', '1', commit])).split(' ').slice(1);
  if (parents.length === 1 && parents[0] === tip) return { kind: 'integrated', commit, how: 'fast-forward' };
  // merge base = the task's start: replaying the task's changes (start..commit) onto the tip
  const merged = await runGit(repoDir, ['merge-tree', '--write-tree', '--name-only', tip, commit], { okCodes: [0, 1] });
  const [tree = '', ...rest] = merged.stdout.split('\n');
  if (merged.code === 1) {
    const blank = rest.indexOf('');
    const files = [...new Set((blank < 0 ? rest : rest.slice(0, blank)).filter((l) => l !== ''))].sort();
    const messages = (blank < 0 ? '' : rest.slice(blank + 1).join('\n')).trim();
    return { kind: 'conflict', files, messages, hunks: await conflictHunks(repoDir, tree.trim(), files, hunkLimit) };
  }
  const meta = await gitText(repoDir, ['log', '-1', '--format=%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd', '--date=raw', commit]);
  const [an = '', ae = '', ad = '', cn = '', ce = '', cd = ''] = meta.split('\0');
  const message = (await runGit(repoDir, ['log', '-1', '--format=%B', commit])).stdout;
  const env = { GIT_AUTHOR_NAME: an, GIT_AUTHOR_EMAIL: ae, GIT_AUTHOR_DATE: ad, GIT_COMMITTER_NAME: cn, GIT_COMMITTER_EMAIL: ce, GIT_COMMITTER_DATE: cd };
  const sha = (await runGit(repoDir, [...QUIET_GIT_CONFIG, 'commit-tree', tree.trim(), '-p', tip, '-F', '-'], { env, input: message })).stdout.trim();
  if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new TaskgraphError('GIT_ERROR', `git commit-tree returned "${sha}"`, { details: { commit, tip } });
  return { kind: 'integrated', commit: sha, how: 'replayed' };
}

/** The conflict regions (`<<<<<<<` .. `>>>>>>>`) of the conflicted files in the merge's tree, each under its path. */
async function conflictHunks(repoDir: string, tree: string, files: readonly string[], limit: number): Promise<string> {
  const parts: string[] = [];
  let size = 0;
  for (const file of files) {
    if (size >= limit) break;
    const shown = await runGit(repoDir, ['cat-file', '-p', `${tree}:${file}`], { okCodes: [0, 128] });
    if (shown.code !== 0) continue;
    const hunks: string[] = [];
    let current: string[] | undefined;
    for (const line of shown.stdout.split('\n')) {
      if (line.startsWith('<<<<<<< ')) current = [line];
      else if (current) {
        current.push(line);
        if (line.startsWith('>>>>>>> ')) {
          hunks.push(current.join('\n'));
          current = undefined;
        }
      }
    }
    if (hunks.length === 0) continue;
    const part = `${file}:\n${hunks.join('\n')}`;
    parts.push(part);
    size += part.length;
  }
  const text = parts.join('\n\n');
  return text.length > limit ? `${text.slice(0, limit)}\n[... cut ...]` : text;
}
