#!/usr/bin/env node
import { Command, Option } from 'commander';
import { TaskgraphError } from '../core/errors.js';
import { redactWrites } from '../security/redact-output.js';
import { contextPreviewCommand } from './context-commands.js';
import { contextEvalCommand } from './context-eval-command.js';
import { cleanCommand, decideCommand, doCommand, graphCommand, planCommand, resumeCommand, runCommand, schemaCommand } from './commands.js';
import { withBudgetFlags } from './budget-options.js';
import { exitQuietlyOnClosedPipe, reportError, reportUncaughtErrors } from './error-output.js';
import { whyCommand } from './forecast-commands.js';
import { linkAddCommand, linkLsCommand, linkRmCommand } from './link-commands.js';
import { installSignalHandlers, signalExitCode } from './interrupt.js';
import { initCommand, reportCommand, runsCommand, statusCommand } from './listing.js';
import { prCommand } from './pr-command.js';
import { answerCommand, noteCommand, notesCommand } from './task-commands.js';
import { approvalsCommand } from './approvals-command.js';
import { auditCommand } from './audit-command.js';
import { webhookDeliveriesCommand } from './webhooks-command.js';
import { registerPlanReview } from './plan-review-cli.js';
import { registerBatch } from './batch-cli.js';
import { registerIssues } from './issue-cli.js';
import { registerLibrary } from './library-cli.js';
import { registerTemplates } from './template-cli.js';
import { setLogLevel, shutdownTelemetry, startTelemetry } from './telemetry.js';
import type { LogLevel } from '../observability/run-log.js';

/**
 * The `taskgraph` (alias `tg`) command line (DESIGN.md §11). Exit codes: 0 success, 1 failure
 * (a failed run or an error), 3 a run is suspended waiting for a person.
 */
// nothing the CLI prints may show a secret (security/redact.ts), whoever prints it
redactWrites(process.stdout);
redactWrites(process.stderr);
// a closed pipe (`taskgraph status | head -1`) ends the process quietly; nothing escapes as a stack trace
exitQuietlyOnClosedPipe();
reportUncaughtErrors(() => projectDir());

installSignalHandlers(); // SIGINT/SIGTERM stop a run cleanly (recorded interrupted), then exit 130/143
const program = new Command();
/** The project directory (`-C`), else the working directory: where a crash trace goes. */
const projectDir = (): string => (program.opts() as { project?: string }).project ?? process.cwd();
program
  .name('taskgraph')
  .description('plan a software goal as a DAG of tasks and carry it out with models, commands and people on a git branch')
  .version('0.1.0')
  .option('-C, --project <dir>', 'project directory', process.cwd())
  .option('--session <name>', 'tag what this command writes (run options, audit entries, imported plans); list it with taskgraph ls --session NAME')
  .addOption(new Option('--log-level <level>', 'JSON log lines on stderr at this level and up (default silent: the progress lines say it; every run also logs to .taskgraph/logs/<run>.log)').choices(['debug', 'info', 'warn', 'error', 'silent']).default('silent'))
  .hook('preAction', () => setLogLevel((program.opts() as { logLevel: LogLevel }).logLevel))
  .showHelpAfterError();

const common = (cmd: Command) =>
  cmd
    .option('--json', 'machine-readable output')
    .addOption(new Option('--record <file>', 'record every model exchange into this cassette').conflicts('replay'))
    .option('--replay <file>', 'answer model calls from this cassette (no network, no API key)');

/** `--yes-commands` and `--by` of the commands that run nodes (policy.safety.commands; README "Safety and approvals"). */
const withCommandConsent = (cmd: Command, by = true) => {
  cmd.option('--yes-commands', 'run commands that policy.safety.commands.allow does not list (denied ones stay refused); each one is written to the audit log');
  return by ? cmd.option('--by <name>', 'who the audit log names for this session (default $USER)') : cmd;
};

const opts = (cmd: Command) => ({ ...(program.opts() as object), ...(cmd.opts() as object) }) as never;
const int = (v: string) => {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 0) throw new TaskgraphError('CONFIG_INVALID', `expected a whole number, got "${v}"`);
  return n;
};

/** `--baseline MODE` of `do` and `run PLAN` (default: policy.baseline in taskgraph.yaml). */
const baselineOption = () =>
  new Option('--baseline <mode>', 'how the base commit is verified before the first model call: strict (a failing check stops the run), known-failures (record the tests failing at the base; tasks fail only on new failures), off').choices([
    'strict',
    'known-failures',
    'off',
  ]);

