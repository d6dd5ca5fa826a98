import type { IndexedFile } from './context-index.js';
import { countTokens, type TokenizerFamily } from './tokenizer.js';

/**
 * The repository map (tier 7), after Aider's repo map (aider.chat/docs/repomap.html): the
 * repository's files, most relevant first, each with the declaration lines of its exported
 * symbols, cut to a token allowance. Aider ranks with PageRank over a tree-sitter reference
 * graph; taskgraph ranks with BM25 of path + symbols against the task (see `rankFiles`).
 */

/** Symbols shown per file; the rest are counted (`… N more`). */
const SYMBOLS_PER_FILE = 12;

/** A rendered map body. */
export interface RepoMapBody {
  /** the lines, '' when not even one file fits */
  text: string;
  /** files listed */
  listed: number;
  /** files listed with their symbols (relevant ones) */
  withSymbols: string[];
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
 * Renders ranked files into at most `maxTokens` tokens (counted exactly on the result).
 * Files with a relevance score > 0 are shown with their symbols; the others by path only.
 * A file is listed whole or not at all.
 * @param ranked files, most relevant first (see `rankFiles`)
 */
export function renderRepoMap(ranked: Array<{ file: IndexedFile; score: number }>, maxTokens: number, family: TokenizerFamily): RepoMapBody {
  const blocks: Array<{ path: string; lines: string[]; symbols: boolean }> = [];
  let used = 0;
  for (const { file, score } of ranked) {
    const symbols = score > 0 && file.symbols.length > 0;
    const lines = fileLines(file, symbols);
    // +1: the line break before the block
    const cost = countTokens(lines.join('\n'), family) + 1;
    if (used + cost > maxTokens) {
      if (symbols) continue; // a smaller path-only block may still fit
      break;
    }
    blocks.push({ path: file.path, lines, symbols });
    used += cost;
  }
  // the per-block sum is an estimate: drop blocks from the end until the exact count fits
  while (blocks.length > 0 && countTokens(blocks.flatMap((b) => b.lines).join('\n'), family) > maxTokens) blocks.pop();
  return {
    text: blocks.flatMap((b) => b.lines).join('\n'),
    listed: blocks.length,
    withSymbols: blocks.filter((b) => b.symbols).map((b) => b.path),
  };
}
