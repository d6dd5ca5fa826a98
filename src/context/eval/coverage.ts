import type { ContextItem } from '../types.js';
import type { EvalFile, EvalHunk } from './history.js';

/**
 * What of a changed file a bundle holds, line by line: the lines of the parent's file whose text
 * is in a bundle item made of that file (a named or pinned file, a retrieved passage), outside
 * any trimmed region. Items whose origin names the file but whose text is not its lines (the
 * repository map, a summary) hold none of it.
 */

/** Sources whose items carry a file's own lines (`origin.path` + `origin.lines`). */
const FILE_TEXT_SOURCES: ReadonlySet<string> = new Set(['file', 'pin', 'retrieval']);
/** The line {@link trimHeadTail} (trim.ts) puts where text was cut out. */
const TRIM_MARKER = /^\[\.\.\. \d+ tokens trimmed \.\.\.\]$/;

/** Whether an item is made of `path`'s own text (and is not a summary of it). */
export function holdsFileText(item: Pick<ContextItem, 'source' | 'origin' | 'shortened'>, path: string): boolean {
  return FILE_TEXT_SOURCES.has(item.source) && item.origin.path === path && item.shortened?.action !== 'summarized';
}

/** The body of a rendered file item: between the heading + opening fence and the closing fence. */
function bodyLines(text: string): string[] {
  const lines = text.split('\n');
  return lines.length >= 3 && /^`{3,}/.test(lines[1] ?? '') ? lines.slice(2, -1) : lines.slice(1);
}

/**
 * Lines of `from` that equal `kept` line for line (trailing spaces ignored), walking from the
 * start (or the end when `fromEnd`) and stopping at the first mismatch (a line cut in half).
 * Blank lines at that end are skipped first on both sides (rendering strips them).
 */
function matched(from: string[], kept: string[], fromEnd: boolean): number[] {
  const order = (n: number) => (fromEnd ? Array.from({ length: n }, (_, i) => n - 1 - i) : Array.from({ length: n }, (_, i) => i));
  const src = order(from.length);
  const got = order(kept.length).map((i) => kept[i] ?? '');
  let s = 0;
  while (s < src.length && (from[src[s]!] ?? '').trim() === '') s++;
  let g = 0;
  while (g < got.length && got[g]!.trim() === '') g++;
  const out: number[] = [];
  for (; g < got.length && s < src.length; g++, s++) {
    if ((from[src[s]!] ?? '').trimEnd() !== got[g]!.trimEnd()) break;
    out.push(src[s]!);
  }
  return out;
}

/**
 * The 1-based lines of the parent's `path` that the bundle holds outside trimmed regions.
 * An untrimmed item covers its `origin.lines`; an item trimmed code-aware covers its
 * `origin.shown` ranges (the lines shown verbatim); one trimmed head + tail covers the lines of
 * its kept head and tail that match the file exactly (a line cut in half is not covered).
 * @param items the bundle's items
 * @param fileText the file's text at the parent commit
 */
export function coveredLines(items: readonly ContextItem[], path: string, fileText: string): Set<number> {
  const fileLines = fileText.split('\n');
  const covered = new Set<number>();
  for (const item of items) {
    if (!holdsFileText(item, path) || !item.origin.lines) continue;
    const [start, end] = item.origin.lines;
    if (item.origin.shown) {
      // trimmed code-aware: only the ranges shown verbatim (signatures and `… N lines` hold nothing)
      for (const [a, b] of item.origin.shown) for (let l = Math.max(a, start); l <= Math.min(b, end); l++) covered.add(l);
      continue;
    }
    if (!item.trimmed) {
      for (let l = start; l <= end; l++) covered.add(l);
      continue;
    }
    const passage = fileLines.slice(start - 1, end);
    const body = bodyLines(item.text);
    const at = body.findIndex((l) => TRIM_MARKER.test(l));
    const head = at < 0 ? body : body.slice(0, at);
    const tail = at < 0 ? [] : body.slice(at + 1);
    for (const i of matched(passage, head, false)) covered.add(start + i);
    for (const i of matched(passage, tail, true)) covered.add(start + i);
  }
  return covered;
}

/**
 * Whether the bundle holds a hunk: every pre-image line it replaces or deletes is covered; a pure
 * addition is held when its anchor is covered (the line it follows, or line 1 for the top).
 */
export function hunkHeld(hunk: EvalHunk, covered: ReadonlySet<number>): boolean {
  if (hunk.oldLines === 0) return covered.has(Math.max(1, hunk.oldStart));
  for (let l = hunk.oldStart; l < hunk.oldStart + hunk.oldLines; l++) if (!covered.has(l)) return false;
  return true;
}

/** How well one bundle covers one commit's changed files. */
export interface CommitCoverage {
  /** changed files (that existed at the parent) */
  files: number;
  /** of those, files with at least one item made of their text in the bundle */
  filesFound: number;
  hunks: number;
  /** hunks held, see {@link hunkHeld} */
  hunksFound: number;
  /** tokens of the bundle (its rendered text) */
  tokens: number;
  /** tokens of the items made of changed files' text */
  changedTokens: number;
}

/**
 * Measures one bundle against one commit's changes.
 * @param bundle items and total tokens of the bundle
 * @param files the commit's changed source files that existed at the parent
 * @param textAt the parent's text of a changed file (undefined when the index did not read it)
 */
export function measureBundle(bundle: { items: readonly ContextItem[]; tokens: number }, files: readonly EvalFile[], textAt: (path: string) => string | undefined): CommitCoverage {
  const c: CommitCoverage = { files: 0, filesFound: 0, hunks: 0, hunksFound: 0, tokens: bundle.tokens, changedTokens: 0 };
  for (const f of files) {
    const text = textAt(f.path);
    if (text === undefined) continue;
    c.files++;
    const items = bundle.items.filter((i) => holdsFileText(i, f.path));
    if (items.length > 0) c.filesFound++;
    c.changedTokens += items.reduce((n, i) => n + i.tokens, 0);
    const covered = coveredLines(items, f.path, text);
    c.hunks += f.hunks.length;
    c.hunksFound += f.hunks.filter((h) => hunkHeld(h, covered)).length;
  }
  return c;
}
