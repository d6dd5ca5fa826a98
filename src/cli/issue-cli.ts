import type { Command } from 'commander';

/**
 * The command-line wiring of issue trackers (issue 16): `issue close RUN` and `issue sync`. Kept
 * out of `main.ts` so that file stays a list; the commands load `issue-commands.ts` (and the
 * tracker clients) when one runs. `do --issue`/`--comment` are options of `do` itself.
 */

/** What `main.ts` lends: its action wrapper and its option merger (program options + the command's). */
export interface IssueCliHelpers {
  act: (fn: (cmd: Command, ...args: string[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;
  opts: (cmd: Command) => never;
}

/** Registers `issue close` and `issue sync` on the root command. */
export function registerIssues(program: Command, h: IssueCliHelpers): void {
  const issue = program.command('issue').description('the GitHub or Jira issue a run was started for (taskgraph do --issue; trackers: in taskgraph.yaml)');
  issue
    .command('close <run>')
    .description('close the issue of RUN (GitHub: state closed; Jira: the transition to a done status); a closed issue is left as it is')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, run: string) => (await issues()).issueCloseCommand(run, h.opts(cmd))));
  issue
    .command('sync')
    .description('close the issues of succeeded runs whose branch is merged into the base branch (git merge-base --is-ancestor)')
    .option('--base <branch>', 'the branch runs are merged into (default: the branch checked out in the project)')
    .option('--dry-run', 'list what would be closed, close nothing')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd) => (await issues()).issueSyncCommand(h.opts(cmd))));
}

/** The issue commands, loaded when one runs. */
function issues(): Promise<typeof import('./issue-commands.js')> {
  return import('./issue-commands.js');
}
