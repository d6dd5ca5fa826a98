import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CONFIG_FILE_NAMES } from '../project/load-config.js';
import { runGit } from '../workspace/git-run.js';
import { safeText } from './safe-text.js';

/**
 * taskgraph.yaml belongs in git (issue item 10): a run's worktree is checked out from HEAD, so a
 * configuration that is not committed (or has uncommitted changes) is not what the run's
 * worktree holds. `init` says so with the exact command; `do` and `run` warn once.
 */

/** Whether the project's configuration file is in HEAD as it is on disk. */
export type ConfigCommitState = 'committed' | 'uncommitted' | 'modified' | 'no-repository';

/**
 * The command that commits the configuration file, e.g.
 * `git add taskgraph.yaml && git commit -m "Add taskgraph configuration"`.
 * @param file the file name (relative to the project directory)
 */
export function commitConfigCommand(file: string): string {
  return `git add ${file} && git commit -m "Add taskgraph configuration"`;
}

/**
 * How the configuration file stands in git: `uncommitted` (untracked or only staged: not in
 * HEAD), `modified` (in HEAD, but different on disk), `committed`, or `no-repository` (no git
 * repository with a commit here).
 * @param projectDir the project directory
 * @param file the configuration file's path (absolute or relative to `projectDir`)
 * @returns never rejects: a git failure reads as `no-repository`
 */
export async function configCommitState(projectDir: string, file: string): Promise<ConfigCommitState> {
  const name = basename(file);
  const inHead = await runGit(projectDir, ['cat-file', '-e', `HEAD:./${name}`], { okCodes: [0, 1, 128] }).catch(() => undefined);
  if (!inHead) return 'no-repository';
  if (inHead.code !== 0) {
    const repo = await runGit(projectDir, ['rev-parse', '--verify', '--quiet', 'HEAD'], { okCodes: [0, 1, 128] }).catch(() => undefined);
    return repo?.code === 0 ? 'uncommitted' : 'no-repository';
  }
  const diff = await runGit(projectDir, ['diff', '--quiet', 'HEAD', '--', name], { okCodes: [0, 1] }).catch(() => undefined);
  return diff?.code === 1 ? 'modified' : 'committed';
}

/**
 * Writes one warning line to stderr when the project's taskgraph.yaml (or taskgraph.yml) is not
 * committed as it is on disk, with the command that commits it. Silent otherwise (and outside a
 * git repository, where `do` refuses on its own).
 * @param projectDir the project directory
 */
export async function warnIfConfigUncommitted(projectDir: string): Promise<void> {
  for (const name of CONFIG_FILE_NAMES) {
    if (!(await stat(join(projectDir, name)).then((s) => s.isFile(), () => false))) continue;
    const state = await configCommitState(projectDir, name);
    const why = "the run's worktree is checked out from HEAD";
    const line =
      state === 'uncommitted'
        ? `warning: ${name} is not committed: ${why} and will not have it; commit it: ${commitConfigCommand(name)}`
        : state === 'modified'
          ? `warning: ${name} has uncommitted changes: ${why} and has the committed version; commit them: ${commitConfigCommand(name)}`
          : undefined;
    if (line) process.stderr.write(`${safeText(line)}\n`);
    return;
  }
}
