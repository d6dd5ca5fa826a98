import { posix } from 'node:path';
import type { IndexedFile } from './context-index.js';
import { countTokens, type TokenizerFamily } from './tokenizer.js';

/**
 * The repository map (tier 7), after Aider's repo map (aider.chat/docs/repomap.html): the
 * repository's files, most relevant first, each with the declaration lines of its exported
 * symbols, cut to a token allowance. Aider ranks with PageRank over a tree-sitter reference
 * graph; taskgraph ranks with BM25 of path + symbols against the task (see `rankFiles`).
 *
 * Files without symbols (data, docs, assets) are listed by path only when relevant to the task (or
 * when the repository has at most {@link BARE_PATHS} files), at most {@link BARE_PATHS} of them;
 * the rest are summarised by directory (`src/locales/: 40 files`). Whatever is left out is the
 * least relevant, and the summary says so.
 */

/** Symbols shown per file; the rest are counted (`… N more`). */
const SYMBOLS_PER_FILE = 12;

/** Files without symbols listed by path, most relevant first; the rest are counted by directory. */
export const BARE_PATHS = 20;

/** Directory lines of the summary of files not listed by name; smaller directories are counted in the last line. */
export const SUMMARY_DIRS = 30;

/** A rendered map body. */
export interface RepoMapBody {
  /** the lines, '' when not even one file fits */
  text: string;
  /** files listed by name */
  listed: number;
  /** files listed with their symbols (relevant ones) */
  withSymbols: string[];
  /** files not listed by name (counted by directory, or in the last line) */
  notListed: number;
}

/**
 * Lines of one file in the map: the path, then `  LINE: signature` per symbol when `symbols`.
 */
function fileLines(f: IndexedFile, symbols: boolean): string[] {
  if (!symbols || f.symbols.length === 0) return [f.path];
  const shown = f.symbols.slice(0, SYMBOLS_PER_FILE).map((s) => `  ${s.line}: ${s.signature}`);
  const more = f.symbols.length - shown.length;
  return [f.path, ...shown, ...(more > 0 ? [`  … ${more} more`] : [])];
}

/**
 * The summary of files not listed by name: one `dir/: N files` line per directory (most files
 * first, at most `maxDirs`), then `… and N more files (not shown: least relevant to the task)`
 * for the rest. Empty when `paths` is.
 * @param paths repository-relative paths not listed by name
 * @param maxDirs directory lines at most (0: only the last line)
 * @param subject what relevance is measured against, in words (`task`, `goal`)
 */
export function summarizeByDirectory(paths: readonly string[], maxDirs: number = SUMMARY_DIRS, subject: string = 'task'): string[] {
  if (paths.length === 0) return [];
  const byDir = new Map<string, number>();
  for (const p of paths) {
    const dir = posix.dirname(p);
    const key = dir === '.' ? './' : `${dir}/`;
    byDir.set(key, (byDir.get(key) ?? 0) + 1);
  }
  const dirs = [...byDir.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const shown = dirs.slice(0, Math.max(0, maxDirs));
  const rest = paths.length - shown.reduce((n, [, c]) => n + c, 0);
  const lines = shown.map(([d, c]) => `${d}: ${c} file${c === 1 ? '' : 's'}`);
  if (rest > 0) lines.push(`… and ${rest} more file${rest === 1 ? '' : 's'} (not shown: least relevant to the ${subject})`);
  return lines;
}

function render(blocks: ReadonlyArray<{ lines: string[] }>, summary: readonly string[], subject: string): string {
  const body = blocks.flatMap((b) => b.lines);
  if (summary.length === 0) return body.join('\n');
  return [...body, ...(body.length > 0 ? [''] : []), `Not listed by name (least relevant to the ${subject}), by directory:`, ...summary].join('\n');
}

/**
 * Renders ranked files into at most `maxTokens` tokens (counted exactly on the result).
 * Files with a relevance score > 0 are shown with their symbols, other code files by path;
 * files without symbols as the module doc says; every other file is counted in a by-directory
 * summary at the end (its
 * directory lines shrink, then go, when the allowance is tight). A file is listed whole or not
 * at all, and only less relevant files are left out for a more relevant one.
 * @param ranked files, most relevant first (see `rankFiles`)
 * @param maxTokens token allowance of the body
 * @param subject what the files are ranked against, in words (`task`, default; `goal` for the planner)
 */
export function renderRepoMap(ranked: Array<{ file: IndexedFile; score: number }>, maxTokens: number, family: TokenizerFamily, subject: string = 'task'): RepoMapBody {
  const blocks: Array<{ path: string; lines: string[]; symbols: boolean }> = [];
  const notListed: string[] = [];
  let used = 0;
  let bare = 0;
  const small = ranked.length <= BARE_PATHS;
  // room for the summary's heading and a few of its lines, when there will be one
  const reserve = ranked.length > BARE_PATHS ? Math.min(Math.floor(maxTokens / 4), 120) : 0;
  for (const { file, score } of ranked) {
    const symbols = score > 0 && file.symbols.length > 0;
    // code files are listed (by path when not relevant); files without symbols only when relevant or the repository is small
    const plain = file.symbols.length === 0;
    if (plain && (bare >= BARE_PATHS || (score === 0 && !small))) {
      notListed.push(file.path);
      continue;
    }
    const lines = fileLines(file, symbols);
    // +1: the line break before the block
    const cost = countTokens(lines.join('\n'), family) + 1;
    if (used + cost > maxTokens - reserve) {
      notListed.push(file.path);
      continue; // a smaller block of a less relevant file may still fit
    }
    blocks.push({ path: file.path, lines, symbols });
    if (plain) bare++;
    used += cost;
  }
  // exact count: fewer directory lines first, then the least relevant blocks
  const fits = (text: string) => countTokens(text, family) <= maxTokens;
  let text = '';
  for (;;) {
    let dirs = SUMMARY_DIRS;
    let summary = summarizeByDirectory(notListed, dirs, subject);
    text = render(blocks, summary, subject);
    while (!fits(text) && dirs > 0) {
      dirs = dirs > 8 ? Math.floor(dirs / 2) : dirs - 1;
      summary = summarizeByDirectory(notListed, dirs, subject);
      text = render(blocks, summary, subject);
    }
    if (fits(text) || blocks.length === 0) break;
    notListed.push(blocks.pop()!.path);
  }
  if (!fits(text)) text = '';
  return {
    text,
    listed: blocks.length,
    withSymbols: blocks.filter((b) => b.symbols).map((b) => b.path),
    notListed: notListed.length,
  };
}