let exitCode = 0;
/** Wraps an action: commander passes (...arguments, options, command); we hand the command first. */
const act =
  (fn: (cmd: Command, ...args: string[]) => Promise<number> | number) =>
  async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    exitCode = await fn(cmd, ...(args.slice(0, -2) as string[]));
  };

program
  .command('init')
  .description('write taskgraph.yaml (detected language and setup, build and test commands), then run those commands once and say what they did')
  .option('--force', 'overwrite an existing taskgraph.yaml')
  .option('--no-check', 'do not run the detected setup, build and test commands')
  .option('--json', 'machine-readable output')
  .action(act(async (cmd) => initCommand(opts(cmd))));

const planCmd = common(program.command('plan [goal]').description('plan a goal into a task tree and save it (`do` with the same goal then runs this plan); review it with plan show|diff|approve'))
  .option('--prd <file>', 'read the goal from a requirements document')
  .option('--max-depth <n>', 'decomposition depth limit', int)
  .option('--replan', 'ask the planner again even when a plan for the same goal and project state is saved')
  .option('--no-reuse', 'plan from scratch instead of starting from an earlier plan of a similar goal (planner.reuse)')
  .action(act(async (cmd, goal: string | undefined) => planCommand(goal, opts(cmd))));
registerPlanReview(program, planCmd, { act, int, withBudgetFlags, withCommandConsent });

withCommandConsent(withBudgetFlags(common(program.command('do [goal]').description('plan a goal and carry out every task on a new branch (the main job)'))
  .option('--prd <file>', 'read the goal from a requirements document')
  .option('--max-depth <n>', 'decomposition depth limit', int)
  .option('--concurrency <n>', 'nodes running at once', int)
  .option('--task-concurrency <n>', 'tasks open at once, each in a worktree of its own (default policy.taskConcurrency, else 4, or 1 with baseline off)', int)
  .option('--replan', 'ask the planner again instead of running the saved plan for the same goal and project state')
  .option('--no-reuse', 'plan from scratch instead of starting from an earlier plan of a similar goal (planner.reuse)')
  .option('--plan <id>', 'run this saved plan (from `taskgraph plan`) instead of planning a goal')
  .option('--approve-plan', 'stop after planning until a person approves the plan (taskgraph plan show|approve; policy.approvePlan)')
  .addOption(baselineOption())
  .option('--dry-run', 'forecast what would run (cached and dirty nodes, estimated cost) without running')
  .option('--issue <ref>', 'import the goal from an issue: github:OWNER/REPO#N or jira:KEY (trackers: in taskgraph.yaml); taskgraph pr links it')
  .option('--comment', "comment the run's report summary on the --issue when the run finishes (trackers.comment)")))
  .action(act(async (cmd, goal: string | undefined) => doCommand(goal, opts(cmd))));

withCommandConsent(withBudgetFlags(common(program.command('run <target>').description('execute a graph file (YAML/JSON) or a saved plan id'))
  .option('--concurrency <n>', 'nodes running at once', int)
  .option('--task-concurrency <n>', 'tasks open at once, each in a worktree of its own (default policy.taskConcurrency, else 4, or 1 with baseline off)', int)
  .option('--force <node...>', 'ignore the cache for these nodes')
  .option('--no-worktree', 'run in the project directory instead of a new git worktree')
  .option('--approve-plan', 'a saved plan waits for a person to approve it before any task runs (taskgraph plan show|approve; policy.approvePlan)')
  .option('--dry-run', 'list what would run (cached and dirty counts, estimated cost) without running')
  .addOption(baselineOption())))
  .action(act(async (cmd, target: string) => runCommand(target, opts(cmd))));

withCommandConsent(withBudgetFlags(common(program.command('resume <run>').description('continue a run that was killed, failed or suspended'))
  .option('--concurrency <n>', 'nodes running at once', int)
  .option('--task-concurrency <n>', 'tasks open at once, each in a worktree of its own (default policy.taskConcurrency, else 4, or 1 with baseline off)', int)))
  .action(act(async (cmd, run: string) => resumeCommand(run, opts(cmd))));

