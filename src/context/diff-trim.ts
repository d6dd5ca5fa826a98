import MiniSearch from 'minisearch';
import { processQueryTerm, processTerm, tokenizeText } from './search-text.js';
import { countTokens, lineTokenEstimator, type TokenizerFamily } from './tokenizer.js';

/**
 * Code-aware trimming of one file's unified diff (a dependency's commit, `dependency-diff.ts`):
 * whole hunks are kept, ranked by relevance to the task — BM25 of the hunk's text against the
 * task query, with the identifier splitting of retrieval (`search-text.ts`) — and every hunk not
 * kept shows as one line, its own header with `(N lines elided)`. A hunk too large for the share
 * on its own (a new file is one hunk) is split into paragraphs (runs of lines between blank
 * lines, at most {@link PIECE_LINES} long) ranked the same way; the pieces kept get headers of
 * their own so line numbers stay right. Equal scores go to the earlier hunk. When even one marker
 * per hunk does not fit, each run of elided hunks is one `@@ … @@ (K hunks, N lines elided)` line.
 * Never a head + tail cut.
 */

/** Longest piece of a split hunk, in lines. */
const PIECE_LINES = 30;

/** One hunk: its header line, where it starts in the old and new file, its lines (with their ` `/`+`/`-` prefix). */
interface Hunk {
  header: string;
  /** the function context git prints after the second `@@` (may be '') */
  context: string;
  oldStart: number;
  newStart: number;
  lines: string[];
}

/** A unit the trimmer may keep: lines [from, to) of one hunk. */
interface Unit {
  hunk: number;
  from: number;
  to: number;
  text: string;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@ ?(.*)$/;

/** Splits a file's diff into the lines before the first hunk and its hunks. */
function parseDiff(diff: string): { head: string[]; hunks: Hunk[] } {
  const head: string[] = [];
  const hunks: Hunk[] = [];
  for (const line of diff.split('\n')) {
    const m = HUNK_HEADER.exec(line);
    if (m) hunks.push({ header: line, context: m[3] ?? '', oldStart: Number(m[1]), newStart: Number(m[2]), lines: [] });
    else if (hunks.length > 0) hunks[hunks.length - 1]!.lines.push(line);
    else head.push(line);
  }
  return { head, hunks };
}

/** Old and new line numbers and counts of lines [from, to) of a hunk, as a `@@ -a,b +c,d @@` range. */
function range(h: Hunk, from: number, to: number): string {
  const count = (a: number, b: number, side: '-' | '+') => {
    let n = 0;
    for (let i = a; i < b; i++) {
      const c = h.lines[i]![0];
      if (c !== '\\' && c !== (side === '-' ? '+' : '-')) n++;
    }
    return n;
  };
  // a side with no lines in the hunk gives the line before it (git's convention, `-0,0` for a new file)
  const side = (start: number, s: '-' | '+') => {
    const base = count(0, h.lines.length, s) > 0 ? start : start + 1;
    const n = count(from, to, s);
    return `${base + count(0, from, s) - (n === 0 ? 1 : 0)},${n}`;
  };
  return `@@ -${side(h.oldStart, '-')} +${side(h.newStart, '+')} @@`;
}

/** The marker line for `n` elided lines. */
function elided(n: number): string {
  return `(${n} line${n === 1 ? '' : 's'} elided)`;
}

/**
 * Renders the diff with the units set in `kept`: whole hunks as they are, split hunks as their
 * kept pieces under headers of their own, the rest as markers (one per elided stretch of a hunk
 * when `detailed`, else one per run of elided stretches).
 */
function render(head: readonly string[], hunks: readonly Hunk[], units: readonly Unit[], kept: Uint8Array, detailed: boolean): string[] {
  const out = [...head];
  let run = { hunks: 0, lines: 0 };
  const flush = () => {
    if (run.lines > 0) out.push(`@@ … @@ (${run.hunks > 1 ? `${run.hunks} hunks, ` : ''}${elided(run.lines).slice(1)}`);
    run = { hunks: 0, lines: 0 };
  };
  const byHunk = new Map<number, number[]>();
  units.forEach((u, i) => byHunk.set(u.hunk, [...(byHunk.get(u.hunk) ?? []), i]));
  hunks.forEach((h, k) => {
    const ids = byHunk.get(k) ?? [];
    const all = ids.every((i) => kept[i]);
    if (all) {
      flush();
      out.push(h.header, ...h.lines);
      return;
    }
    // stretches of the hunk: kept pieces, merged when adjacent, and elided runs between them
    let i = 0;
    while (i < ids.length) {
      const on = kept[ids[i]!] === 1;
      let j = i;
      while (j + 1 < ids.length && (kept[ids[j + 1]!] === 1) === on) j++;
      const from = units[ids[i]!]!.from;
      const to = units[ids[j]!]!.to;
      if (on) {
        flush();
        out.push(range(h, from, to), ...h.lines.slice(from, to));
      } else if (detailed) {
        const whole = from === 0 && to === h.lines.length;
        out.push(`${whole ? h.header.replace(/^(@@ [^@]*@@).*$/, '$1') : range(h, from, to)} ${elided(to - from)}${whole && h.context ? ` ${h.context}` : ''}`);
      } else {
        run.hunks += from === 0 ? 1 : 0;
        run.lines += to - from;
      }
      i = j + 1;
    }
  });
  flush();
  return out;
}

/** Splits lines [0, n) of a hunk into paragraphs: breaks after a blank line, at most PIECE_LINES each. */
function pieces(h: Hunk): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = 0;
  for (let i = 0; i < h.lines.length; i++) {
    const blank = h.lines[i]!.slice(1).trim() === '';
    if (i + 1 === h.lines.length || (blank && i > from) || i + 1 - from >= PIECE_LINES) {
      out.push([from, i + 1]);
      from = i + 1;
    }
  }
  return out;
}

