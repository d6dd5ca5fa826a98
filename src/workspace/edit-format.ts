import { TaskgraphError } from '../core/errors.js';
import type { EditFormat } from './workspace.js';
import { SEARCH_MARKER, parseSearchReplace, type SearchReplaceFileEdit } from './search-replace-parse.js';
import { firstUnifiedDiffLine, parseUnifiedDiff, type UdiffFileEdit } from './udiff-parse.js';

export type { SearchReplaceBlock, SearchReplaceFileEdit } from './search-replace-parse.js';
export type { UdiffFileEdit } from './udiff-parse.js';

/**
 * A coder model's answer read as edits (DESIGN.md §2 step 4, §4 `llm` edit output / `apply`).
 * Pure: no file system access. Applying is `edit-apply.ts`.
 */
export type ParsedEdit =
  | { format: 'udiff'; files: UdiffFileEdit[] }
  | { format: 'search-replace'; files: SearchReplaceFileEdit[] };

function noEdit(text: string): TaskgraphError {
  return new TaskgraphError('EDIT_INVALID', 'the model answer holds no unified diff and no SEARCH/REPLACE block', {
    details: { excerpt: text.slice(0, 500) },
    hint: 'ask the model for a unified diff (--- a/path, +++ b/path, @@ hunks) or SEARCH/REPLACE blocks',
  });
}

/**
 * Detects the edit format of a model answer and parses it. When both formats seem present, the
 * one whose first marker comes first wins (`<<<<<<< SEARCH` versus `diff --git` / `--- `+`+++ `).
 * Surrounding prose and ``` fences are ignored.
 * @param text the model answer
 * @returns the format and the per-file edits (paths as the model wrote them, minus git's
 *   `a/`/`b/` prefixes; not yet checked against a worktree)
 * @throws TaskgraphError EDIT_INVALID when the text holds no recognisable edit, or a malformed one
 */
export function parseEdit(text: string): ParsedEdit {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
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
  throw noEdit(text);
}

/**
 * Returns a copy of `edit` with every path passed through `map` (e.g. normalisation).
 * @throws whatever `map` throws
 */
export function mapEditPaths(edit: ParsedEdit, map: (path: string) => string): ParsedEdit {
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
  if (edit.format === 'search-replace') return edit.files.map((file) => file.path);
  return edit.files.flatMap((file) => (file.fromPath !== undefined ? [file.fromPath, file.path] : [file.path]));
}

/** The {@link EditFormat} names, for validation and docs. */
export const EDIT_FORMATS: readonly EditFormat[] = ['udiff', 'search-replace'];
