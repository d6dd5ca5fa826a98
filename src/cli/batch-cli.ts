import { type Command, Option } from 'commander';
import { lsCommand } from './session-ls.js';

/**
 * The command-line wiring of batch and sessions (issue 13): `import`, `export`, `update` and
 * `ls --session`. Kept out of `main.ts` so that file stays a list. `--session` itself is a
 * program option (every command sees it).
 */

/** What `main.ts` lends: its action wrapper and its option merger (program options + the command's). */
export interface BatchCliHelpers {
  act: (fn: (cmd: Command, ...args: string[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;
  opts: (cmd: Command) => never;
}

/** Registers `import`, `export`, `update` and `ls` on the root command. */
export function registerBatch(program: Command, h: BatchCliHelpers): void {
  program
    .command('import <file>')
    .description('import a task list (tasks.json, or tasks.md: a Markdown checkbox list, nested items are subtasks) as a new plan, or as a new version of --plan; all rows or none')
    .option('--plan <id>', 'replace the tasks of this plan (a new, audited version) instead of creating a plan')
    .option('--by <name>', 'who imports (default $USER)')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, file: string) => (await batch()).importCommand(file, h.opts(cmd))));
  program
    .command('export')
    .description("write a plan's tasks as JSON or a Markdown task list (taskgraph import reads both back)")
    .option('--plan <id>', "plan id (default: the newest run's plan, else the newest plan)")
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'md']).default('json'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(h.act(async (cmd) => (await batch()).exportCommand(h.opts(cmd))));
  program
    .command('update')
    .description('set the status of several tasks at once (one audited plan version; an unknown id changes nothing)')
    .requiredOption('--status <status>', 'pending, running, done, failed or skipped')
    .requiredOption('--tasks <ids>', 'comma-separated task ids, e.g. T1,T2,T3')
    .option('--plan <id>', "plan id (default: the newest run's plan, else the newest plan)")
    .option('--by <name>', 'who updates (default $USER)')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd) => (await batch()).updateCommand(h.opts(cmd))));
  program
    .command('ls')
    .description('list what commands run with --session NAME wrote: runs, audit entries, imported plans')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd) => lsCommand(h.opts(cmd))));
}

/** The batch commands, loaded when one runs (the Markdown parser is not every command's startup cost). */
function batch(): Promise<typeof import('./batch-commands.js')> {
  return import('./batch-commands.js');
}
