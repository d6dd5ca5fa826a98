/**
 * A language-agnostic block finder (issue 9 item 3): the whole function, method or test block
 * that encloses a line of a source file, so context named by a failure is shown whole. Python
 * (and other indentation languages) by indentation, C-like languages (JavaScript, TypeScript,
 * Go, Rust, Java, C, ...) by matching braces and parentheses outside strings and comments. Kept
 * in a file of its own so a parser (tree-sitter) can replace it behind {@link enclosingBlock}.
 */

/** A block of lines, 1-based and inclusive. */
export interface LineBlock {
  start: number;
  end: number;
  /** `function`: the enclosing function or test block; `neighbourhood`: lines around the line (no block found, or it was too long) */
  kind: 'function' | 'neighbourhood';
}

/** Lines a block may have at most; a longer one falls back to the neighbourhood. */
export const MAX_BLOCK_LINES = 80;

/** Lines kept either side of the line when no block is found. */
export const NEIGHBOURHOOD_LINES = 10;

/** Options of {@link enclosingBlock}. */
export interface BlockOptions {
  /** default {@link MAX_BLOCK_LINES} */
  maxLines?: number;
  /** default {@link NEIGHBOURHOOD_LINES} */
  neighbourhood?: number;
}

/**
 * The block around `line` of `text`: the innermost enclosing function, method or test case
 * (a `test(...)`/`it(...)` call, `def`, `func`, `fn`, an arrow function, a method), else the
 * line's neighbourhood. A block longer than `maxLines` also falls back to the neighbourhood.
 * @param path the file's path (its extension picks indentation or brackets)
 * @param text the file's text
 * @param line 1-based line; clamped to the file
 * @returns 1-based inclusive line range within the file
 */
export function enclosingBlock(path: string, text: string, line: number, options: BlockOptions = {}): LineBlock {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const n = Math.max(1, lines.length);
  const at = Math.min(Math.max(1, Math.floor(line)), n);
  const maxLines = options.maxLines ?? MAX_BLOCK_LINES;
  const around = options.neighbourhood ?? NEIGHBOURHOOD_LINES;
  const found = /\.(py|pyi)$/i.test(path) ? indentBlock(lines, at) : bracketBlock(lines, at, /\.rs$/i.test(path));
  if (found && found.end - found.start + 1 <= maxLines) return { ...found, kind: 'function' };
  return { start: Math.max(1, at - around), end: Math.min(n, at + around), kind: 'neighbourhood' };
}

const PY_HEADER = /^(\s*)(async\s+def|def|class)\s+\w/;

/** Python: the innermost `def` (else `class`) whose indented body holds the line, with its decorators. */
function indentBlock(lines: string[], at: number): { start: number; end: number } | undefined {
  const indent = (l: string) => l.length - l.trimStart().length;
  const blank = (l: string | undefined) => l === undefined || l.trim() === '' || l.trim().startsWith('#');
  let header = -1;
  let limit = blank(lines[at - 1]) ? Infinity : indent(lines[at - 1]!) + 1;
  for (let i = at - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (blank(l)) continue;
    const ind = indent(l);
    if (ind >= limit) continue;
    const m = PY_HEADER.exec(l);
    if (m) {
      // the innermost def (or a class, when the line is in a class body outside its methods)
      header = i;
      break;
    }
    limit = ind;
    if (ind === 0) break;
  }
  if (header < 0) return undefined;
  const base = indent(lines[header]!);
  let end = header;
  for (let i = header + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    if (indent(l) <= base) break;
    end = i;
  }
  let start = header;
  while (start > 0 && /^\s*@/.test(lines[start - 1]!) && indent(lines[start - 1]!) === base) start--;
  return { start: start + 1, end: end + 1 };
}

interface Pair {
  open: number; // 0-based line of the opening bracket
  col: number; // its column
  close: number; // 0-based line of the closing bracket
  char: '{' | '(';
}

