import { TaskgraphError } from '../core/errors.js';

/**
 * Reads SEARCH/REPLACE blocks in Aider's "diff" edit format
 * (https://aider.chat/docs/more/edit-formats.html): the file path on a line of its own, optionally
 * followed by a ``` fence line, then
 *
 *     <<<<<<< SEARCH
 *     old lines
 *     =======
 *     new lines
 *     >>>>>>> REPLACE
 *
 * The marker patterns (5 to 9 marker characters) and the path clean-up (strip `#`, `*`, backticks,
 * a trailing `:`; look at most 3 lines back; reuse the previous block's path when none is given)
 * follow Aider's `editblock_coder.py` (`HEAD`, `DIVIDER`, `UPDATED`, `strip_filename`,
 * `find_filename`). Unlike Aider, a path candidate containing whitespace is taken for prose.
 */

/** One SEARCH/REPLACE block. */
export interface SearchReplaceBlock {
  /** lines to find, each ending with `\n`; `''` means "create the file, or append to it" */
  search: string;
  /** lines to put in their place, each ending with `\n` */
  replace: string;
}

/** All blocks for one file, in answer order. */
export interface SearchReplaceFileEdit {
  /** the path as written by the model (cleaned of markdown decoration) */
  path: string;
  blocks: SearchReplaceBlock[];
}

/** `<<<<<<< SEARCH` (Aider's HEAD pattern). */
export const SEARCH_MARKER = /^<{5,9} SEARCH>?\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const REPLACE_MARKER = /^>{5,9} REPLACE\s*$/;
const FENCE = /^(`{3,}|~{3,})/;

function invalid(message: string, text: string): TaskgraphError {
  return new TaskgraphError('EDIT_INVALID', message, {
    details: { excerpt: text.slice(0, 500) },
    hint: 'write each block as: path line, <<<<<<< SEARCH, old lines, =======, new lines, >>>>>>> REPLACE',
  });
}

/**
 * Cleans a candidate path line (Aider's `strip_filename`: a leading fence, `#`, `*` and backticks,
 * a trailing `:`); `undefined` when the line cannot be a path (blank, `...`, holds whitespace).
 */
export function cleanPathLine(line: string): string | undefined {
  let name = line.trim();
  if (name === '' || name === '...') return undefined;
  const fence = FENCE.exec(name);
  if (fence) {
    name = name.slice(fence[0].length).trim();
    if (!(name.includes('.') || name.includes('/'))) return undefined;
  }
  name = name.replace(/:$/, '').replace(/^#+/, '').trim().replace(/^[*`]+|[*`]+$/g, '').trim();
  if (name === '' || /\s/.test(name)) return undefined;
  return name;
}

/** Looks back from the SEARCH marker for the path (at most 3 non-blank lines, stops at a previous block). */
function findPath(lines: string[], markerIndex: number): string | undefined {
  let looked = 0;
  for (let i = markerIndex - 1; i >= 0 && looked < 3; i--) {
    const line = lines[i] ?? '';
    if (REPLACE_MARKER.test(line)) return undefined;
    if (line.trim() === '') continue;
    looked++;
    if (FENCE.test(line.trim()) && cleanPathLine(line) === undefined) continue;
    const name = cleanPathLine(line);
    if (name !== undefined) return name;
  }
  return undefined;
}

function joinLines(lines: string[]): string {
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/**
 * Finds every SEARCH/REPLACE block in a model answer.
 * @param text the whole model answer
 * @returns one entry per distinct path, in order of first appearance; empty when the text has no
 *   `<<<<<<< SEARCH` line
 * @throws TaskgraphError EDIT_INVALID for a block without a path, without `=======`, or without
 *   `>>>>>>> REPLACE`
 */
export function parseSearchReplace(text: string): SearchReplaceFileEdit[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const byPath = new Map<string, SearchReplaceBlock[]>();
  let lastPath: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (!SEARCH_MARKER.test(lines[i] ?? '')) continue;
    const filePath = findPath(lines, i) ?? lastPath;
    if (filePath === undefined) {
      throw invalid(`SEARCH block at line ${i + 1} has no file path on the line before it`, text);
    }
    const search: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !DIVIDER.test(lines[j] ?? ''); j++) {
      const line = lines[j] ?? '';
      if (SEARCH_MARKER.test(line) || REPLACE_MARKER.test(line)) break;
      search.push(line);
    }
    if (j >= lines.length || !DIVIDER.test(lines[j] ?? '')) {
      throw invalid(`SEARCH block for ${filePath} (line ${i + 1}) has no ======= divider`, text);
    }
    const replace: string[] = [];
    let k = j + 1;
    for (; k < lines.length && !REPLACE_MARKER.test(lines[k] ?? ''); k++) {
      const line = lines[k] ?? '';
      if (SEARCH_MARKER.test(line) || DIVIDER.test(line)) break;
      replace.push(line);
    }
    if (k >= lines.length || !REPLACE_MARKER.test(lines[k] ?? '')) {
      throw invalid(`SEARCH block for ${filePath} (line ${i + 1}) has no >>>>>>> REPLACE line`, text);
    }
    const blocks = byPath.get(filePath) ?? [];
    blocks.push({ search: joinLines(search), replace: joinLines(replace) });
    byPath.set(filePath, blocks);
    lastPath = filePath;
    i = k;
  }
  return [...byPath.entries()].map(([path, blocks]) => ({ path, blocks }));
}
