import MiniSearch from 'minisearch';
import { processQueryTerm, processTerm, tokenizeText } from '../search-text.js';
import { countTokens, lineTokenEstimator, type TokenizerFamily } from '../tokenizer.js';
import { parseSymbols, type CodeSymbol } from './parse.js';

/**
 * Code-aware trimming (issue 9): a source file too large for its share of the budget keeps the
 * symbols most relevant to the task in full — functions, classes, methods, test cases, ranked
 * by BM25 of their text (name counted double) against the task query, which holds the failure
 * of the latest attempt when there is one — and shows every other declaration as its one-line
 * signature followed by `… N lines`. Paragraphs of code outside inner declarations (imports,
 * top-level statements, the blocks of a long function's body, split at blank lines) are units
 * too, ranked the same way; what is not kept shows as `… N lines`.
 * Equal scores go to the unit nearest the best one. When the outline of signatures leaves no
 * room for the relevant code (hundreds of small functions, or a big class opened for one
 * method), elided declarations show as `… N lines` only.
 * Never a head + tail cut.
 */

/** A trimmed file. */
export interface CodeTrim {
  /** the rendered text: full lines of kept units, signatures and `… N lines` markers for the rest */
  body: string;
  /** 1-based inclusive line ranges of the file shown in full (verbatim), ascending */
  shown: Array<[number, number]>;
  /** names of the symbols kept in full, in rank order */
  kept: string[];
}

/** The marker line (or line end) standing for `n` elided lines. */
export function elisionMarker(n: number): string {
  return `… ${n} line${n === 1 ? '' : 's'}`;
}

/** Longest paragraph unit (lines). */
const PARAGRAPH_LINES = 30;

/** A unit the trimmer may keep in full: a symbol, or a paragraph of lines no inner symbol holds. */
interface Unit {
  name: string;
  start: number;
  end: number;
  text: string;
}

/**
 * Trims a parseable source file to at most `maxTokens` tokens keeping its most relevant symbols.
 * Deterministic: ties in relevance go to the earlier unit.
 * @param path selects the grammar (code/parse.ts)
 * @param query the task query (taskQuery: title, description, files, notes with the failure)
 * @returns undefined when the file has no grammar or no symbols, or when not even the markers
 *   fit `maxTokens`; the text itself (shown = the whole file) when it fits
 * @throws Error for a file with a grammar when the grammars are not loaded (`ensureParsers` in parse.ts)
 */
