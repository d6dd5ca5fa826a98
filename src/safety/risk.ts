import { commandRuleHit, NETWORK_TOOLS, pipelineRuleHit } from '../sandbox/command-rules.js';
import { parseShellLine, ShellParseError } from '../sandbox/shell-parse.js';

/**
 * The risk score of a change a person may have to approve (issue 11 "Risk score"): 0–100 with
 * its reasons. Pure and deterministic: the same facts give the same score and reasons, in the
 * same order.
 *
 * Weights (points; the total is capped at 100; the numbers are this project's own, chosen so
 * that one protected path (40) or one secret (50) alone outweighs any size (at most 20 + 15)):
 * - protected path touched: 40 for the first, +5 for each further one (at most 50);
 * - secret-looking string added: 50 for the first, +5 each further (at most 60);
 * - diff size: 1 point per 25 changed lines (added + deleted), at most 20;
 * - deleted lines: 1 point per 10, at most 15;
 * - files deleted: 10 each, at most 20;
 * - new dependencies: 10 each, at most 20;
 * - commands (see {@link commandRisk}): a denylisted command 30, a network tool 20, another
 *   destructive or publishing verb 10, a line that cannot be parsed 30; all commands together at
 *   most 40.
 */

/** Why a change is risky. */
export interface RiskReason {
  kind: 'protected-path' | 'secret' | 'diff-size' | 'deleted-lines' | 'files-deleted' | 'new-dependency' | 'command';
  /** points this reason adds (before the cap of 100) */
  points: number;
  /** one line for a person: `touches protected .github/workflows/ci.yml (.github/**)` */
  message: string;
}

/** A risk score. */
export interface RiskScore {
  /** 0–100 */
  score: number;
  /** the reasons that added points, in the order of the weights above */
  reasons: RiskReason[];
}

/** What the score is computed from. */
export interface RiskFacts {
  /** protected paths touched, with the glob that protects each */
  protectedPaths?: readonly { path: string; glob: string }[];
  /** secret-looking strings added: where and which rule */
  secrets?: readonly { path: string; line: number; rule: string }[];
  /** lines added */
  addedLines?: number;
  /** lines deleted */
  deletedLines?: number;
  /** files the change deletes */
  deletedFiles?: readonly string[];
  /** dependencies added to manifests */
  newDependencies?: readonly { file: string; name: string }[];
  /** shell lines the change runs or adds */
  commands?: readonly string[];
}

/** Destructive or publishing verbs (a command name, or `git`/`npm` subcommand) that are not on the denylist. */
const RISKY_VERBS: ReadonlySet<string> = new Set(['rm', 'rmdir', 'chmod', 'chown', 'dd', 'mkfs', 'kill', 'pkill', 'killall', 'shred', 'truncate', 'docker', 'kubectl', 'terraform']);
const RISKY_SUBCOMMANDS: ReadonlySet<string> = new Set(['git reset', 'git clean', 'git rebase', 'git checkout', 'git branch', 'git tag', 'npm publish', 'yarn publish', 'pnpm publish', 'cargo publish', 'twine upload', 'gem push']);

/**
 * The risk points of one shell line: per simple command, 30 when the default denylist
 * (`sandbox/command-rules.ts`) refuses it, else 20 for a network tool (`curl`, `wget`, `ssh` …),
 * else 10 for a destructive or publishing verb (`rm`, `chmod`, `git reset`, `npm publish` …);
 * 30 for a line that cannot be parsed. The line is parsed with the command policy's parser
 * (`sandbox/shell-parse.ts`), so `x && curl …` and `$(…)` are seen.
 * @param cwd absolute directory the line would run in (for `rm` outside it)
 */
export function commandRisk(line: string, cwd = '/worktree'): RiskReason[] {
  let commands;
  try {
    commands = parseShellLine(line);
  } catch (error) {
    if (!(error instanceof ShellParseError)) throw error;
    return [{ kind: 'command', points: 30, message: `command cannot be parsed safely: ${clip(line)}` }];
  }
  const reasons: RiskReason[] = [];
  for (const command of commands) {
    const [name = '', sub = ''] = command.argv;
    const shown = clip(command.argv.join(' '));
    const hit = commandRuleHit(command, cwd);
    if (hit) reasons.push({ kind: 'command', points: 30, message: `denylisted command (${hit.rule}): ${shown}` });
    else if (NETWORK_TOOLS.has(name)) reasons.push({ kind: 'command', points: 20, message: `network tool: ${shown}` });
    else if (RISKY_VERBS.has(name) || RISKY_SUBCOMMANDS.has(`${name} ${sub}`)) reasons.push({ kind: 'command', points: 10, message: `destructive or publishing command: ${shown}` });
  }
  const piped = pipelineRuleHit(commands);
  if (piped) reasons.push({ kind: 'command', points: 30, message: `denylisted pipe (${piped.hit.rule}): ${clip(line)}` });
  return reasons;
}

/** Scores a change from its facts (see the file comment for the weights). */
export function scoreRisk(facts: RiskFacts): RiskScore {
  const reasons: RiskReason[] = [];
  const paths = facts.protectedPaths ?? [];
  if (paths.length > 0) {
    const shown = paths.slice(0, 3).map((p) => `${p.path} (${p.glob})`).join(', ');
    reasons.push({ kind: 'protected-path', points: Math.min(50, 40 + 5 * (paths.length - 1)), message: `touches protected ${shown}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}` });
  }
  const secrets = facts.secrets ?? [];
  if (secrets.length > 0) {
    const shown = secrets.slice(0, 3).map((s) => `${s.path}:${s.line} (${s.rule})`).join(', ');
    reasons.push({ kind: 'secret', points: Math.min(60, 50 + 5 * (secrets.length - 1)), message: `adds what looks like a secret at ${shown}${secrets.length > 3 ? ` and ${secrets.length - 3} more` : ''}` });
  }
  const added = facts.addedLines ?? 0;
  const deleted = facts.deletedLines ?? 0;
  const sizePoints = Math.min(20, Math.floor((added + deleted) / 25));
  if (sizePoints > 0) reasons.push({ kind: 'diff-size', points: sizePoints, message: `large diff: +${added} −${deleted} lines` });
  const deletedPoints = Math.min(15, Math.floor(deleted / 10));
  if (deletedPoints > 0) reasons.push({ kind: 'deleted-lines', points: deletedPoints, message: `deletes ${deleted} lines` });
  const files = facts.deletedFiles ?? [];
  if (files.length > 0) reasons.push({ kind: 'files-deleted', points: Math.min(20, 10 * files.length), message: `deletes ${files.length} file${files.length > 1 ? 's' : ''}: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ' …' : ''}` });
  const deps = facts.newDependencies ?? [];
  if (deps.length > 0) reasons.push({ kind: 'new-dependency', points: Math.min(20, 10 * deps.length), message: `adds ${deps.length} dependenc${deps.length > 1 ? 'ies' : 'y'}: ${deps.slice(0, 5).map((d) => `${d.name} (${d.file})`).join(', ')}` });
  const commandReasons = (facts.commands ?? []).flatMap((line) => commandRisk(line));
  if (commandReasons.length > 0) {
    const total = Math.min(40, commandReasons.reduce((sum, r) => sum + r.points, 0));
    reasons.push({ kind: 'command', points: total, message: commandReasons.slice(0, 3).map((r) => r.message).join('; ') + (commandReasons.length > 3 ? ` and ${commandReasons.length - 3} more` : '') });
  }
  return { score: Math.min(100, reasons.reduce((sum, r) => sum + r.points, 0)), reasons };
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
