import MiniSearch from 'minisearch';
import { BINARY_FILE, LOCK_FILE, noiseFiles } from './file-filter.js';
import { ensureParsers } from './code/parse.js';
import { extractSymbols, type SymbolInfo } from './symbols.js';
import { processQueryTerm, processTerm, tokenizeText } from './search-text.js';

/**
 * The searchable index behind tiers 7 and 8: every readable text file of the repository (with
 * its exported symbols), split into passages of about 40 lines, plus earlier task outputs and
 * configured docs, in two minisearch indexes (BM25+ scoring: Lv & Zhai, "Lower-bounding term
 * frequency normalization", CIKM 2011, as implemented by minisearch). Build it once per
 * worktree state and pass it to every assembly that reads the same files.
 */

/** A readable repository file. */
export interface IndexedFile {
  path: string;
  text: string;
  /** number of lines */
  lines: number;
  symbols: SymbolInfo[];
}

/** A retrievable passage. */
export interface Passage {
  /** position in {@link ContextIndex.passages} */
  id: number;
  kind: 'file' | 'output' | 'doc';
  /** repository path (file) or doc path */
  path?: string;
  /** earlier output's task id */
  taskId?: string;
  url?: string;
  /** 1-based inclusive lines of the source */
  start: number;
  end: number;
  text: string;
}

/** See module doc. */
export interface ContextIndex {
  files: Map<string, IndexedFile>;
  /** repository files left out of the index, with why (binary, too large, lock file, unreadable) */
  skipped: Array<{ path: string; reason: string }>;
  /**
   * readable files (in `files`) that are noise (`file-filter.ts`: generated or vendored by
   * `.gitattributes`, lock, minified, a copy of another file), path → why: left out of the map
   * and retrieval, still read when a task or pin names them
   */
  noise: Map<string, string>;
  passages: Passage[];
  /** over passages: fields `path` (path words or `task <id>`) and `text` */
  passageSearch: MiniSearch<{ id: number; path: string; text: string }>;
  /** over files: fields `path` and `symbols` (the map's ranking) */
  fileSearch: MiniSearch<{ id: string; path: string; symbols: string }>;
}

/** Inputs of {@link buildContextIndex}. */
export interface IndexSources {
  repoFiles: string[];
  readFile(path: string): Promise<string>;
  docs?: Array<{ path: string; text: string; url?: string }>;
  earlierOutputs?: Array<{ taskId: string; text: string }>;
  /** target lines per passage (default 40) */
  chunkLines?: number;
  /** paths `.gitattributes` marks generated or vendored (`file-filter.ts` `markedGenerated`); absent: none */
  marked?(paths: string[]): Promise<Set<string>>;
}

/** Files larger than this (characters) are not indexed: generated or data files. */
export const MAX_INDEXED_CHARS = 256 * 1024;
/** The `skipped` reason of a lock file: read only when a task or pin names it. */
export const LOCK_SKIP = 'lock file (read only when named)';
/** Files read at once while indexing. */
const READ_CONCURRENCY = 32;

const searchOptions = { tokenize: tokenizeText, processTerm: processQueryTerm } as const;

/**
 * Reads and indexes the repository files, docs and earlier outputs.
 * Unreadable, binary (a NUL in the text), lock and oversized files are skipped and listed; noise
 * (`file-filter.ts`) is read but kept out of the passages and the file search.
 */
export async function buildContextIndex(src: IndexSources): Promise<ContextIndex> {
  await ensureParsers();
  const chunkLines = src.chunkLines ?? 40;
  const files = new Map<string, IndexedFile>();
  const skipped: ContextIndex['skipped'] = [];
  const paths = [...new Set(src.repoFiles)].sort();
  for (let i = 0; i < paths.length; i += READ_CONCURRENCY) {
    const batch = paths.slice(i, i + READ_CONCURRENCY);
    const texts = await Promise.all(
      batch.map(async (path) => {
        if (BINARY_FILE.test(path)) return { path, skip: 'binary file type' };
        // lock files are large and never worth searching: not read here (a task or pin naming one reads it)
        if (LOCK_FILE.test(path)) return { path, skip: LOCK_SKIP };
        try {
          const text = await src.readFile(path);
          if (text.length > MAX_INDEXED_CHARS) return { path, skip: `larger than ${MAX_INDEXED_CHARS} characters` };
          if (text.includes('\u0000')) return { path, skip: 'binary (contains NUL)' };
          return { path, text };
        } catch (err) {
          return { path, skip: `unreadable: ${err instanceof Error ? err.message : String(err)}` };
        }
      }),
    );
    for (const r of texts) {
      if ('skip' in r) skipped.push({ path: r.path, reason: r.skip ?? '' });
      else files.set(r.path, { path: r.path, text: r.text, lines: countLines(r.text), symbols: extractSymbols(r.path, r.text) });
    }
  }

  const marked = src.marked ? await src.marked([...files.keys()]) : new Set<string>();
  const noise = noiseFiles([...files.values()], marked);
  const passages: Passage[] = [];
  for (const f of files.values()) {
    if (noise.has(f.path)) continue;
    for (const c of chunkText(f.text, chunkLines)) passages.push({ id: passages.length, kind: 'file', path: f.path, ...c });
  }
  for (const d of src.docs ?? []) {
    for (const c of chunkText(d.text, chunkLines)) passages.push({ id: passages.length, kind: 'doc', path: d.path, ...(d.url ? { url: d.url } : {}), ...c });
  }
  for (const o of src.earlierOutputs ?? []) {
    for (const c of chunkText(o.text, chunkLines)) passages.push({ id: passages.length, kind: 'output', taskId: o.taskId, ...c });
  }

  const passageSearch = new MiniSearch<{ id: number; path: string; text: string }>({
    fields: ['path', 'text'],
    tokenize: tokenizeText,
    processTerm,
    searchOptions,
  });
  passageSearch.addAll(passages.map((p) => ({ id: p.id, path: p.path ?? `task ${p.taskId ?? ''}`, text: p.text })));

  const fileSearch = new MiniSearch<{ id: string; path: string; symbols: string }>({
    fields: ['path', 'symbols'],
    tokenize: tokenizeText,
    processTerm,
    searchOptions,
  });
  fileSearch.addAll([...files.values()].filter((f) => !noise.has(f.path)).map((f) => ({ id: f.path, path: f.path, symbols: f.symbols.map((s) => s.signature).join('\n') })));

  return { files, skipped, noise, passages, passageSearch, fileSearch };
}