export function trimCode(path: string, text: string, query: string, maxTokens: number, family: TokenizerFamily): CodeTrim | undefined {
  const symbols = parseSymbols(path, text);
  if (!symbols || symbols.length === 0) return undefined;
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const n = lines.length;
  if (countTokens(text, family) <= maxTokens) return { body: text, shown: [[1, n]], kept: [] };
  const syms = symbols.filter((s) => s.endLine <= n).sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);

  const units: Unit[] = syms.map((s) => ({ name: s.name, start: s.startLine, end: s.endLine, text: lines.slice(s.startLine - 1, s.endLine).join('\n') }));
  // paragraphs of the lines no inner symbol holds (imports, statements, a long function's body):
  // runs of non-blank lines with the same innermost symbol, at most PARAGRAPH_LINES long
  const owner = new Int32Array(n + 2).fill(-1);
  syms.forEach((s, i) => {
    for (let l = s.startLine; l <= s.endLine; l++) owner[l] = i;
  });
  const heads = new Set(syms.map((s) => s.startLine));
  for (let l = 1; l <= n; ) {
    if (heads.has(l) || !(lines[l - 1] ?? '').trim()) {
      l++;
      continue;
    }
    let e = l;
    while (e + 1 <= n && e + 1 - l < PARAGRAPH_LINES && owner[e + 1] === owner[l] && !heads.has(e + 1) && (lines[e] ?? '').trim()) e++;
    units.push({ name: '', start: l, end: e, text: lines.slice(l - 1, e).join('\n') });
    l = e + 1;
  }

  const search = new MiniSearch<{ id: number; name: string; text: string }>({ fields: ['name', 'text'], tokenize: tokenizeText, processTerm, searchOptions: { tokenize: tokenizeText, processTerm: processQueryTerm } });
  search.addAll(units.map((u, id) => ({ id, name: u.name, text: u.text })));
  const ranked = search
    .search(query, { boost: { name: 2 }, prefix: (t) => t.length >= 5 })
    .map((r) => ({ unit: units[r.id as number] as Unit, score: r.score }))
    .sort((a, b) => b.score - a.score || a.unit.start - b.unit.start || b.unit.end - a.unit.end);
  // equal scores: the unit nearer the best one first (the code around the most relevant symbol)
  const top = ranked[0]?.unit.start ?? 1;
  ranked.sort((a, b) => b.score - a.score || Math.abs(a.unit.start - top) - Math.abs(b.unit.start - top) || a.unit.start - b.unit.start || b.unit.end - a.unit.end);

  const full = new Uint8Array(n + 2);
  // tokens are estimated line by line while choosing (one BPE count per distinct line), then counted exactly
  const estimate = lineTokenEstimator(family);
  // signatures for elided declarations; when even that outline is too large, `… N lines` markers only
  let signatures = true;
  const render = () => renderTrimmed(lines, syms, full, signatures);
  let bestTokens = estimate(render());
  if (bestTokens > maxTokens) {
    signatures = false;
    bestTokens = estimate(render());
    if (bestTokens > maxTokens) return undefined;
  }
  const added: Array<{ unit: Unit; before: Uint8Array; signatures: boolean }> = [];
  const startSignatures = signatures;
  for (const { unit } of ranked) {
    if (maxTokens - bestTokens < 8) break;
    let fresh = false;
    for (let l = unit.start; l <= unit.end; l++) if (!full[l]) fresh = true;
    if (!fresh) continue;
    const before = full.slice();
    for (let l = unit.start; l <= unit.end; l++) full[l] = 1;
    let tokens = estimate(render());
    if (tokens > maxTokens && signatures) {
      // opening a container shows every sibling's signature: try markers only instead
      signatures = false;
      tokens = estimate(render());
      if (tokens > maxTokens) signatures = true;
    }
    if (tokens <= maxTokens) {
      bestTokens = tokens;
      added.push({ unit, before, signatures });
    } else full.set(before);
  }
  // exact count: undo the last additions until the rendered text fits
  let body = render().join('\n');
  while (countTokens(body, family) > maxTokens) {
    const last = added.pop();
    if (!last) return undefined;
    full.set(last.before);
    signatures = added.at(-1)?.signatures ?? startSignatures;
    body = render().join('\n');
  }
  const kept = added.filter((a) => a.unit.name).map((a) => a.unit.name);
  return { body, shown: ranges(full, n), kept };
}

/** Ascending 1-based ranges of the lines set in `full`. */
function ranges(full: Uint8Array, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let l = 1; l <= n; l++) {
    if (!full[l]) continue;
    const start = l;
    while (l + 1 <= n && full[l + 1]) l++;
    out.push([start, l]);
  }
  return out;
}

/**
 * Renders the file: lines set in `full` verbatim; in each run of other lines, a symbol wholly in
 * the run becomes `signature … N lines` (with `signatures`; else it is counted into the run's
 * marker), a symbol that holds shown lines its signature alone (its shown parts follow), other
 * lines `… N lines`. Blank elided lines are dropped silently.
 */
function renderTrimmed(lines: string[], syms: CodeSymbol[], full: Uint8Array, signatures: boolean): string[] {
  const out: string[] = [];
  const startsAt = new Map<number, CodeSymbol[]>();
  for (const s of syms) startsAt.set(s.startLine, [...(startsAt.get(s.startLine) ?? []), s]);
  const hasFull = (a: number, b: number) => {
    for (let l = a; l <= b; l++) if (full[l]) return true;
    return false;
  };
  let pending = 0;
  let pendingIndent = '';
  const flush = () => {
    if (pending > 0) out.push(`${pendingIndent}${elisionMarker(pending)}`);
    pending = 0;
  };
  const n = lines.length;
  for (let l = 1; l <= n; ) {
    const line = lines[l - 1] ?? '';
    if (full[l]) {
      flush();
      out.push(line);
      l++;
      continue;
    }
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    const here = startsAt.get(l)?.[0];
    if (here && (signatures || hasFull(here.startLine, here.endLine))) {
      flush();
      if (!hasFull(here.startLine, here.endLine)) {
        out.push(`${indent}${here.signature} ${elisionMarker(here.endLine - here.startLine + 1)}`);
        l = here.endLine + 1;
      } else {
        out.push(`${indent}${here.signature}`);
        l++;
      }
      continue;
    }
    if (line.trim()) {
      if (pending === 0) pendingIndent = indent;
      pending++;
    }
    l++;
  }
  flush();
  return out;
}