withCommandConsent(
  withBudgetFlags(
    program
      .command('answer <run> <id> [text]')
      .description('answer a human node (its question; JSON with --json VALUE) or a task held for a person (same failure twice), then resume; a live run picks the answer up')
      .option('--json [answer]', 'machine-readable output; with a value, the answer as JSON (a human node with a schema)')
      .addOption(new Option('--record <file>', 'record every model exchange into this cassette').conflicts('replay'))
      .option('--replay <file>', 'answer model calls from this cassette (no network, no API key)'),
  ),
  false,
)
  .option('--by <name>', 'who answers (default $USER)')
  .action(act(async (cmd, run: string, id: string, text: string | undefined) => answerCommand(run, id, text, opts(cmd))));

program
  .command('note <task> <text>')
  .description("append a note to a task (a held task continues on resume)")
  .option('--plan <id>', 'plan id (default: the newest run\'s plan)')
  .option('--by <name>', 'who writes it (default $USER)')
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, task: string, text: string) => noteCommand(task, text, opts(cmd))));

program
  .command('notes <task>')
  .description("print a task's notes")
  .option('--plan <id>', 'plan id (default: the newest run\'s plan)')
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, task: string) => notesCommand(task, opts(cmd))));

const link = program.command('link').description('typed links between tasks: requires (order + data), refers (context), duplicates, relates_to');
link
  .command('add <from> <type> <to>')
  .description('link two tasks of a plan: FROM TYPE TO (e.g. T3 requires T1); a requires cycle is refused')
  .option('--plan <id>', "plan id (default: the newest run's plan, else the newest plan)")
  .option('--by <name>', 'who edits the plan (a requires link is a versioned plan edit; default $USER)')
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, from: string, type: string, to: string) => linkAddCommand(from, type, to, opts(cmd))));
link
  .command('rm <from> <type> <to>')
  .description('remove a link (a requires link also drops the dependency)')
  .option('--plan <id>', "plan id (default: the newest run's plan, else the newest plan)")
  .option('--by <name>', 'who edits the plan (a requires link is a versioned plan edit; default $USER)')
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, from: string, type: string, to: string) => linkRmCommand(from, type, to, opts(cmd))));
link
  .command('ls [task]')
  .description("list the plan's links, or those of TASK (either end)")
  .option('--plan <id>', "plan id (default: the newest run's plan, else the newest plan)")
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, task: string | undefined) => linkLsCommand(task, opts(cmd))));

const context = program.command('context').description('the context bundle a task is given, and how good bundles are');
context
  .command('preview <task>')
  .description("show the bundle TASK's context node would get; --pin/--exclude are stored and honoured on re-runs")
  .option('--plan <id>', "plan id (default: the newest run's plan, else the newest plan)")
  .option('--pin <entry...>', 'always include this path, glob or task id')
  .option('--exclude <entry...>', 'never include this path, glob or task id')
  .option('--unpin <entry...>', 'drop a stored pin')
  .option('--unexclude <entry...>', 'drop a stored exclude')
  .option('--by <name>', 'who the audit log names for a pin/exclude change (default $USER)')
  .option('--json', 'machine-readable output (the whole bundle)')
  .action(act(async (cmd, task: string) => contextPreviewCommand(task, opts(cmd))));
context
  .command('eval')
  .description("replay the repository's last N commits that change source files: how much of what each changed its bundle held, next to plain BM25 over whole files")
  .option('--commits <n>', 'commits to replay (default 20)', int)
  .option('--budget <tokens>', 'tokens per bundle (default: contextBudget of taskgraph.yaml)', int)
  .option('--json', 'machine-readable output')
  .action(act(async (cmd) => contextEvalCommand(opts(cmd))));

program
  .command('why <target> <node>')
  .description('will NODE run in a new run of TARGET (run id, plan id or graph file), and which ingredient of its cache key changed')
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, target: string, node: string) => whyCommand(target, node, opts(cmd))));

