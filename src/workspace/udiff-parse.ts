import { parsePatch, type StructuredPatchHunk } from 'diff';
import { TaskgraphError } from '../core/errors.js';

/**
 * Tolerant reading of unified diffs written by models. Models wrap diffs in ``` fences, add prose
 * around them, get hunk line counts wrong, write `@@ ... @@` without numbers and drop the single
 * space of blank context lines. This module finds the diff lines, recounts every hunk header from
 * its body and then hands each file section to jsdiff's `parsePatch` (package `diff`), which is
 * strict about counts, for the final structure and file-name parsing.
 */

/** One file of a unified diff. */
export interface UdiffFileEdit {
  /** repository-relative path the edit produces (for `delete`: the deleted path), `a/`/`b/` stripped */
  path: string;
  /** `create`: from /dev/null; `delete`: to /dev/null; `rename`: old path differs from `path` */
  action: 'create' | 'modify' | 'delete' | 'rename';
  /** source path of a `rename` */
  fromPath?: string;
  /** hunks with recounted line numbers, in jsdiff's `StructuredPatchHunk` shape */
  hunks: StructuredPatchHunk[];
}

interface RawHunk {
  oldStart: number;
  newStart: number;
  /** body lines; `null` marks a line that was empty in the model text (a blank context line) */
  lines: Array<string | null>;
}

interface RawSection {
  gitOld?: string;
  gitNew?: string;
  oldHeader?: string;
  newHeader?: string;
  newFile: boolean;
  deletedFile: boolean;
  renameFrom?: string;
  renameTo?: string;
  hunks: RawHunk[];
}

const FENCE = /^(`{3,}|~{3,})/;
const HUNK_HEADER = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

function invalid(message: string, text: string): TaskgraphError {
  return new TaskgraphError('EDIT_INVALID', message, {
    details: { excerpt: text.slice(0, 500) },
    hint: 'answer with a unified diff (--- a/path, +++ b/path, @@ hunks) or SEARCH/REPLACE blocks',
  });
}

/** Splits `a/x b/x` of a `diff --git` line; prefers the split whose two halves name the same path. */
function parseGitHeader(rest: string): { oldPath: string; newPath: string } | undefined {
  const unquoted = rest.replace(/"/g, '');
  if (!unquoted.startsWith('a/')) return undefined;
  const splits: number[] = [];
  for (let at = unquoted.indexOf(' b/'); at >= 0; at = unquoted.indexOf(' b/', at + 1)) splits.push(at);
  if (splits.length === 0) return undefined;
  const halves = splits.map((at) => ({ oldPath: unquoted.slice(2, at), newPath: unquoted.slice(at + 3) }));
  return halves.find((h) => h.oldPath === h.newPath) ?? halves[0];
}

/** `true` when `lines[i]` starts a `--- x` / `+++ y` file header pair. */
function isFileHeader(lines: string[], i: number): boolean {
  return (lines[i] ?? '').startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ');
}

/** Blocks of lines to scan: the contents of fences that hold diff headers, else the whole text. */
function diffRegions(lines: string[]): string[][] {
  const regions: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const marker = open[1] ?? '```';
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').startsWith(marker)) end++;
    const body = lines.slice(i + 1, end);
    if (body.some((line, k) => line.startsWith('@@') || line.startsWith('diff --git ') || isFileHeader(body, k))) {
      regions.push(body);
    }
    i = end;
  }
  return regions.length > 0 ? regions : [lines];
}

function scanRegion(lines: string[], sections: RawSection[], text: string): void {
  let section: RawSection | undefined;
  let hunk: RawHunk | undefined;
  const endHunk = (): void => {
    if (!hunk) return;
    while (hunk.lines.length > 0 && hunk.lines[hunk.lines.length - 1] === null) hunk.lines.pop();
    hunk = undefined;
  };
  const newSection = (): RawSection => {
    const created: RawSection = { newFile: false, deletedFile: false, hunks: [] };
    sections.push(created);
    return created;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (hunk) {
      const bodyLine = line === '' || ' +-\\'.includes(line[0] ?? '');
      if (bodyLine && !isFileHeader(lines, i) && !line.startsWith('diff --git ')) {
        hunk.lines.push(line === '' ? null : line);
        continue;
      }
      endHunk();
    }
    if (line.startsWith('diff --git ')) {
      section = newSection();
      const names = parseGitHeader(line.slice('diff --git '.length));
      if (names) {
        section.gitOld = names.oldPath;
        section.gitNew = names.newPath;
      }
    } else if (isFileHeader(lines, i)) {
      const reuse = section && section.gitOld !== undefined && section.oldHeader === undefined && section.hunks.length === 0;
      if (!reuse) section = newSection();
      section!.oldHeader = line;
      section!.newHeader = lines[i + 1];
      i++;
    } else if (line.startsWith('@@')) {
      if (!section) throw invalid(`the diff has a hunk ("${line}") before any --- / +++ file header`, text);
      const numbers = HUNK_HEADER.exec(line);
      hunk = { oldStart: Number(numbers?.[1] ?? 1), newStart: Number(numbers?.[2] ?? 1), lines: [] };
      section.hunks.push(hunk);
    } else if (section && section.hunks.length === 0) {
      if (line.startsWith('new file mode')) section.newFile = true;
      else if (line.startsWith('deleted file mode')) section.deletedFile = true;
      else if (line.startsWith('rename from ')) section.renameFrom = line.slice('rename from '.length);
      else if (line.startsWith('rename to ')) section.renameTo = line.slice('rename to '.length);
    }
  }
  endHunk();
}

