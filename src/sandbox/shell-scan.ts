/**
 * The first pass over a shell line before {@link parseShellLine} hands it to `shell-quote`: finds
 * the command substitutions (`$(…)` and backticks, also inside double quotes, where `shell-quote`
 * leaves them as text), replaces each with a plain placeholder word, and turns unquoted newlines
 * into `;` (which `shell-quote` would read as spaces). Quoting rules follow POSIX sh (XCU 2.2:
 * single quotes keep everything literal, double quotes keep `$`, backticks and `\`).
 */

/** What {@link scanShellLine} returns. */
export interface ScannedLine {
  /** the line with every substitution replaced by `$__tg_subst` and unquoted newlines by `;` */
  outer: string;
  /** the text inside each `$(…)` or backtick pair, outermost first (nested ones appear inside these) */
  substitutions: string[];
}

/** The word a substitution is replaced with: a variable reference, so a path holding it counts as unknown. */
export const SUBSTITUTION_PLACEHOLDER = '$__tg_subst';

/**
 * Scans `line` once, left to right.
 * @throws Error with a message naming the problem when a quote, backtick or `$(` is left open,
 *   or the line holds a here-document (`<<`), whose body would otherwise read as commands
 */
export function scanShellLine(line: string): ScannedLine {
  const substitutions: string[] = [];
  let outer = '';
  let i = 0;
  let quote: '' | "'" | '"' = '';
  while (i < line.length) {
    const c = line[i]!;
    if (quote === "'") {
      outer += c;
      if (c === "'") quote = '';
      i += 1;
      continue;
    }
    if (c === '\\') {
      if (line[i + 1] === '\n') {
        i += 2; // line continuation
        continue;
      }
      outer += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '$' && line[i + 1] === '(') {
      const end = closingParen(line, i + 2);
      substitutions.push(line.slice(i + 2, end));
      outer += SUBSTITUTION_PLACEHOLDER;
      i = end + 1;
      continue;
    }
    if (c === '`') {
      const end = closingBacktick(line, i + 1);
      substitutions.push(line.slice(i + 1, end).replace(/\\([`\\$])/g, '$1'));
      outer += SUBSTITUTION_PLACEHOLDER;
      i = end + 1;
      continue;
    }
    if (quote === '"') {
      outer += c;
      if (c === '"') quote = '';
      i += 1;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      // a comment runs to the end of its line
      const nl = line.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
      continue;
    }
    if (c === '<' && line[i + 1] === '<' && line[i + 2] !== '<') throw new Error('here-documents (<<) are not supported by the command policy');
    outer += c === '\n' ? ';' : c;
    i += 1;
  }
  if (quote) throw new Error(`unterminated ${quote === "'" ? 'single' : 'double'} quote`);
  return { outer, substitutions };
}

/** Index of the `)` closing a `$(` whose body starts at `from`, nesting and quotes respected. */
function closingParen(line: string, from: number): number {
  let depth = 1;
  let quote: '' | "'" | '"' = '';
  for (let i = from; i < line.length; i += 1) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = '';
      continue;
    }
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth += 1;
    else if (c === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new Error('unterminated $( … ) command substitution');
}

/** Index of the backtick closing one opened just before `from` (`\``-escaped ones skipped). */
function closingBacktick(line: string, from: number): number {
  for (let i = from; i < line.length; i += 1) {
    if (line[i] === '\\') i += 1;
    else if (line[i] === '`') return i;
  }
  throw new Error('unterminated ` … ` command substitution');
}
