import { parse } from 'shell-quote';
import { type ProjectConfig, verifyGates } from '../core/config.js';
import { agentCommandLine } from '../core/agent-profile.js';
import { commandRuleHit, pipelineRuleHit } from './command-rules.js';
import { parseShellLine, ShellParseError, type SimpleCommand } from './shell-parse.js';

/**
 * The command policy (`policy.safety.commands`, README "Safety and approvals"): decides, before
 * anything is spawned, whether a shell line runs. Pure: no I/O; the gate (`gate.ts`) acts on the
 * verdict and writes the audit entry.
 *
 * Order: the line is parsed (unparsable → denied); every simple command is checked against the
 * user's `deny` patterns (never lifted), then the default denylist (`command-rules.ts`; lifted per
 * command by a matching `allow` pattern, except `pipe-to-shell`). A line with no denied command is
 * allowed when it is one of the project's configured lines (`allowConfigured`: `commands.*`,
 * `verify.gates`, `notify.command`), a graph's
 * `command` node (`allowGraph`), or every command matches an `allow` pattern (a command whose
 * name is an expansion, `$TOOL` or `$(…)`, never does); otherwise it is `unlisted`.
 *
 * The denylist guards against mistakes and plain instructions, not against a determined author:
 * a script file, an interpreter (`python -c "…"`) or a name built at run time gets past it. The
 * boundary for hostile code is the sandbox (`gate.ts`).
 */

/** Where a line comes from, as the caller of the gate knows it. */
export type CommandOrigin = 'project' | 'graph';

/** The policy's verdict on one line. */
export type CommandVerdict =
  | { verdict: 'allowed'; why: 'configured' | 'graph' | 'allowlist' }
  | { verdict: 'denied'; rule: string; reason: string; command: string }
  | { verdict: 'unlisted'; commands: string[] };

/**
 * Judges `line`.
 * @param line the shell line as it would be handed to `/bin/sh -c`
 * @param config the project configuration (`policy.safety.commands`, `commands.*`, `verify.gates`)
 * @param options `cwd`: absolute directory the line runs in (for `rm` outside the worktree);
 *   `origin`: `graph` for a `command` node's line, else `project`
 */
export function judgeCommand(line: string, config: ProjectConfig, options: { cwd: string; origin?: CommandOrigin }): CommandVerdict {
  const policy = config.policy.safety.commands;
  let commands: SimpleCommand[];
  try {
    commands = parseShellLine(line);
  } catch (error) {
    if (!(error instanceof ShellParseError)) throw error;
    return { verdict: 'denied', rule: 'unparsable', reason: `the line cannot be parsed safely: ${error.message}`, command: line };
  }
  const allow = policy.allow.map(patternWords);
  const deny = policy.deny.map((p) => ({ pattern: p, words: patternWords(p) }));
  for (const command of commands) {
    const userRule = deny.find((d) => matches(d.words, command.argv) || matches(d.words, command.written));
    if (userRule) return denied(`deny: ${userRule.pattern}`, `it matches the deny pattern "${userRule.pattern}" of policy.safety.commands`, command);
    if (!policy.defaults) continue;
    const hit = commandRuleHit(command, options.cwd);
    if (hit && !allow.some((words) => matches(words, command.argv))) return denied(hit.rule, hit.reason, command);
  }
  if (policy.defaults) {
    const piped = pipelineRuleHit(commands);
    if (piped) return denied(piped.hit.rule, piped.hit.reason, piped.command);
  }
  if (policy.allowConfigured && configuredLines(config).has(line.trim())) return { verdict: 'allowed', why: 'configured' };
  if (policy.allowGraph && options.origin === 'graph') return { verdict: 'allowed', why: 'graph' };
  // a command whose name comes from an expansion (`$TOOL x`, `$(…) x`) is unknown: no pattern allows it
  const unlisted = commands.filter((c) => c.argv[0]!.includes('$') || !allow.some((words) => matches(words, c.argv)));
  if (unlisted.length === 0) return { verdict: 'allowed', why: 'allowlist' };
  return { verdict: 'unlisted', commands: unlisted.map((c) => c.argv.join(' ')) };
}

/**
 * The project's own shell lines, trimmed: `commands.test/build/run/setup`, every `verify.gates`
 * command, `notify.command` and every agent profile's line (`agentCommandLine`: the prompt is
 * never part of it).
 */
export function configuredLines(config: ProjectConfig): Set<string> {
  const lines = [
    config.commands.test,
    config.commands.build,
    config.commands.run,
    config.commands.setup,
    ...verifyGates(config).map((g) => g.command),
    config.notify?.command,
    ...Object.values(config.agents).map(agentCommandLine),
  ];
  return new Set(lines.filter((l): l is string => !!l).map((l) => l.trim()));
}

/** Whether a pattern (its words) matches `argv` as a prefix, `*` in a word matching any characters. */
export function matches(pattern: readonly RegExp[], argv: readonly string[]): boolean {
  if (pattern.length === 0 || pattern.length > argv.length) return false;
  return pattern.every((word, k) => word.test(argv[k]!));
}

/** A pattern's words as anchored regular expressions (`*` → any characters, everything else literal). */
export function patternWords(pattern: string): RegExp[] {
  let entries: ReturnType<typeof parse>;
  try {
    entries = parse(pattern, (key) => `$${key}`);
  } catch {
    entries = pattern.trim().split(/\s+/); // a pattern shell-quote cannot tokenise is matched word by word as written
  }
  return entries.map((entry) => {
    const word = typeof entry === 'string' ? entry : 'pattern' in entry ? (entry as { pattern: string }).pattern : 'op' in entry ? String(entry.op) : '';
    return new RegExp(`^${word.split('*').map(escapeRegExp).join('.*')}$`, 's');
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function denied(rule: string, reason: string, command: SimpleCommand): CommandVerdict {
  const where = command.via ? ` (inside ${command.via})` : '';
  return { verdict: 'denied', rule, reason: `${reason}${where}`, command: command.argv.join(' ') };
}
