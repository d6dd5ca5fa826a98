import { isAbsolute, relative, resolve } from 'node:path';
import { base, type SimpleCommand } from './shell-parse.js';

/**
 * The default denylist of the command policy (`policy.safety.commands`, README "Safety and
 * approvals"). Each rule judges one simple command (or, for `pipe-to-shell`, a pipeline) and
 * names itself in the refusal. `policy.safety.commands.defaults: false` turns the list off; an
 * `allow` pattern matching a command lifts the per-command rules for it (not `pipe-to-shell`).
 */

/** Names of the default rules. */
export const DEFAULT_RULES = ['git-push', 'git-remote', 'sudo', 'rm-outside-worktree', 'network-tool', 'pipe-to-shell'] as const;
/** One of {@link DEFAULT_RULES}. */
export type DefaultRule = (typeof DEFAULT_RULES)[number];

/** Commands that reach the network by themselves; refused unless an `allow` pattern names them. */
export const NETWORK_TOOLS: ReadonlySet<string> = new Set(['curl', 'wget', 'nc', 'ncat', 'netcat', 'ssh', 'scp', 'sftp']);
/** Programs that run what they read on stdin as code, for `pipe-to-shell`. */
const INTERPRETERS: ReadonlySet<string> = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'python', 'python3', 'perl', 'ruby', 'node']);
const FETCHERS: ReadonlySet<string> = new Set(['curl', 'wget']);
const ESCALATORS: ReadonlySet<string> = new Set(['sudo', 'doas', 'su', 'pkexec']);

/** A default rule's verdict on a command: its name and a sentence saying why. */
export interface RuleHit {
  rule: DefaultRule;
  reason: string;
}

/**
 * The first default per-command rule `command` breaks, else undefined.
 * @param cwd absolute directory the line runs in (the worktree): `rm -r`/`-f` may only name paths strictly inside it
 */
export function commandRuleHit(command: SimpleCommand, cwd: string): RuleHit | undefined {
  const name = base(command.argv[0]!);
  if (name === 'git') {
    const sub = gitSubcommand(command.argv);
    if (sub === 'push') return { rule: 'git-push', reason: 'git push publishes commits; taskgraph only commits on its run branch' };
    if (sub === 'remote') return { rule: 'git-remote', reason: 'git remote changes where the repository pushes and fetches' };
  }
  if (ESCALATORS.has(name)) return { rule: 'sudo', reason: `${name} runs a command with raised privileges` };
  if (NETWORK_TOOLS.has(name)) return { rule: 'network-tool', reason: `${name} is a network tool` };
  if (name === 'rm') {
    const outside = rmOutside(command.argv.slice(1), cwd);
    if (outside !== undefined) return { rule: 'rm-outside-worktree', reason: `rm -r/-f of "${outside}", which is not inside the worktree` };
  }
  return undefined;
}

/**
 * The `pipe-to-shell` rule over a whole line: a pipeline where `curl`/`wget` feeds a later stage
 * that is a shell or interpreter (`curl … | sh`, `wget -qO- … | bash`).
 */
export function pipelineRuleHit(commands: readonly SimpleCommand[]): { hit: RuleHit; command: SimpleCommand } | undefined {
  for (const fetcher of commands) {
    if (!FETCHERS.has(base(fetcher.argv[0]!))) continue;
    const runner = commands.find((c) => c.pipeline === fetcher.pipeline && c.stage > fetcher.stage && INTERPRETERS.has(base(c.argv[0]!)));
    if (runner) return { hit: { rule: 'pipe-to-shell', reason: `${base(fetcher.argv[0]!)} output is piped into ${base(runner.argv[0]!)}, which runs it as code` }, command: runner };
  }
  return undefined;
}

/** The subcommand of a `git` argv, its global options (`-C dir`, `-c k=v`, `--git-dir=…`) skipped. */
function gitSubcommand(argv: readonly string[]): string | undefined {
  for (let k = 1; k < argv.length; k += 1) {
    const word = argv[k]!;
    if (word === '-C' || word === '-c' || word === '--git-dir' || word === '--work-tree' || word === '--namespace') k += 1;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

/** The first operand of an `rm` with `-r`, `-R`, `-f` or their long forms that is not strictly inside `cwd`. */
function rmOutside(args: readonly string[], cwd: string): string | undefined {
  let forceful = false;
  const operands: string[] = [];
  let options = true;
  for (const arg of args) {
    if (options && arg === '--') options = false;
    else if (options && arg.startsWith('--')) forceful ||= arg === '--recursive' || arg === '--force';
    else if (options && arg.startsWith('-') && arg.length > 1) forceful ||= /[rRf]/.test(arg);
    else operands.push(arg);
  }
  if (!forceful) return undefined;
  return operands.find((operand) => !strictlyInside(operand, cwd));
}

/** Whether `path` (relative to `cwd`) names something strictly below `cwd`; `~`, `$VAR` and `-` forms count as not. */
function strictlyInside(path: string, cwd: string): boolean {
  if (path === '' || path.startsWith('~') || path.includes('$')) return false;
  const rel = relative(cwd, resolve(cwd, path));
  return rel !== '' && rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel);
}