for (const [name, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
  withCommandConsent(common(program.command(`${name} <run> <node>`).description(`${name} a waiting approval node or an edit waiting for approval (audited), then resume the run, or hand the decision to the live process running it`)), false)
    .option('--comment <text>', 'why')
    .option('--by <name>', 'who decides (default $USER)')
    .option('--no-resume', 'only record the decision')
    .action(act(async (cmd, run: string, node: string) => decideCommand(decision, run, node, opts(cmd))));
}

program
  .command('approvals')
  .description('edits waiting for approval (a protected path, a secret, a high risk score) with their risk, reasons and diff stat, and unlisted command lines waiting for one')
  .option('--run <id>', 'only this run')
  .option('--diff', 'print each diff too')
  .option('--json', 'machine-readable output (diffs included)')
  .action(act(async (cmd) => approvalsCommand(opts(cmd))));

program
  .command('audit')
  .description('the audit log: refused commands, commands run unlisted, approvals, rejections, answers, notifications, plan edits and plan approvals, edits asked about or auto-approved (with their risk), oldest first')
  .option('--run <id>', "only this run's entries")
  .option('--json', 'machine-readable output')
  .action(act(async (cmd) => auditCommand(opts(cmd))));

const webhooks = program.command('webhooks').description('webhooks configured under `webhooks:` in taskgraph.yaml');
webhooks
  .command('deliveries')
  .description('the webhook outbox, oldest first: event, receiver, status, attempts, next try, last error (opening the project also delivers what is due)')
  .option('--status <status>', 'only pending, delivered or failed')
  .option('--limit <n>', 'at most this many', int)
  .option('--json', 'machine-readable output')
  .action(act(async (cmd) => webhookDeliveriesCommand(opts(cmd))));

program
  .command('status [run]')
  .description("a run's tasks and nodes (default: newest run)")
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, run: string | undefined) => statusCommand(run, opts(cmd))));

program
  .command('runs')
  .description('list runs, newest first')
  .option('--json', 'machine-readable output')
  .option('--limit <n>', 'how many', int)
  .action(act(async (cmd) => runsCommand(opts(cmd))));

program
  .command('graph <target>')
  .description('show a plan, run or graph file as Mermaid, DOT or JSON')
  .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'json']).default('mermaid'))
  .action(act(async (cmd, target: string) => graphCommand(target, opts(cmd))));

program
  .command('report <run>')
  .description('write the Markdown report of a run to .taskgraph/reports/')
  .option('--print', 'print it instead of the path')
  .action(act(async (cmd, run: string) => reportCommand(run, opts(cmd))));

program
  .command('pr <run>')
  .description('print the pull-request description of a run (review.pr: true), as written to .taskgraph/reports/<run>.pr.md')
  .option('--json', 'machine-readable output')
  .action(act(async (cmd, run: string) => prCommand(run, opts(cmd))));

program
  .command('clean')
  .description("remove the worktrees of finished runs (succeeded, failed, interrupted) and scratch worktrees left by killed processes; never a live or suspended run")
  .option('--dry-run', 'list what would be removed, remove nothing')
  .option('--older-than <duration>', 'only runs that finished at least this long ago, e.g. 7d, 12h')
  .option('--branches', "also delete the runs' taskgraph/<run> branches")
  .option('--json', 'machine-readable output')
  .action(act(async (cmd) => cleanCommand(opts(cmd))));

program
  .command('serve')
  .description('serve the HTTP API (OpenAPI at /openapi.json) on 127.0.0.1; every route needs the bearer token kept in ~/.config/taskgraph/token')
  .option('--port <n>', 'port (default 4317; 0: any free port)', int)
  .option('--host <host>', 'address to bind (default 127.0.0.1; another one prints a warning)')
  .option('--token <token>', 'use and keep this bearer token (at least 16 characters) instead of the stored or a new one')
  .action(act(async (cmd) => (await import('./serve-command.js')).serveCommand(opts(cmd)))); // loaded when used: the HTTP stack is not every command's startup cost

registerBatch(program, { act, opts });
registerLibrary(program, { act, opts });
registerTemplates(program, { act, opts });
registerIssues(program, { act, opts });

program
  .command('mcp')
  .description('serve the project to coding agents over MCP on stdio (tools: plan, tasks, next_task, task, update_task, decompose, run, decide; resources: plans, run reports)')
  .option('--tools <tier>', 'core (the task loop) or all (default)')
  .action(act(async (cmd) => (await import('./mcp-command.js')).mcpCommand(opts(cmd)))); // loaded when used, as serve

program
  .command('schema')
  .description('print the JSON Schema of graph files (for editor completion)')
  .action(act(() => schemaCommand()));

await startTelemetry(); // OTLP export of spans, only with OTEL_EXPORTER_OTLP_ENDPOINT set
try {
  await program.parseAsync(process.argv);
  process.exitCode = signalExitCode() ?? exitCode;
} catch (error) {
  // a user error: one message and a hint; anything else: one line and the file with the full trace
  process.exitCode = signalExitCode() ?? reportError(error, { projectDir: projectDir() });
} finally {
  await shutdownTelemetry(); // the spans still buffered are exported before the process ends
}
