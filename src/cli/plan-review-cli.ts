import type { Command } from 'commander';
import { planApproveCommand, planDiffCommand, planShowCommand } from './plan-review-commands.js';
import { taskAddCommand, taskMoveCommand, taskRmCommand, taskUpdateCommand } from './task-edit-commands.js';

/**
 * The command-line wiring of plan review (issue 11): `plan show|diff|approve` under `plan`, and
 * the `task add|rm|update|move` group. Kept out of `main.ts` so that file stays a list.
 */

/** What `main.ts` lends: its action wrapper and option helpers. */
export interface CliHelpers {
  /** wraps an action (commander passes args, options, command; the command is handed first) */
  act: (fn: (cmd: Command, ...args: string[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;
  /** parses a whole number >= 0 */
  int: (v: string) => number;
  withBudgetFlags: (cmd: Command) => Command;
  withCommandConsent: (cmd: Command, by?: boolean) => Command;
}

/**
 * Options of a subcommand: the program's (`-C`), its parent's and its own, the own ones winning
 * (commander lets a parent that knows `--json` take it from a subcommand's argument list).
 */
function optionsOf(cmd: Command): never {
  let merged: object = {};
  for (let c: Command | null = cmd; c; c = c.parent) merged = { ...(c.opts() as object), ...merged };
  return merged as never;
}

/** `--acceptance`, `--files`: repeatable. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Registers the plan review commands.
 * @param program the root command (for the `task` group)
 * @param plan the `plan [goal]` command (for `show`, `diff`, `approve`)
 */
export function registerPlanReview(program: Command, plan: Command, h: CliHelpers): void {
  plan
    .command('show <plan>')
    .description('the plan as it stands: task tree with ids, titles, dependencies and acceptance criteria, version and approval')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, id: string) => planShowCommand(id, optionsOf(cmd))));
  plan
    .command('diff <plan>')
    .description("what changed between two versions of the plan (default: the planner's output, version 1, and the newest)")
    .option('--from <version>', 'older version (default 1)', h.int)
    .option('--to <version>', 'newer version (default the newest)', h.int)
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, id: string) => planDiffCommand(id, optionsOf(cmd))));
  h.withCommandConsent(h.withBudgetFlags(plan.command('approve <plan>').description('approve the plan as it stands (audited); a run waiting for it resumes and executes it')), false)
    .option('--by <name>', 'who approves (default $USER)')
    .option('--no-resume', 'only record the approval')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, id: string) => planApproveCommand(id, optionsOf(cmd))));

  const task = program.command('task').description('edit a saved plan before it runs: every edit is validated, versioned (plan diff) and audited');
  const edit = (cmd: Command) => cmd.option('--by <name>', 'who edits (default $USER)').option('--json', 'machine-readable output');
  edit(task.command('add <plan>').description('add a task (atomic, pending) to PLAN'))
    .requiredOption('--title <text>', 'one-line summary')
    .option('--description <text>', 'what to change and how')
    .option('--acceptance <text>', 'an acceptance criterion (repeat for more; at least one)', collect)
    .option('--files <path>', 'a file or glob the task touches (repeat for more)', collect)
    .option('--deps <ids>', 'tasks it depends on, comma-separated (T1,T2)')
    .option('--parent <task>', 'the composite task it belongs to')
    .option('--after <task>', 'place it right after this task (same parent)')
    .option('--before <task>', 'place it right before this task (same parent)')
    .option('--id <id>', 'its id (default: the next free T<n> or PARENT.<n>)')
    .action(h.act(async (cmd, plan: string) => taskAddCommand(plan, optionsOf(cmd))));
  edit(task.command('rm <plan> <task>').description('remove a task (and its subtasks); refused while others depend on it'))
    .option('--force', 'remove it anyway, dropping the dependencies on it')
    .action(h.act(async (cmd, plan: string, id: string) => taskRmCommand(plan, id, optionsOf(cmd))));
  edit(task.command('update <plan> <task>').description("change a task's title, description, acceptance criteria, files or status"))
    .option('--title <text>', 'one-line summary')
    .option('--description <text>', 'what to change and how')
    .option('--acceptance <text>', 'replaces the acceptance criteria (repeat for more)', collect)
    .option('--files <path>', 'replaces the files (repeat for more)', collect)
    .option('--status <status>', 'pending, done, skipped ... (a skipped task does not run after approval)')
    .action(h.act(async (cmd, plan: string, id: string) => taskUpdateCommand(plan, id, optionsOf(cmd))));
  edit(task.command('move <plan> <task>').description('re-parent or reorder a task (with its subtasks)'))
    .option('--parent <task>', 'make it the last subtask of this task')
    .option('--before <task>', 'place it right before this task (taking its parent)')
    .option('--after <task>', 'place it right after this task (taking its parent)')
    .action(h.act(async (cmd, plan: string, id: string) => taskMoveCommand(plan, id, optionsOf(cmd))));
}
