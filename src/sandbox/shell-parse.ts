import { parse, type ParseEntry } from 'shell-quote';
import { scanShellLine, SUBSTITUTION_PLACEHOLDER } from './shell-scan.js';

/**
 * Splits a shell line into the simple commands it would run, so the command policy
 * (`command-policy.ts`) can judge each one: `;`, `&&`, `||`, `&`, pipes, subshells `( … )`,
 * brace groups, `if/while/for` keywords, command substitutions `$(…)` and backticks (also inside
 * double quotes), process substitutions `<(…)`, and the script of `sh -c`, `bash -c`, `eval`
 * (recursively). Tokenising is `shell-quote`'s `parse` (npm `shell-quote`, MIT); substitutions
 * and newlines are found first by `shell-scan.ts`, which `shell-quote` does not do.
 */

/** One simple command of a line. */
export interface SimpleCommand {
  /** the words after quote removal, leading `VAR=value` assignments and wrappers (`env`, `nohup`, `timeout 5` …) dropped; never empty */
  argv: string[];
  /** the words as written, assignments and wrappers included */
  written: string[];
  /** which pipeline of the line it belongs to (commands of one `a | b | c` share it) */
  pipeline: number;
  /** 0-based position in its pipeline */
  stage: number;
  /** where it was found: `''` at top level, else e.g. `$(…)`, `sh -c` (outermost first, joined by ` > `) */
  via: string;
}

/** The error {@link parseShellLine} throws for a line it cannot split with confidence. */
export class ShellParseError extends Error {
  override readonly name = 'ShellParseError';
}

/** Nesting limit of `sh -c` / `$(…)` recursion: deeper lines are refused as unparsable. */
export const MAX_SHELL_DEPTH = 8;

const SEPARATORS = new Set([';', '&&', '||', '&', '(', ')', '<(', '>(', ';;', '|', '|&']);
const REDIRECTS = new Set(['>', '>>', '<', '>&', '<&', '&>', '&>>', '>|', '<>', '<<<']);
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', 'time']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The simple commands of `line`, in order of appearance (substitutions and `-c` scripts after
 * the command holding them).
 * @throws ShellParseError when a quote or substitution is left open, the line holds a
 *   here-document or an operator the policy does not know, or nesting is deeper than
 *   {@link MAX_SHELL_DEPTH}
 */
export function parseShellLine(line: string): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  collect(line, '', 0, out, { pipeline: 0 });
  return out;
}

function collect(line: string, via: string, depth: number, out: SimpleCommand[], counter: { pipeline: number }): void {
  if (depth > MAX_SHELL_DEPTH) throw new ShellParseError(`nested deeper than ${MAX_SHELL_DEPTH} levels (sh -c, $(…))`);
  let scanned;
  try {
    scanned = scanShellLine(line);
  } catch (error) {
    throw new ShellParseError((error as Error).message);
  }
  // variables stay as `$NAME` text, so a path holding one is recognisably unknown
  let entries: ParseEntry[];
  try {
    entries = parse(scanned.outer, (key) => `$${key}`);
  } catch (error) {
    throw new ShellParseError((error as Error).message || 'shell-quote could not tokenise it'); // e.g. "Bad substitution" for `${`
  }
  const inner: Array<{ text: string; via: string }> = [];
  let words: string[] = [];
  let stage = 0;
  let pipeline = counter.pipeline;
  const flush = (): void => {
    const command = simpleCommand(words, pipeline, stage, via);
    words = [];
    if (!command) return;
    out.push(command);
    const script = nestedScript(command.argv);
    if (script !== undefined) inner.push({ text: script, via: join(via, command.argv[0] === 'eval' ? 'eval' : `${command.argv[0]} -c`) });
  };
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i] as ParseEntry;
    if (typeof entry === 'string') {
      // a substitution reads as `$(…)` in messages; still a `$` word, so an unknown path or name
      words.push(entry.replaceAll(SUBSTITUTION_PLACEHOLDER, '$(…)'));
      continue;
    }
    if ('comment' in entry) break;
    if (!('op' in entry)) throw new ShellParseError(`unexpected token ${JSON.stringify(entry)}`);
    if (entry.op === 'glob') {
      words.push((entry as { pattern: string }).pattern);
      continue;
    }
    const op = entry.op as string;
    if (REDIRECTS.has(op)) {
      // a file descriptor number right before the operator (`2>&1`) is not an argument
      if (words.length > 1 && /^\d+$/.test(words.at(-1)!)) words.pop();
      i += 1; // the redirect's target is a file (or fd), not a command word
      continue;
    }
    if (!SEPARATORS.has(op)) throw new ShellParseError(`unsupported shell operator "${op}"`);
    flush();
    if (op === '|' || op === '|&') stage += 1;
    else {
      counter.pipeline += 1;
      pipeline = counter.pipeline;
      stage = 0;
    }
  }
  flush();
  counter.pipeline += 1;
  for (const text of scanned.substitutions) inner.push({ text, via: join(via, '$(…)') });
  for (const next of inner) collect(next.text, next.via, depth + 1, out, counter);
}

