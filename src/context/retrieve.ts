import type { Task } from '../core/task.js';
import { codeLanguage } from './code/parse.js';
import { trimCode } from './code/trim-code.js';
import { sourceKey, type ContextIndex, type Passage } from './context-index.js';
import { fenceLanguage } from './render.js';
import type { Candidate } from './sources.js';
import type { TokenizerFamily } from './tokenizer.js';
import type { ItemOrigin } from './types.js';
import { companionLookup } from './test-pairs.js';

/**
 * Tier 8, retrieval (issue 9): fills what the budget has left by relevance, with no fixed cap
 * on passages. Every indexed source (a repository file, a configured doc, an earlier task's
 * output) is scored by BM25+ over its passages (best passage, plus half the second and a quarter
 * of the third: a file relevant in several places ranks above one lucky chunk). Sources scoring
 * below {@link RELEVANCE_CUTOFF} of the best are left out: the budget is not spent on weak hits.
 * Each code source is followed by its test companion (or the file a test tests, `test-pairs.ts`),
 * which takes the same share. In score order: a file that fits its share of the budget
 * ({@link fileShare}: larger for the best-ranked files) is a candidate whole; a larger parseable
 * file is trimmed code-aware to its share when allocated (`code/trim-code.ts`: relevant symbols
 * whole, the rest as signatures); a larger file without a grammar (or whose outline of signatures
 * alone exceeds its share) gives its best passages, up to its share. Documentation (Markdown,
 * reStructuredText, changelogs, `docs/`, configured docs) is its own source with at most
 * {@link DOCS_SHARE} of the budget: when the task is about docs ({@link isAboutDocs}) it comes
 * first; otherwise it follows the code: configured docs within their share, the repository's doc
 * files adding at most {@link DOCS_SHARE} of the tokens the code took (a changelog matches most
 * words; it must not outweigh the code it describes). Candidates
 * stop once their estimated tokens exceed the budget (the allocation cannot use more).
 */

/** Share of the budget a retrieved file past the best three may take before it is trimmed (tokens ÷ budget); see {@link fileShare}. */
export const RETRIEVAL_FILE_SHARE = 0.15;
/** Share of the budget documentation may take (ahead of code when the task is about docs); otherwise also its largest ratio to the code retrieved. */
export const DOCS_SHARE = 0.25;
/**
 * Relevance cut-off (ratio of scores): a code source scoring below this share of the best code
 * source is left out, a doc below this share of the best source of either kind; the budget is
 * then left unspent rather than filled with weak hits. Chosen on `taskgraph context eval` over
 * three repositories (TypeScript, Python, Go; bench/README.md): 0.1 cost recall on a small Go
 * repository whose package name is in every file, 0.05 kept recall while raising precision.
 */
export const RELEVANCE_CUTOFF = 0.05;
/** Share of the budget the best-ranked file may take before it is trimmed (tokens ÷ budget); see {@link fileShare}. */
export const TOP_FILE_SHARE = 0.6;

/**
 * Share of the budget a retrieved file may take before it is trimmed, by its rank among the
 * code sources (0 = best): {@link TOP_FILE_SHARE} ÷ (rank + 1), never below
 * {@link RETRIEVAL_FILE_SHARE} (0.6, 0.3, 0.2, then 0.15 for the rest). A relevant file that fits
 * is given whole; the best ones may be large (a fixture, a whole module) without every weak
 * hit taking as much.
 */
export function fileShare(rank: number): number {
  return Math.max(RETRIEVAL_FILE_SHARE, TOP_FILE_SHARE / (rank + 1));
}
/** Rough characters per token, to estimate sizes before counting (counting every file would be slow). */
const CHARS_PER_TOKEN = 3.5;

/** Documentation by path: Markdown, reStructuredText, AsciiDoc, text, changelogs, files under a docs folder. */
export function isDocPath(path: string): boolean {
  return /\.(md|mdx|markdown|rst|adoc|txt)$/i.test(path) || /(^|\/)(docs?|documentation)\//i.test(path) || /(^|\/)(CHANGELOG|CHANGES|HISTORY|NEWS)([._-]|$)/i.test(path);
}

/**
 * Whether a task is about documentation: its title, description or acceptance criteria name
 * README, docs, documentation or a changelog, or its `files` name a documentation path.
 */