/** Test and suite calls whose parenthesised arguments are a block: `it(`, `test.each(...)(`, `describe(`. */
const TEST_CALL = /\b(it|test|describe|suite|context|bench|specify|scenario)(\.(only|skip|each|todo|concurrent|fails)\b[^(]*)?\s*$/;
/** What makes a `{` open a function body: an arrow, a parameter list, `func`/`fn`/`function`. */
const FUNCTION_OPEN = /=>\s*$|\)\s*(?:->\s*[^{]+|:\s*[^{=]+|throws\s+[^{]+)?\s*$|\b(function|func|fn)\b/;
const CONTROL = /^\s*(\}\s*)?(if|else|for|while|switch|catch|try|do|finally|with|match|loop|unsafe|select|return|when)\b/;

/** C-like: the innermost function-like `{...}` or test call `test(...)` that holds the line. */
function bracketBlock(lines: string[], at: number, rust: boolean): { start: number; end: number } | undefined {
  const pairs = bracketPairs(lines, rust);
  const target = at - 1;
  const holding = pairs.filter((p) => p.open <= target && p.close >= target).sort((a, b) => a.close - a.open - (b.close - b.open) || b.open - a.open);
  for (const p of holding) {
    const before = lines[p.open]!.slice(0, p.col);
    if (p.char === '(' ? TEST_CALL.test(before) : FUNCTION_OPEN.test(before) && !CONTROL.test(lines[p.open]!)) {
      return { start: statementStart(lines, p.open) + 1, end: p.close + 1 };
    }
  }
  return undefined;
}

/** Goes back over a signature split across lines (lines not ending a statement) and decorators/attributes. */
function statementStart(lines: string[], open: number): number {
  let start = open;
  for (let k = 0; k < 6 && start > 0; k++) {
    const prev = lines[start - 1]!.trim();
    if (prev === '' || /[;{}]$/.test(prev) || prev.startsWith('//') || prev.startsWith('*') || prev.endsWith('*/')) break;
    if (!/[,(]$/.test(prev) && !/^(@|#\[)/.test(prev) && !/^(export|public|private|protected|static|async|pub)\b/.test(prev)) break;
    start--;
  }
  return start;
}

/**
 * Every matched `{}` and `()` pair, skipping string literals and comments (roughly: `'`, `"`,
 * `` ` ``, `//`, `/* *\/`, `#` lines); `rust`: `'a` is a lifetime, not a string.
 */
function bracketPairs(lines: string[], rust: boolean): Pair[] {
  const pairs: Pair[] = [];
  const stack: Array<{ line: number; col: number; char: '{' | '(' }> = [];
  let inBlockComment = false;
  let quote: string | undefined; // a string that may span lines (template literal)
  for (let li = 0; li < lines.length; li++) {
    const l = lines[li]!;
    if (!inBlockComment && quote === undefined && /^\s*#(?!\[)/.test(l)) continue;
    for (let c = 0; c < l.length; c++) {
      const ch = l[c]!;
      if (inBlockComment) {
        if (ch === '*' && l[c + 1] === '/') {
          inBlockComment = false;
          c++;
        }
        continue;
      }
      if (quote !== undefined) {
        if (ch === '\\') c++;
        else if (ch === quote) quote = undefined;
        continue;
      }
      if (ch === '/' && l[c + 1] === '/') break;
      if (ch === '/' && l[c + 1] === '*') {
        inBlockComment = true;
        c++;
        continue;
      }
      if (ch === "'") {
        // a character literal ('{', '\n'); in Rust anything else is a lifetime ('a), elsewhere a string
        const char = /^'(\\.[^']*|[^'\\])'/.exec(l.slice(c));
        if (char) c += char[0].length - 1;
        else if (!rust && !/\w/.test(l[c - 1] ?? '')) quote = ch;
        continue;
      }
      if (ch === '"' || ch === '`') {
        quote = ch;
        continue;
      }
      if (ch === '{' || ch === '(') stack.push({ line: li, col: c, char: ch });
      else if (ch === '}' || ch === ')') {
        const want = ch === '}' ? '{' : '(';
        const idx = stack.map((s) => s.char).lastIndexOf(want);
        if (idx < 0) continue;
        const open = stack[idx]!;
        stack.length = idx;
        pairs.push({ open: open.line, col: open.col, close: li, char: open.char });
      }
    }
    // a quote other than a template literal ends with its line (an unclosed one is a stray apostrophe)
    if (quote !== undefined && quote !== '`') quote = undefined;
  }
  return pairs;
}
