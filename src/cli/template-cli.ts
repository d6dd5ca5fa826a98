import type { Command } from 'commander';

/**
 * The command-line wiring of templates (issue 14): `taskgraph template show|explain|instantiate|save`.
 * Kept out of `main.ts` so that file stays a list; the commands load when one runs.
 */

/** What `main.ts` lends: its action wrapper and its option merger (program options + the command's). */
export interface TemplateCliHelpers {
  act: (fn: (cmd: Command, ...args: string[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;
  opts: (cmd: Command) => never;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `--set`, `--variant` and `--overrides` to a command. */
const choices = (cmd: Command) =>
  cmd
    .option('--set <name=value>', 'a parameter value (repeatable); lists as a,b,c or a JSON array', collect)
    .option('--variant <set=option>', 'pick an option of a variant set (repeatable; default: each set\'s default)', collect)
    .option('--overrides <file>', 'a YAML graph layer applied last, the strongest: { nodes: [{ id, ...fields }] }')
    .option('--json', 'machine-readable output');

/** Registers `template` and its subcommands on the root command. */
export function registerTemplates(program: Command, h: TemplateCliHelpers): void {
  const template = program.command('template').description('graph templates with parameters and variants (bundled starter library, plus .taskgraph/library/templates/)');
  template
    .command('show [template]')
    .description('list the templates, or show one (name, name@version or a file): parameters, variants, nodes')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, arg?: string) => (await commands()).templateShowCommand(arg, h.opts(cmd))));
  choices(template.command('explain <template>').description('compose a template and show which layer (template, variant set=option, override) set each field'))
    .action(h.act(async (cmd, arg: string) => (await commands()).templateExplainCommand(arg, h.opts(cmd))));
  choices(template.command('instantiate <template>').description('print the composed graph as YAML (or --json), ready for taskgraph run'))
    .option('--out <file>', 'write the graph to this file instead of stdout')
    .action(h.act(async (cmd, arg: string) => (await commands()).templateInstantiateCommand(arg, h.opts(cmd))));
  template
    .command('save <plan>')
    .description('turn a stored plan into a template (goal and file paths become parameters) in .taskgraph/library/templates/')
    .requiredOption('--name <name>', 'template name (a-z 0-9 . _ -)')
    .option('--description <text>', 'one line describing the template')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, plan: string) => (await commands()).templateSaveCommand(plan, h.opts(cmd))));
}

/** The template commands, loaded when one runs. */
function commands(): Promise<typeof import('./template-commands.js')> {
  return import('./template-commands.js');
}