export function isAboutDocs(task: Pick<Task, 'title' | 'description' | 'acceptance' | 'files'>): boolean {
  const text = [task.title, task.description, ...task.acceptance].join('\n');
  return /\b(readme|docs?|documentation|documented|document|changelog|changes\.rst)\b/i.test(text) || task.files.some(isDocPath);
}

/** Options of {@link retrievalCandidates}. */
export interface RetrievalOptions {
  budget: number;
  family: TokenizerFamily;
  /** the task query (`taskQuery`), also used to rank symbols when a file is trimmed */
  query: string;
  /** whether docs rank ahead of code with their share ({@link isAboutDocs}) */
  aboutDocs: boolean;
  /** keeps a passage when true (excludes, files already in the bundle) */
  allow: (p: Passage) => boolean;
}

interface Source {
  key: string;
  /** the repository path of a file source */
  path?: string;
  /** the source whose test (or tested file) this one is, when pulled in by {@link companionLookup} */
  pairedWith?: string;
  kind: Passage['kind'];
  doc: boolean;
  score: number;
  /** allowed passages that matched, best first */
  hits: Array<{ passage: Passage; score: number; terms: string[] }>;
}

/**
 * The tier 8 candidates, in allocation order (see module doc). Deterministic: ties in score go
 * to the source key in code-unit order, then to the earlier passage.
 */
export function retrievalCandidates(index: ContextIndex, opts: RetrievalOptions): Candidate[] {
  const results = index.passageSearch.search(opts.query, {
    boost: { path: 2 },
    prefix: (term) => term.length >= 5,
    filter: (r) => {
      const p = index.passages[r.id as number];
      return p !== undefined && opts.allow(p);
    },
  });
  const sources = new Map<string, Source>();
  for (const r of results) {
    const passage = index.passages[r.id as number] as Passage;
    const key = sourceKey(passage);
    const s = sources.get(key) ?? { key, ...(passage.kind === 'file' ? { path: passage.path } : {}), kind: passage.kind, doc: passage.kind === 'doc' || (passage.kind === 'file' && isDocPath(passage.path ?? '')), score: 0, hits: [] };
    s.hits.push({ passage, score: r.score, terms: r.queryTerms });
    sources.set(key, s);
  }
  for (const s of sources.values()) {
    s.hits.sort((a, b) => b.score - a.score || a.passage.start - b.passage.start);
    s.score = (s.hits[0]?.score ?? 0) + 0.5 * (s.hits[1]?.score ?? 0) + 0.25 * (s.hits[2]?.score ?? 0);
  }
  const ranked = [...sources.values()].sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const relevant = (list: Source[], top = list[0]?.score ?? 0) => list.filter((s) => s.score >= RELEVANCE_CUTOFF * top);
  const code = withCompanions(index, relevant(ranked.filter((s) => !s.doc)), sources, opts.allow);
  // docs must stand against the best code too: a changelog that merely mentions the words is left out
  const docs = relevant(ranked.filter((s) => s.doc), ranked[0]?.score ?? 0);

  const out: Candidate[] = [];
  /** Adds sources in order while their estimates stay within `limit`; `strict`: a source that would overshoot is skipped (else the last one may). */
  const take = (list: Source[], limit: number, maxShare: number, strict: boolean): number => {
    let est = 0;
    let rank = 0;
    let share = fileShare(0);
    for (const s of list) {
      if (est >= limit) break;
      // a companion takes the share of the file that pulled it in
      if (!s.pairedWith) share = Math.min(maxShare, fileShare(rank++));
      const added: Candidate[] = [];
      const cost = addSource(index, s, added, share, opts);
      if (strict && est + cost > limit) continue;
      out.push(...added);
      est += cost;
    }
    return est;
  };
  const docsLimit = Math.floor(opts.budget * DOCS_SHARE);
  if (opts.aboutDocs) take(docs, docsLimit, DOCS_SHARE, false);
  const codeTokens = take(code, opts.budget, 1, false);
  if (!opts.aboutDocs) {
    // configured docs (the `docs:` globs: asked for) within their share; then the repository's doc
    // files, at most DOCS_SHARE of what the code took (one that would overshoot is skipped)
    const configured = take(docs.filter((s) => s.kind === 'doc'), docsLimit, DOCS_SHARE, false);
    take(docs.filter((s) => s.kind !== 'doc'), Math.min(docsLimit - configured, Math.floor(codeTokens * DOCS_SHARE)), DOCS_SHARE, true);
  }
  return out;
}

