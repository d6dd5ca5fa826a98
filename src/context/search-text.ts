import type { Task } from '../core/task.js';

/**
 * Text analysis for BM25 retrieval (minisearch): how file text, paths and task text become
 * terms. Identifiers are split into words (`addRefund` → `add`, `refund`, plus `addrefund`;
 * `sales_report` → `sales`, `report`), terms are lower-cased, stop words dropped and plurals
 * folded with the S-stemmer (Harman, "How effective is suffixing?", JASIS 42(1), 1991).
 */

/** English function words and keywords common to most languages: they carry no topic. */
const STOP_WORDS = new Set(
  `a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its
  me my no not of on or our she so than that the their them then there these they this those to too was we were what
  when where which who why will with would you your also all any each more most other some such only own same just
  should very via per
  const let var function return export import default from async await new class interface type enum extends implements
  public private protected static readonly void null undefined true false string number boolean object any unknown never
  def self none pass elif else try except finally raise lambda yield func package struct impl pub fn mut use mod crate
  err nil go if for while switch case break continue throw throws catch`.split(/\s+/).filter(Boolean),
);

/**
 * Words of a task text that name no topic: "do something" verbs, the boilerplate of failure
 * notes, and path parts every file shares (`src`, extensions). Dropped from queries only.
 */
const QUERY_NOISE = new Set(
  `add adds added adding make makes implement implements support supports fix fixes fixed allow allows let lets ensure
  create update change new use using should must need needs task write test tests work done way
  attempt note failed expected got src ts tsx js jsx mjs py go rs md json index`.split(/\s+/).filter(Boolean),
);

/**
 * S-stemmer (Harman 1991): `-ies` → `-y` (not after e/a), `-es` → `-e` (not after a/e/o),
 * `-s` → `` (not after u/s). Conservative: it only folds plurals.
 */
export function sStem(word: string): string {
  if (word.length > 4 && word.endsWith('ies') && !/[ea]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('es') && !/[aeo]es$/.test(word)) return word.slice(0, -1);
  if (word.length > 3 && word.endsWith('s') && !/[us]s$/.test(word)) return word.slice(0, -1);
  return word;
}

/**
 * Where an identifier splits into words: lower case or digit → upper case (`addRefund`,
 * `NewV7`), an acronym → a capitalised word of at least two lower-case letters (`HTMLParser` →
 * `HTML` `Parser`; `UUIDs` stays whole), and an acronym → a version suffix of one lower-case letter and
 * digits (`UUIDv7` → `UUID` `v7`, `IPv6` → `IP` `v6`).
 */
const CAMEL_SPLIT = /(?<=[\p{Ll}\p{N}])(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll}{2})|(?<=\p{Lu})(?=\p{Ll}\p{N})/u;

/**
 * Splits text into raw words: runs of letters/digits, identifiers also split at camelCase humps
 * (the whole identifier is kept too, for exact symbol matches).
 */
export function tokenizeText(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/[^\p{L}\p{N}]+/u)) {
    if (!word) continue;
    const parts = word.split(CAMEL_SPLIT);
    if (parts.length > 1) out.push(word);
    for (const p of parts) out.push(p);
  }
  return out;
}

/** Normalizes one word into an index term, or null to drop it (stop word, number, 1 letter). */
export function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  if (t.length < 2 || t.length > 40 || STOP_WORDS.has(t) || /^\d+$/.test(t)) return null;
  return sStem(t);
}

/** Like {@link processTerm}, and also drops task verbs that name no topic ("add", "fix"). */
export function processQueryTerm(term: string): string | null {
  const t = processTerm(term);
  return t === null || QUERY_NOISE.has(t) ? null : t;
}

/**
 * The retrieval query of a task: title (twice, it is the densest statement of intent),
 * description, acceptance criteria, named files and notes from earlier attempts.
 */
export function taskQuery(task: Task): string {
  return [task.title, task.title, task.description, ...task.acceptance, ...task.files, ...task.notes].join('\n');
}
