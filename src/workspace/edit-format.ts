import { TaskgraphError } from '../core/errors.js';
import type { EditFormat } from './workspace.js';
import { SEARCH_MARKER, parseSearchReplace, type SearchReplaceFileEdit } from './search-replace-parse.js';
import { firstUnifiedDiffLine, parseUnifiedDiff, type UdiffFileEdit } from './udiff-parse.js';
import { findWholeFileBlocks, type WholeFileEdit } from './whole-parse.js';

export type { SearchReplaceBlock, SearchReplaceFileEdit } from './search-replace-parse.js';
export type { UdiffFileEdit } from './udiff-parse.js';
export type { WholeFileEdit } from './whole-parse.js';

/**
 * A coder model's answer read as edits (DESIGN.md §2 step 4, §4 `llm` edit output / `apply`).
 * Pure: no file system access. Applying is `edit-apply.ts`.
 */
export type ParsedEdit =
  | { format: 'udiff'; files: UdiffFileEdit[] }
  | { format: 'search-replace'; files: SearchReplaceFileEdit[] }
  | { format: 'whole'; files: WholeFileEdit[] };

function noEdit(text: string): TaskgraphError {
  return new TaskgraphError('EDIT_INVALID', 'the model answer holds no unified diff, no SEARCH/REPLACE block and no whole-file block', {
    details: { excerpt: text.slice(0, 500) },
    hint:
      'ask the model for a unified diff (--- a/path, +++ b/path, @@ hunks), SEARCH/REPLACE blocks, ' +
      'or whole files (the path on the line before each ``` fenced block)',
  });
}

/**
 * Detects the edit format of a model answer and parses it. Order:
 * 1. Whole-file blocks are located first (a path line, then a closed fenced block whose body is
 *    not itself a diff or SEARCH/REPLACE blocks; see `whole-parse.ts`), and their lines are set
 *    aside, so a file whose text contains diff-like lines is not read as a diff.
 * 2. In the remaining lines, `<<<<<<< SEARCH` and the start of a unified diff (`diff --git`, a
 *    `--- `/`+++ ` pair, else a `@@` line) are looked for; when both are present the one that
 *    comes first wins, and when it yields no file the other is tried.
 * 3. Only when neither marker is found there, the whole-file blocks are the edit.
 * Surrounding prose and ``` fences are ignored. An answer is expected to use one format.
 * @param text the model answer
 * @returns the format and the per-file edits (paths as the model wrote them, minus git's
 *   `a/`/`b/` prefixes; not yet checked against a worktree)
 * @throws TaskgraphError EDIT_INVALID when the text holds no recognisable edit, or a malformed one
 *   (including a whole-file block that is never closed)
 */
export function parseEdit(text: string): ParsedEdit {
  const all = text.replace(/\r\n/g, '\n').split('\n');
  const whole = findWholeFileBlocks(all, text);
  const lines = [...all];
  for (const block of whole) lines.fill('', block.pathLine, block.endLine + 1);
  const searchAt = lines.findIndex((line) => SEARCH_MARKER.test(line));
  const diffAt = firstUnifiedDiffLine(lines);
  const hunkAt = lines.findIndex((line) => line.startsWith('@@'));
  const udiffAt = diffAt >= 0 ? diffAt : hunkAt;
  if (searchAt >= 0 && (udiffAt < 0 || searchAt < udiffAt)) {
    const files = parseSearchReplace(text);
    if (files.length > 0) return { format: 'search-replace', files };
  }
  if (udiffAt >= 0) {
    const files = parseUnifiedDiff(text);
    if (files.length > 0) return { format: 'udiff', files };
  }
  if (searchAt >= 0) {
    const files = parseSearchReplace(text);
    if (files.length > 0) return { format: 'search-replace', files };
  }
  if (searchAt < 0 && udiffAt < 0 && whole.length > 0) {
    return { format: 'whole', files: whole.map(({ path, content }) => ({ path, content })) };
  }
  throw noEdit(text);
}

/**
 * Returns a copy of `edit` with every path passed through `map` (e.g. normalisation).
 * @throws whatever `map` throws
 */
export function mapEditPaths(edit: ParsedEdit, map: (path: string) => string): ParsedEdit {
  if (edit.format === 'whole') {
    return { format: edit.format, files: edit.files.map((file) => ({ ...file, path: map(file.path) })) };
  }
  if (edit.format === 'search-replace') {
    return { format: edit.format, files: edit.files.map((file) => ({ ...file, path: map(file.path) })) };
  }
  return {
    format: edit.format,
    files: edit.files.map((file) => ({
      ...file,
      path: map(file.path),
      ...(file.fromPath !== undefined ? { fromPath: map(file.fromPath) } : {}),
    })),
  };
}

/** Every path an edit reads or writes (including rename sources), unsorted, may repeat. */
export function editPaths(edit: ParsedEdit): string[] {
  if (edit.format !== 'udiff') return edit.files.map((file) => file.path);
  return edit.files.flatMap((file) => (file.fromPath !== undefined ? [file.fromPath, file.path] : [file.path]));
}

/** The {@link EditFormat} names, for validation and docs. */
export const EDIT_FORMATS: readonly EditFormat[] = ['udiff', 'search-replace', 'whole'];