function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < text.length - 1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Splits text into passages of about `target` lines: a passage ends at the blank line nearest to
 * `target` within ±20% of it, else at exactly `target` lines. Blank-only passages are dropped.
 * @returns 1-based inclusive line ranges with their text
 */
export function chunkText(text: string, target: number): Array<{ start: number; end: number; text: string }> {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: Array<{ start: number; end: number; text: string }> = [];
  const slack = Math.max(1, Math.floor(target * 0.2));
  let at = 0;
  while (at < lines.length) {
    let end = Math.min(lines.length, at + target);
    if (end < lines.length) {
      for (let d = 0; d <= slack; d++) {
        if (lines[at + target + d]?.trim() === '' && at + target + d < lines.length) {
          end = at + target + d + 1;
          break;
        }
        if (d > 0 && lines[at + target - d]?.trim() === '') {
          end = at + target - d + 1;
          break;
        }
      }
    }
    const body = lines.slice(at, end).join('\n');
    if (body.trim()) out.push({ start: at + 1, end, text: body });
    at = end;
  }
  return out;
}

/** A scored passage. */
export interface PassageHit {
  passage: Passage;
  score: number;
  /** query terms that matched */
  terms: string[];
}

/**
 * Top passages for a query (BM25+ over path and text; the path counts double), at most
 * `perFile` from one source, ties broken by path and line so results are stable.
 * @param allow keeps a passage when true (excludes, files already in the bundle)
 */
export function searchPassages(index: ContextIndex, query: string, k: number, perFile: number, allow: (p: Passage) => boolean): PassageHit[] {
  const results = index.passageSearch.search(query, {
    boost: { path: 2 },
    prefix: (term) => term.length >= 5,
    filter: (r) => {
      const p = index.passages[r.id as number];
      return p !== undefined && allow(p);
    },
  });
  const hits = results
    .map((r) => ({ passage: index.passages[r.id as number] as Passage, score: r.score, terms: r.queryTerms }))
    .sort((a, b) => b.score - a.score || compareText(sourceKey(a.passage), sourceKey(b.passage)) || a.passage.start - b.passage.start);
  const perSource = new Map<string, number>();
  const out: PassageHit[] = [];
  for (const h of hits) {
    if (out.length >= k) break;
    const key = sourceKey(h.passage);
    const n = perSource.get(key) ?? 0;
    if (n >= perFile) continue;
    perSource.set(key, n + 1);
    out.push(h);
  }
  return out;
}

/** Code-unit order: locale-independent, so rankings are the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A passage's source: `file:path`, `doc:path` or `output:taskId`. */
export function sourceKey(p: Passage): string {
  return p.kind === 'output' ? `output:${p.taskId ?? ''}` : `${p.kind}:${p.path ?? ''}`;
}

/**
 * Repository files ranked by BM25+ relevance of their path and exported symbols to the query;
 * files with no match follow in path order (score 0). Noise files are never listed.
 * @param allow keeps a file when true
 */
export function rankFiles(index: ContextIndex, query: string, allow: (path: string) => boolean): Array<{ file: IndexedFile; score: number }> {
  const scored = index.fileSearch
    .search(query, { boost: { path: 1.5 }, prefix: (term) => term.length >= 5, filter: (r) => allow(r.id as string) })
    .map((r) => ({ file: index.files.get(r.id as string) as IndexedFile, score: r.score }))
    .sort((a, b) => b.score - a.score || compareText(a.file.path, b.file.path));
  const seen = new Set(scored.map((s) => s.file.path));
  const rest = [...index.files.values()].filter((f) => !seen.has(f.path) && !index.noise.has(f.path) && allow(f.path)).map((file) => ({ file, score: 0 }));
  return [...scored, ...rest];
}
