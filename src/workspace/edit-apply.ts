import { applyPatch, type StructuredPatchHunk } from 'diff';
import { TaskgraphError } from '../core/errors.js';
import type { ParsedEdit, SearchReplaceBlock, UdiffFileEdit } from './edit-format.js';

/**
 * Computes what an edit does to file contents, in memory, so that a workspace can validate a
 * whole edit before writing anything (all-or-nothing).
 *
 * Unified diffs are applied with jsdiff's `applyPatch` (package `diff`) rather than `git apply`:
 * it runs in memory (no partial writes), searches for a hunk's position when the header line
 * numbers are off, and tolerates up to {@link FUZZ_FACTOR} mismatching context lines. Lines are
 * compared ignoring trailing whitespace, which models often drop.
 *
 * SEARCH/REPLACE blocks are applied in order, each to the result of the previous one: first an
 * exact, unique text match; then a line match ignoring trailing whitespace and CR; then a line
 * match allowing a uniform indentation shift (re-indenting the replacement the same way), after
 * Aider's `replace_most_similar_chunk` / `replace_part_with_missing_leading_whitespace`.
 *
 * Whole files replace the file's content (or create the file); when the file exists with CRLF line
 * ends, the new content gets CRLF too. A path given twice keeps its last content.
 */

/** jsdiff `fuzzFactor`: context lines per hunk that may differ from the file (Levenshtein distance in lines). */
export const FUZZ_FACTOR = 2;

/** Reads a repository-relative file; `null` when it does not exist. */
export type FileReader = (path: string) => Promise<string | null>;

/** One file's change. `null` content = the file does not exist. */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}

function rejected(path: string, reason: string): TaskgraphError {
  return new TaskgraphError('EDIT_REJECTED', `edit to ${path} does not apply: ${reason}`, {
    details: { path, reason },
    hint: 'read the current file content and produce the edit again against it',
  });
}

/** jsdiff calls this with `line` undefined past the end of the file. */
const sameLine = (_n: number, line: string | undefined, _op: string, patchContent: string): boolean =>
  line !== undefined && (line === patchContent || line.trimEnd() === patchContent.trimEnd());

function patchOnce(source: string, hunks: StructuredPatchHunk[]): string | false {
  return applyPatch(
    source,
    { oldFileName: 'a', newFileName: 'b', oldHeader: undefined, newHeader: undefined, hunks },
    { fuzzFactor: FUZZ_FACTOR, compareLine: sameLine },
  );
}

function applyHunks(path: string, source: string, hunks: StructuredPatchHunk[]): string {
  const result = patchOnce(source, hunks);
  if (result !== false) return result;
  // Find the first hunk that does not fit, for a reason the model can act on.
  let failing = hunks.length - 1;
  for (let k = 1; k <= hunks.length; k++) {
    if (patchOnce(source, hunks.slice(0, k)) === false) {
      failing = k - 1;
      break;
    }
  }
  const hunk = hunks[failing];
  const preview = (hunk?.lines ?? []).filter((l) => !l.startsWith('+')).slice(0, 3).map((l) => l.slice(1).trim());
  return fail(
    path,
    `hunk ${failing + 1} of ${hunks.length} (@@ -${hunk?.oldStart ?? 0}) does not match the file` +
      (preview.length > 0 ? `; its context starts with "${preview.join(' / ')}"` : ''),
  );
}

function fail(path: string, reason: string): never {
  throw rejected(path, reason);
}

/**
 * A deletion must show what it deletes: its hunks, applied without fuzz (every `-` and context
 * line equal to the file's, trailing whitespace aside), must leave nothing but whitespace. A
 * deletion without hunks is accepted only for an empty file (git writes no hunk for one).
 */
function checkDeletion(file: UdiffFileEdit, current: string): void {
  if (file.hunks.length === 0) {
    if (current.trim() === '') return;
    fail(file.path, 'the diff deletes the file but shows none of its lines; to delete a file, write every line of it as a "-" line');
  }
  const rest = applyPatch(
    current,
    { oldFileName: 'a', newFileName: 'b', oldHeader: undefined, newHeader: undefined, hunks: file.hunks },
    { fuzzFactor: 0, compareLine: sameLine },
  );
  if (rest === false) {
    fail(file.path, 'the diff deletes the file but its "-" lines do not match the file\'s content; read the file and list its current lines');
  }
  if (rest.trim() !== '') {
    const left = rest.split('\n').filter((line) => line.trim() !== '').length;
    fail(file.path, `the diff deletes the file but its "-" lines cover only part of it (${left} non-blank line${left === 1 ? '' : 's'} not listed)`);
  }
}

function applyUdiffFile(file: UdiffFileEdit, state: Map<string, string | null>): void {
  const current = state.get(file.path) ?? null;
  if (file.action === 'create') {
    if (current !== null && current !== '') fail(file.path, 'the diff creates the file (from /dev/null) but it already exists');
    state.set(file.path, applyHunks(file.path, '', file.hunks));
  } else if (file.action === 'delete') {
    if (current === null) fail(file.path, 'the diff deletes the file but it does not exist');
    checkDeletion(file, current);
    state.set(file.path, null);
  } else if (file.action === 'rename') {
    const from = file.fromPath ?? '';
    const source = state.get(from) ?? null;
    if (source === null) fail(from, `the diff renames it to ${file.path} but it does not exist`);
    if (current !== null) fail(file.path, `the diff renames ${from} onto it but it already exists`);
    state.set(file.path, applyHunks(file.path, source, file.hunks));
    state.set(from, null);
  } else {
    if (current === null) fail(file.path, 'the file does not exist (to create it, diff from /dev/null)');
    state.set(file.path, applyHunks(file.path, current, file.hunks));
  }
}