/** Renders a hunk with header counts recomputed from its body. */
function renderHunk(hunk: RawHunk): string {
  const body = hunk.lines.map((line) => line ?? ' ');
  let oldCount = 0;
  let newCount = 0;
  for (const line of body) {
    if (line.startsWith(' ')) {
      oldCount++;
      newCount++;
    } else if (line.startsWith('-')) oldCount++;
    else if (line.startsWith('+')) newCount++;
  }
  // Unified diff quirk (mirrored by parsePatch): an empty side names the line *before* the hunk.
  const oldStart = oldCount === 0 ? Math.max(hunk.oldStart - 1, 0) : Math.max(hunk.oldStart, 1);
  const newStart = newCount === 0 ? Math.max(hunk.newStart - 1, 0) : Math.max(hunk.newStart, 1);
  return [`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...body].join('\n');
}

/** Removes git's `a/` / `b/` prefix (like `git apply -p1`); `null` for /dev/null. */
function stripPrefix(name: string | undefined): string | null | undefined {
  if (name === undefined) return undefined;
  if (name === '/dev/null') return null;
  return name.replace(/^[ab]\//, '');
}

function toFileEdit(section: RawSection, text: string): UdiffFileEdit | undefined {
  let oldName: string | null | undefined = section.gitOld;
  let newName: string | null | undefined = section.gitNew;
  let hunks: StructuredPatchHunk[] = [];
  if (section.oldHeader !== undefined && section.newHeader !== undefined) {
    const patchText = [section.oldHeader, section.newHeader, ...section.hunks.map(renderHunk)].join('\n') + '\n';
    let parsed;
    try {
      parsed = parsePatch(patchText);
    } catch (error) {
      throw invalid(`the unified diff cannot be read: ${(error as Error).message}`, text);
    }
    const patch = parsed[0];
    if (!patch) return undefined;
    oldName = stripPrefix(patch.oldFileName);
    newName = stripPrefix(patch.newFileName);
    hunks = patch.hunks;
  } else if (section.hunks.length > 0) {
    throw invalid('the diff has hunks without --- / +++ file headers', text);
  }
  if (section.newFile) oldName = null;
  if (section.deletedFile) newName = null;
  if (section.renameFrom !== undefined && section.renameTo !== undefined) {
    oldName = section.renameFrom;
    newName = section.renameTo;
  }
  if (oldName === undefined || newName === undefined) return undefined;
  if (oldName === null && newName === null) throw invalid('a diff section goes from /dev/null to /dev/null', text);
  if (oldName === null) return { path: newName!, action: 'create', hunks };
  if (newName === null) return { path: oldName, action: 'delete', hunks };
  if (oldName !== newName) return { path: newName, action: 'rename', fromPath: oldName, hunks };
  if (hunks.length === 0) return undefined;
  return { path: newName, action: 'modify', hunks };
}

/**
 * Finds and reads the unified diff in a model answer.
 * @param text the whole model answer (prose and fences allowed)
 * @returns one entry per file section that changes something, in diff order (a file may appear
 *   more than once); empty when the text holds no diff
 * @throws TaskgraphError EDIT_INVALID when diff-like text is malformed beyond repair (a hunk
 *   before any file header, unreadable header)
 */
export function parseUnifiedDiff(text: string): UdiffFileEdit[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const sections: RawSection[] = [];
  for (const region of diffRegions(lines)) scanRegion(region, sections, text);
  const files: UdiffFileEdit[] = [];
  for (const section of sections) {
    const file = toFileEdit(section, text);
    if (file) files.push(file);
  }
  return files;
}

/** Index of the first line that looks like the start of a unified diff, or -1. */
export function firstUnifiedDiffLine(lines: string[]): number {
  return lines.findIndex((line, i) => line.startsWith('diff --git ') || isFileHeader(lines, i));
}
