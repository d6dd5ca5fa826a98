import { TaskgraphError } from '../core/errors.js';
import { cleanPathLine, SEARCH_MARKER } from './search-replace-parse.js';
import { firstUnifiedDiffLine } from './udiff-parse.js';

/**
 * Reads answers in Aider's "whole" edit format (https://aider.chat/docs/more/edit-formats.html,
 * `wholefile_coder.py` `get_edits`): for every file it changes or creates, the model writes the
 * file's path on a line of its own and then the complete new content in a fenced code block:
 *
 *     src/util/math.ts
 *     ```ts
 *     export const add = (a: number, b: number): number => a + b;
 *     ```
 *
 * Meant for small files, where rewriting is cheap and a model cannot get diff context wrong.
 *
 * Differences from Aider, each to avoid writing a wrong file:
 * - the path is the nearest non-blank line above the opening fence, cleaned like a SEARCH/REPLACE
 *   path (`**x**`, `` `x` ``, `# x`, `x:`); it must contain no whitespace and contain a `.` or a
 *   `/` (`./Makefile` for an extension-less root file), so that `Example:` before a snippet in
 *   prose is never taken for a file name;
 * - a block closes at a bare fence line of the same character at least as long as the opening one
 *   (CommonMark's rule), except that inner fences that open with an info string (```` ```bash ````)
 *   are counted as nested, so a Markdown file with its own code blocks survives a ```` ``` ```` fence;
 * - a block that is never closed (an answer cut off at the output token limit) is an error, never
 *   a truncated file;
 * - a block whose body is itself an edit (it contains a `<<<<<<< SEARCH` line, or its first
 *   non-blank line starts a unified diff: `diff --git`, `--- `/`+++ `, `@@`) is not a whole file:
 *   it belongs to the other formats (models often put the path above a ```` ```diff ```` fence).
 */

/** One file of a whole-file answer. */
export interface WholeFileEdit {
  /** the path as written by the model (cleaned of markdown decoration, not yet normalised) */
  path: string;
  /** the complete new content: the block's lines, each ending with `\n`; `''` for an empty block */
  content: string;
}

/** Where a whole-file block sits in the answer (0-based line indexes into the LF-split text). */
export interface WholeFileBlock extends WholeFileEdit {
  /** line of the path */
  pathLine: number;
  /** line of the closing fence */
  endLine: number;
}

/** Opening fence: up to 3 spaces, 3+ backticks or tildes, then an optional info string (CommonMark §4.5). */
const OPEN_FENCE = /^ {0,3}(`{3,}|~{3,})([^`]*)$/;

function invalid(message: string, text: string): TaskgraphError {
  return new TaskgraphError('EDIT_INVALID', message, {
    details: { excerpt: text.slice(0, 500) },
    hint: 'write each file as its path on a line of its own, then the complete content in a ``` fenced block, and close every block',
  });
}

/** `path` of a line that names a file on its own, else `undefined`. */
function pathOf(line: string): string | undefined {
  if (OPEN_FENCE.test(line)) return undefined;
  const name = cleanPathLine(line);
  if (name === undefined || !(name.includes('.') || name.includes('/'))) return undefined;
  if (/^\.+$/.test(name)) return undefined;
  return name;
}

/** `true` for a body that is itself a diff or SEARCH/REPLACE blocks (see the module comment). */
function isEditBody(body: string[]): boolean {
  if (body.some((line) => SEARCH_MARKER.test(line))) return true;
  const first = body.findIndex((line) => line.trim() !== '');
  if (first < 0) return false;
  const line = body[first] ?? '';
  return line.startsWith('@@') || firstUnifiedDiffLine(body.slice(first, first + 2)) === 0;
}

/**
 * Index of the line that closes a fence opened with `marker`, or -1 when none does. Inner fences
 * with an info string and a marker at least as long count as nested blocks.
 */
function closingLine(lines: string[], from: number, marker: string): number {
  const char = marker[0] ?? '`';
  let depth = 0;
  for (let i = from; i < lines.length; i++) {
    const fence = OPEN_FENCE.exec(lines[i] ?? '');
    if (!fence) continue;
    const run = fence[1] ?? '';
    if (run[0] !== char || run.length < marker.length) continue;
    if ((fence[2] ?? '').trim() !== '') depth++;
    else if (depth > 0) depth--;
    else return i;
  }
  return -1;
}

/**
 * Finds the whole-file blocks of an answer, with their positions.
 * @param lines the answer split on `\n` (CR already removed)
 * @param text the whole answer, for error excerpts
 * @returns blocks in answer order (a path may repeat); fenced blocks without a path line above
 *   them, and blocks that hold a diff or SEARCH/REPLACE blocks, are skipped
 * @throws TaskgraphError EDIT_INVALID when a block with a path is never closed
 */
export function findWholeFileBlocks(lines: string[], text: string): WholeFileBlock[] {
  const blocks: WholeFileBlock[] = [];
  let floor = 0; // lines before this belong to an earlier block
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN_FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const marker = open[1] ?? '```';
    let above = i - 1;
    while (above >= floor && (lines[above] ?? '').trim() === '') above--;
    const path = above >= floor ? pathOf(lines[above] ?? '') : undefined;
    const end = closingLine(lines, i + 1, marker);
    const body = lines.slice(i + 1, end < 0 ? lines.length : end);
    if (path !== undefined && !isEditBody(body)) {
      if (end < 0) {
        throw invalid(`the block for ${path} (line ${i + 1}) is never closed; the answer may have been cut off at the output token limit`, text);
      }
      blocks.push({ path, content: body.length === 0 ? '' : body.join('\n') + '\n', pathLine: above, endLine: end });
    }
    if (end < 0) break;
    i = end;
    floor = end + 1;
  }
  return blocks;
}

/**
 * Reads a whole-file answer.
 * @param text the whole model answer (prose between the blocks is ignored)
 * @returns one entry per block in answer order (when a path repeats, applying keeps the last);
 *   empty when the text holds no whole-file block
 * @throws TaskgraphError EDIT_INVALID when a block with a path is never closed
 */
export function parseWholeFiles(text: string): WholeFileEdit[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  return findWholeFileBlocks(lines, text).map(({ path, content }) => ({ path, content }));
}