/**
 * Trims one file's unified diff (`diff --git` header through its last hunk) to at most
 * `maxTokens` tokens, keeping the hunks most relevant to `query` whole.
 * @param diff the file's part of `git show --patch`
 * @param query the task's text (title, description, files: `taskQuery` in search-text.ts)
 * @returns the diff itself when it fits; undefined when not even its header lines and the
 *   markers fit `maxTokens`
 */
export function trimDiff(diff: string, query: string, maxTokens: number, family: TokenizerFamily): string | undefined {
  if (countTokens(diff, family) <= maxTokens) return diff;
  const { head, hunks } = parseDiff(diff);
  const headTokens = countTokens(head.join('\n'), family);
  const units: Unit[] = [];
  hunks.forEach((h, k) => {
    const text = [h.header, ...h.lines].join('\n');
    const split = countTokens(text, family) + headTokens > maxTokens ? pieces(h) : [[0, h.lines.length] as [number, number]];
    for (const [from, to] of split) units.push({ hunk: k, from, to, text: `${h.context}\n${h.lines.slice(from, to).map((l) => l.slice(1)).join('\n')}` });
  });

  const search = new MiniSearch<{ id: number; text: string }>({ fields: ['text'], tokenize: tokenizeText, processTerm, searchOptions: { tokenize: tokenizeText, processTerm: processQueryTerm } });
  search.addAll(units.map((u, id) => ({ id, text: u.text })));
  const score = new Map(search.search(query, { prefix: (t) => t.length >= 5 }).map((r) => [r.id as number, r.score]));
  const order = units.map((_, i) => i).sort((a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0) || a - b);

  const estimate = lineTokenEstimator(family);
  const kept = new Uint8Array(units.length);
  let detailed = true;
  let tokens = estimate(render(head, hunks, units, kept, detailed));
  if (tokens > maxTokens) {
    detailed = false;
    tokens = estimate(render(head, hunks, units, kept, detailed));
    if (tokens > maxTokens) return undefined;
  }
  const added: number[] = [];
  for (const i of order) {
    if (maxTokens - tokens < 8) break;
    kept[i] = 1;
    const next = estimate(render(head, hunks, units, kept, detailed));
    if (next <= maxTokens) {
      tokens = next;
      added.push(i);
    } else kept[i] = 0;
  }
  // exact count: undo the last additions until the rendered text fits
  let body = render(head, hunks, units, kept, detailed).join('\n');
  while (countTokens(body, family) > maxTokens) {
    const last = added.pop();
    if (last === undefined) return undefined;
    kept[last] = 0;
    body = render(head, hunks, units, kept, detailed).join('\n');
  }
  return body;
}
