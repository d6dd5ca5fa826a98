import MiniSearch from 'minisearch';
import type { ContextIndex } from '../context-index.js';
import { BUNDLE_SEPARATOR, fenceLanguage, renderBundle, renderItem } from '../render.js';
import { processQueryTerm, processTerm, tokenizeText } from '../search-text.js';
import { countTokens, type TokenizerFamily } from '../tokenizer.js';
import type { ContextItem } from '../types.js';

/**
 * The baseline `taskgraph context eval` compares bundles with: plain BM25 over whole files, the
 * retrieval of the SWE-bench paper (Jimenez et al., "SWE-bench: Can Language Models Resolve
 * Real-World GitHub Issues?", ICLR 2024, §5: BM25 ranks whole files against the issue text,
 * which are put in the prompt in rank order until the context limit). Files are ranked by BM25
 * (minisearch's BM25+, default parameters, one field: the file's text; no path boost, no prefix
 * or fuzzy matching) with the same terms as taskgraph's retrieval (`search-text.ts`); the
 * query is the same task text. Files are added whole, in rank order, each rendered like a named
 * file (`# File path` + fenced text); a file that does not fit is skipped and the next tried.
 * The baseline bundle holds only files (no task text, no project facts): the whole budget goes
 * to them.
 */

/** A baseline bundle: whole-file items (source `file`, origin lines = the whole file). */
export interface BaselineBundle {
  items: ContextItem[];
  /** tokens of the rendered bundle (items joined as in `renderBundle`): ≤ the budget */
  tokens: number;
}

/**
 * Builds the baseline bundle for a query from the files of a context index.
 * @param index the index of the repository at the commit (its `files` are used)
 * @param query the task text (`taskQuery`)
 * @param budget tokens the rendered bundle may use (≥ 0)
 * @param family the tokenizer the budget is counted in
 */
export function bm25WholeFiles(index: ContextIndex, query: string, budget: number, family: TokenizerFamily): BaselineBundle {
  const search = new MiniSearch<{ id: string; text: string }>({ fields: ['text'], tokenize: tokenizeText, processTerm, searchOptions: { tokenize: tokenizeText, processTerm: processQueryTerm } });
  search.addAll([...index.files.values()].map((f) => ({ id: f.path, text: f.text })));
  const ranked = search.search(query).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const separator = countTokens(BUNDLE_SEPARATOR, family);
  const items: ContextItem[] = [];
  let used = 0;
  for (const hit of ranked) {
    const file = index.files.get(hit.id as string);
    if (!file) continue;
    const text = renderItem(`File ${file.path}`, file.text, fenceLanguage(file.path));
    const tokens = countTokens(text, family);
    const cost = tokens + (items.length > 0 ? separator : 0);
    if (used + cost > budget) continue;
    items.push({ source: 'file', tier: 6, title: file.path, text, tokens, why: `BM25 ${hit.score.toFixed(2)} (whole-file baseline)`, origin: { path: file.path, lines: [1, Math.max(1, file.lines)] } });
    used += cost;
  }
  // counts are additive up to merges across item edges: make sure the rendered text fits
  let total = countTokens(renderBundle({ items }), family);
  while (total > budget && items.length > 0) {
    items.pop();
    total = countTokens(renderBundle({ items }), family);
  }
  return { items, tokens: total };
}
