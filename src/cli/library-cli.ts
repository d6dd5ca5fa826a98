import { type Command, Option } from 'commander';

/**
 * The command-line wiring of the library (issue 14): `taskgraph library ...` and `taskgraph
 * prompt ...`. Kept out of `main.ts` so that file stays a list; the commands are loaded when one
 * runs (`library-commands.ts`).
 */

/** What `main.ts` lends: its action wrapper and its option merger (program options + the command's). */
export interface LibraryCliHelpers {
  act: (fn: (cmd: Command, ...args: string[]) => Promise<number> | number) => (...args: unknown[]) => Promise<void>;
  opts: (cmd: Command) => never;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const int = (v: string) => Number.parseInt(v, 10);
const kindOption = () => new Option('--kind <kind>', 'only this kind').choices(['prompt', 'template']);

/** Registers `library` and `prompt` on the root command. */
export function registerLibrary(program: Command, h: LibraryCliHelpers): void {
  const library = program.command('library').description('the library of versioned prompts and templates (in the project store; export/import as YAML)');
  library
    .command('ls')
    .description('list the items, newest version of each name')
    .addOption(kindOption())
    .option('--all-versions', 'every version')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd) => (await commands()).libraryLsCommand(h.opts(cmd))));
  library
    .command('search [text]')
    .description('search by full text (bm25 over name, description, tags, text) and/or tags; matched tags boost the rank')
    .addOption(kindOption())
    .option('--tag <tag>', 'a tag to match (repeatable); every tag must match unless --any', collect)
    .option('--any', 'match items carrying any of the tags (more tags rank higher)')
    .option('--all-versions', 'search every version, not only the newest')
    .option('--limit <n>', 'at most this many hits (default 20)', int)
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, text?: string) => (await commands()).librarySearchCommand(text, h.opts(cmd))));
  library
    .command('show <ref>')
    .description('print an item (name@version, or name for the newest) as its YAML file')
    .addOption(kindOption())
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, ref: string) => (await commands()).libraryShowCommand(ref, h.opts(cmd))));
  library
    .command('add <files...>')
    .description('add items from YAML files (all or none; a stored version never changes: add a new version)')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, ...files: string[]) => (await commands()).libraryAddCommand(files.flat(), h.opts(cmd))));
  library
    .command('rm <ref>')
    .description('remove one version (name@version), or every version of a name with --all-versions')
    .addOption(kindOption())
    .option('--all-versions', 'remove every version of the name')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, ref: string) => (await commands()).libraryRmCommand(ref, h.opts(cmd))));
  library
    .command('export [dir]')
    .description('write every item as <kind dir>/<name>@<version>.yaml (default .taskgraph/library/)')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, dir?: string) => (await commands()).libraryExportCommand(dir, h.opts(cmd))));
  library
    .command('import [source]')
    .description('add the items of a library directory (default .taskgraph/library/), a package directory or an installed taskgraph-library-* npm package (all or none)')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, source?: string) => (await commands()).libraryImportCommand(source, h.opts(cmd))));

  const prompt = program.command('prompt').description('the prompts of the library: list, show, render with variables, add');
  prompt
    .command('ls')
    .description('list the prompts, newest version of each name')
    .option('--all-versions', 'every version')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd) => (await commands()).libraryLsCommand({ ...(h.opts(cmd) as object), kind: 'prompt' } as never)));
  prompt
    .command('show <ref>')
    .description('print a prompt (name@version, or name for the newest) as its YAML file')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, ref: string) => (await commands()).libraryShowCommand(ref, { ...(h.opts(cmd) as object), kind: 'prompt' } as never)));
  prompt
    .command('render <ref>')
    .description('render a prompt with named variables; a missing variable is an error')
    .option('--var <name=value>', 'a variable (repeatable)', collect)
    .option('--vars <file>', 'variables from a JSON object file (--var wins)')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, ref: string) => (await commands()).promptRenderCommand(ref, h.opts(cmd))));
  prompt
    .command('add <files...>')
    .description('add prompts from YAML files (all or none)')
    .option('--json', 'machine-readable output')
    .action(h.act(async (cmd, ...files: string[]) => (await commands()).libraryAddCommand(files.flat(), { ...(h.opts(cmd) as object), onlyKind: 'prompt' } as never)));
}

/** The library commands, loaded when one runs. */
function commands(): Promise<typeof import('./library-commands.js')> {
  return import('./library-commands.js');
}