/**
 * The ranked code sources with each one's test companion (or tested file, `test-pairs.ts`) right
 * after it, when the index has it, it is no noise and `allow` lets it in: moved up when it ranks
 * lower, pulled in (with no hits of its own) when it did not match at all.
 */
function withCompanions(index: ContextIndex, ranked: Source[], all: Map<string, Source>, allow: (p: Passage) => boolean): Source[] {
  const companion = companionLookup([...index.files.keys()].filter((p) => !index.noise.has(p) && !isDocPath(p)));
  const firstPassage = new Map<string, Passage>();
  for (const p of index.passages) if (p.kind === 'file' && p.path !== undefined && !firstPassage.has(p.path)) firstPassage.set(p.path, p);
  const placed = new Set<string>();
  const out: Source[] = [];
  for (const s of ranked) {
    if (placed.has(s.key)) continue;
    out.push(s);
    placed.add(s.key);
    const path = s.path && companion(s.path);
    if (!path || placed.has(`file:${path}`)) continue;
    const first = firstPassage.get(path);
    if (!first || !allow(first)) continue;
    const known = all.get(`file:${path}`);
    const c: Source = { ...(known ?? { key: `file:${path}`, path, kind: 'file', doc: false, score: 0, hits: [] }), pairedWith: s.key };
    out.push(c);
    placed.add(c.key);
  }
  return out;
}

/** Adds one source's candidates; returns their estimated tokens (at most `share` for a file). */
function addSource(index: ContextIndex, s: Source, out: Candidate[], shareOfBudget: number, opts: RetrievalOptions): number {
  const share = Math.floor(opts.budget * shareOfBudget);
  const best = s.hits[0];
  if (!best && !s.pairedWith) return 0;
  const paired = s.pairedWith ? ` (paired with ${s.pairedWith.replace(/^file:/, '')})` : '';
  const why = (score: number, terms: string[], what: string) =>
    terms.length > 0 ? `tier 8: BM25 ${score.toFixed(2)} for ${terms.slice(0, 8).join(', ')}${what}${paired}` : `tier 8: test/source companion of ${s.pairedWith?.replace(/^file:/, '') ?? '?'}${what}`;
  const terms = [...new Set(s.hits.flatMap((h) => h.terms))];
  if (s.kind === 'file') {
    const path = s.path ?? '';
    const text = index.files.get(path)?.text;
    if (text !== undefined) {
      const lines = Math.max(1, text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
      const est = Math.ceil(text.length / CHARS_PER_TOKEN);
      // parseable code too large for its share is trimmed by symbols, unless even its outline of signatures is too large (then: passages)
      const parseable = codeLanguage(path) !== undefined && (est <= share || trimCode(path, text, opts.query, share, opts.family) !== undefined);
      if (est <= share || parseable) {
        out.push({
          source: 'retrieval',
          title: path,
          heading: `Retrieved: ${path}`,
          body: text,
          fence: fenceLanguage(path),
          why: why(s.score, terms, est <= share ? ', whole file' : ''),
          origin: { path, lines: [1, lines] },
          ...(parseable ? { trimCode: (maxTokens: number) => trimCode(path, text, opts.query, maxTokens, opts.family) } : {}),
          share: shareOfBudget,
        });
        return Math.min(est, share);
      }
    }
  }
  // passages: outputs, configured docs, and files too large for their share without a grammar
  let est = 0;
  for (const h of s.hits) {
    if (est >= share) break;
    const p = h.passage;
    const where = p.kind === 'output' ? `output of task ${p.taskId ?? '?'}, lines ${p.start}-${p.end}` : `${p.path ?? '?'}:${p.start}-${p.end}`;
    const origin: ItemOrigin = p.kind === 'output' ? { taskId: p.taskId ?? '', lines: [p.start, p.end] } : { path: p.path ?? '', lines: [p.start, p.end], ...(p.url ? { url: p.url } : {}) };
    out.push({
      source: 'retrieval',
      title: where,
      heading: `Retrieved${p.kind === 'doc' ? ' doc' : ''}: ${where}`,
      body: p.text,
      fence: p.kind === 'output' ? '' : fenceLanguage(p.path ?? ''),
      why: why(h.score, h.terms, ''),
      origin,
    });
    est += Math.ceil(p.text.length / CHARS_PER_TOKEN);
    // earlier outputs: the two best passages, as before
    if (p.kind === 'output' && out.filter((c) => c.title.startsWith(`output of task ${p.taskId ?? '?'},`)).length >= 2) break;
  }
  return est;
}
