import { runGit } from './git-run.js';

/**
 * The unified diff (git's format, 3 lines of context, no colour, no renames, no external diff
 * driver) from a commit to a tree of the same repository: what a task's attempt changed, taken
 * from the worktree's snapshot tree before the worktree is reset. Read-only: it touches neither
 * the index nor the files.
 * @param dir the worktree (absolute path)
 * @param from a commit (the task's start commit)
 * @param tree a tree id (a snapshot's `tree`, which includes uncommitted and untracked files)
 * @returns the diff text, '' when nothing changed
 * @throws TaskgraphError GIT_ERROR when git fails (an unknown commit or tree)
 */
export async function diffToTree(dir: string, from: string, tree: string): Promise<string> {
  const out = await runGit(dir, ['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--no-renames', '--no-textconv', '-U3', from, tree, '--']);
  return out.stdout;
}