function occurrences(text: string, search: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(search); at >= 0; at = text.indexOf(search, at + 1)) found.push(at);
  return found;
}

function toLines(text: string): string[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body === '' ? [] : body.split('\n').map((line) => line.replace(/\r$/, ''));
}

const indentOf = (line: string): string => /^[ \t]*/.exec(line)?.[0] ?? '';

/**
 * Line-level match: `mode` 'trailing' ignores trailing whitespace; 'indent' also allows a uniform
 * change of leading whitespace (found from the first non-blank line), returning that shift.
 */
function lineMatches(
  content: string[],
  search: string[],
  mode: 'trailing' | 'indent',
): Array<{ start: number; from: string; to: string }> {
  const matches: Array<{ start: number; from: string; to: string }> = [];
  const firstIdx = search.findIndex((line) => line.trim() !== '');
  if (firstIdx < 0) return matches;
  for (let start = 0; start + search.length <= content.length; start++) {
    let from = '';
    let to = '';
    if (mode === 'indent') {
      from = indentOf(search[firstIdx] ?? '');
      to = indentOf(content[start + firstIdx] ?? '');
    }
    const ok = search.every((line, k) => {
      const have = (content[start + k] ?? '').trimEnd();
      const want = line.trimEnd();
      if (want === '') return have === '';
      if (!want.startsWith(from)) return false;
      return have === to + want.slice(from.length);
    });
    if (ok) matches.push({ start, from, to });
  }
  return matches;
}

function applyBlock(path: string, content: string, block: SearchReplaceBlock, index: number): string {
  if (block.search.trim() === '') {
    if (content === '' || content.endsWith('\n')) return content + block.replace;
    return content + '\n' + block.replace;
  }
  const exact = occurrences(content, block.search);
  if (exact.length === 1) {
    const at = exact[0] ?? 0;
    return content.slice(0, at) + block.replace + content.slice(at + block.search.length);
  }
  const label = `SEARCH block ${index + 1}`;
  if (exact.length > 1) {
    fail(path, `${label} matches ${exact.length} places; include more surrounding lines so it matches exactly one`);
  }
  const eol = content.includes('\r\n') ? '\r\n' : '\n';
  const lines = toLines(content);
  const searchLines = toLines(block.search);
  for (const mode of ['trailing', 'indent'] as const) {
    const matches = lineMatches(lines, searchLines, mode);
    if (matches.length > 1) {
      fail(path, `${label} matches ${matches.length} places; include more surrounding lines so it matches exactly one`);
    }
    const match = matches[0];
    if (!match) continue;
    const replacement = toLines(block.replace).map((line) =>
      line.trim() !== '' && line.startsWith(match.from) ? match.to + line.slice(match.from.length) : line,
    );
    const next = [...lines.slice(0, match.start), ...replacement, ...lines.slice(match.start + searchLines.length)];
    return next.join(eol) + (content.endsWith('\n') && next.length > 0 ? eol : '');
  }
  const first = searchLines.find((line) => line.trim() !== '')?.trim() ?? '';
  return fail(path, `${label}: the SEARCH text was not found in the file (first line: "${first}")`);
}

/**
 * Computes the new contents of every file an edit touches.
 * @param edit parsed edit whose paths are already normalised (see `normalizeRepoPath`)
 * @param read reads a file's current content (`null` = absent); called at most once per path
 * @returns the files whose content actually changes, sorted by path
 * @throws TaskgraphError EDIT_REJECTED (`details: { path, reason }`) when a hunk or SEARCH text
 *   does not match, a created file exists, a modified/deleted file is missing, or a deletion's
 *   `-` lines are not exactly the file's content (whole files never fail here: they create or
 *   replace)
 */
export async function computeEdit(edit: ParsedEdit, read: FileReader): Promise<FileChange[]> {
  const original = new Map<string, string | null>();
  const state = new Map<string, string | null>();
  const load = async (path: string): Promise<void> => {
    if (original.has(path)) return;
    const content = await read(path);
    original.set(path, content);
    state.set(path, content);
  };
  if (edit.format === 'udiff') {
    for (const file of edit.files) {
      await load(file.path);
      if (file.fromPath !== undefined) await load(file.fromPath);
      applyUdiffFile(file, state);
    }
  } else if (edit.format === 'whole') {
    for (const file of edit.files) {
      await load(file.path);
      const before = original.get(file.path) ?? null;
      state.set(file.path, before !== null && before.includes('\r\n') ? file.content.replace(/\r?\n/g, '\r\n') : file.content);
    }
  } else {
    for (const file of edit.files) {
      await load(file.path);
      let content = state.get(file.path) ?? null;
      file.blocks.forEach((block, index) => {
        if (content === null) {
          if (block.search.trim() !== '') {
            fail(file.path, `the file does not exist (to create it, leave the SEARCH section of block ${index + 1} empty)`);
          }
          content = block.replace;
        } else content = applyBlock(file.path, content, block, index);
      });
      state.set(file.path, content);
    }
  }
  const changes: FileChange[] = [];
  for (const [path, after] of state) {
    const before = original.get(path) ?? null;
    if (before !== after) changes.push({ path, before, after });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