function join(via: string, step: string): string {
  return via ? `${via} > ${step}` : step;
}

/** The command of `words` with keywords, assignments and wrappers dropped, or undefined when nothing runs. */
function simpleCommand(words: readonly string[], pipeline: number, stage: number, via: string): SimpleCommand | undefined {
  let argv = [...words];
  for (;;) {
    const before = argv.length;
    while (argv.length > 0 && (KEYWORDS.has(argv[0]!) || ASSIGNMENT.test(argv[0]!))) argv.shift();
    argv = unwrap(argv);
    if (argv.length === before) break;
  }
  if (argv.length === 0 || argv[0] === 'for' || argv[0] === 'case' || argv[0] === 'select') return undefined;
  return { argv, written: [...words], pipeline, stage, via };
}

/** `argv` without a leading wrapper that runs the rest as a command (`env A=1 x`, `nohup x`, `timeout 5 x`, `xargs x`). */
function unwrap(argv: string[]): string[] {
  const name = base(argv[0] ?? '');
  const rest = argv.slice(1);
  const skipFlags = (words: string[], withValue: ReadonlySet<string> = new Set()): string[] => {
    let k = 0;
    while (k < words.length && words[k]!.startsWith('-')) {
      if (words[k] === '--') return words.slice(k + 1);
      k += withValue.has(words[k]!) ? 2 : 1;
    }
    return words.slice(k);
  };
  switch (name) {
    case 'env': {
      const after = skipFlags(rest, new Set(['-u', '--unset', '-C', '--chdir', '-S']));
      let k = 0;
      while (k < after.length && ASSIGNMENT.test(after[k]!)) k += 1;
      return after.slice(k);
    }
    case 'command':
    case 'builtin':
    case 'exec':
    case 'nohup':
    case 'setsid':
    case 'stdbuf':
      return skipFlags(rest);
    case 'nice':
      return skipFlags(rest, new Set(['-n']));
    case 'xargs':
      return skipFlags(rest, new Set(['-I', '-n', '-P', '-L', '-d', '-E', '-s', '-a']));
    case 'timeout': {
      const after = skipFlags(rest, new Set(['-s', '--signal', '-k', '--kill-after']));
      return after.slice(1); // the duration
    }
    default:
      return argv;
  }
}

/** The script a command runs as shell code: `sh -c SCRIPT` (also `-ec`, `-lc` …) or `eval WORDS`. */
function nestedScript(argv: readonly string[]): string | undefined {
  const name = base(argv[0]!);
  if (name === 'eval') return argv.slice(1).join(' ');
  if (!SHELLS.has(name)) return undefined;
  for (let k = 1; k < argv.length; k += 1) {
    const word = argv[k]!;
    if (!word.startsWith('-') || word === '-' || word === '--') return undefined;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(word)) return argv[k + 1] ?? '';
    if (word === '-o' || word === '+o') k += 1;
  }
  return undefined;
}

/** The last path segment of a command name (`/usr/bin/git` → `git`). */
export function base(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
