/**
 * One failing test as the failure digest (`failure-digest.ts`) shows it, and the line filters the
 * readers share: which lines are stack frames outside the project, which are noise, which name an
 * error. Readers: `failure-blocks-text.ts` (runners' text output), `failure-blocks-structured.ts`
 * (JUnit XML, TAP).
 */

/** A failing test with the lines that say why. */
export interface FailureBlock {
  /** the test's name as the runner prints it (`test/a.test.js > suite > test`, `test_x.py::test_y`) */
  name: string;
  /** the kept lines, in the runner's order: error and assertion lines, expected/actual, project frames */
  lines: string[];
  /**
   * index in `lines` of the error line (the assertion or exception message); it and the line
   * after it (only it, when the block has `important` lines) are kept before any other line of
   * any block
   */
  anchor: number;
  /**
   * indices in `lines` kept after every block's anchor and before any other line (a build
   * error block's head line of each error: `path:line:col: error …`); none when absent
   */
  important?: number[];
}

/** Longest line kept, in characters; longer lines are cut with `…`. */
export const MAX_LINE_CHARS = 300;

/** A stack frame or source location line (JavaScript `at`/`❯`, Python `File "…"`/`x.py:12:`, go, Rust). */
const FRAME = /^\s*(at\s|❯\s|File "|\d+: \S)|^\s*\S+\.(py|go|rs|[cm]?[jt]sx?):\d+(:\d+)?(:|\s*$|\s\+0x)|^\s*[\w.$/<>*()\[\]-]+\([^)]*\)\s*$/;

/** Paths and markers of code outside the project: installed packages, runtimes, standard libraries. */
const EXTERNAL = /node_modules|site-packages|dist-packages|node:|<frozen |\/usr\/(lib|local)\/go\/|\/rustc\/|\/\.cargo\/registry|\/\.rustup\/|\/lib\/python\d|GOROOT|runtime\/(panic|debug)|testing\/testing\.go|\(native\)|<anonymous>\)?$|^\s*\d+: (__rustc|core|std|alloc|test)::|^\s*\d+: __rust_|^\s*\d+: <(fn\(|(core|std|alloc)::)/;

/** Lines that carry nothing for a retry: code-frame gutters, caret lines, separators, runner notes. */
const NOISE = /^E\s*$|^\s*\d+\s*\|(?!.*>)|^\s*\|?\s*[\^~]+\s*$|^\s*(_ ){3,}_?\s*$|^note: run with `RUST_BACKTRACE|^\s*duration_ms:|^\s*\.\.\.\s*$|^\s*---\s*$|^\s*stack backtrace:\s*$|^\s*note: Some details are omitted/;

/** A line that names an error: assertion, exception, expected/actual, panic, got/want. */
export const ERRORISH = /\b(error|exception|assert(ion)?|expect(ed)?|received|actual|panic(ked)?|fail(ed|ure)?|raised?|throws?|thrown|want|got|left|right|not ok|missing|undefined|cannot|not a function)\b|!==|===|^E\s/i;

/** Whether `line` is a stack frame or location outside the project (a dependency, the runtime, the standard library). */
export function isExternalFrame(line: string): boolean {
  return FRAME.test(line) && EXTERNAL.test(line);
}

/** Whether `line` is noise inside a failure (blank, code-frame gutter, caret, separator, external frame). */
export function isNoise(line: string): boolean {
  return line.trim() === '' || NOISE.test(line) || isExternalFrame(line);
}

/** Cuts a line at {@link MAX_LINE_CHARS}. */
export function cutLine(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}

/**
 * Builds a block from a test's raw failure lines: noise dropped, lines cut, the anchor at the
 * first line `preferred` matches, else the first {@link ERRORISH} line, else the first line.
 * @param name the test's name
 * @param raw the lines the runner printed for the failure (right-trimmed or not)
 * @param preferred the runner's own error-line marker (pytest's `E   `), if any
 * @returns the block, or undefined when no line is left
 */
export function makeBlock(name: string, raw: readonly string[], preferred?: RegExp): FailureBlock {
  const lines: string[] = [];
  let repeats = 0;
  for (const line of raw.map((l) => l.trimEnd()).filter((l) => !isNoise(l)).map(cutLine)) {
    // a recursive stack repeats its frames: keep one with a count
    if (line === lines.at(-1)?.replace(/ \(×\d+\)$/, '')) lines[lines.length - 1] = `${line} (×${++repeats + 1})`;
    else {
      repeats = 0;
      lines.push(line);
    }
  }
  let anchor = preferred ? lines.findIndex((l) => preferred.test(l)) : -1;
  if (anchor < 0) anchor = lines.findIndex((l) => ERRORISH.test(l) && !FRAME.test(l));
  return { name: cutLine(name.trim()), lines, anchor: Math.max(anchor, 0) };
}
