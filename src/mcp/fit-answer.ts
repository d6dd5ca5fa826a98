import { countTokens } from '../context/tokenizer.js';
import { TaskgraphError } from '../core/errors.js';

/** The most tokens (o200k_base) any MCP answer may have: every tool result and resource is fitted under it. */
export const ANSWER_TOKEN_CAP = 8_000;
/** What {@link fitAnswer} aims at, leaving room for the result envelope. */
const TARGET = 7_500;

/** Tokens of `text` in o200k_base, the vocabulary the issue counts MCP answers with. */
export function answerTokens(text: string): number {
  return countTokens(text, 'o200k_base');
}

/**
 * Clips a JSON value: strings longer than `chars` keep their head and say how much was cut, arrays
 * longer than `items` keep their first items and end with a `"… N more"` string.
 */
function clip(value: unknown, chars: number, items: number): unknown {
  if (typeof value === 'string') return value.length <= chars ? value : `${value.slice(0, chars)}… [${value.length - chars} more chars]`;
  if (Array.isArray(value)) {
    const kept = value.slice(0, items).map((v) => clip(v, chars, items));
    return value.length > items ? [...kept, `… ${value.length - items} more`] : kept;
  }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clip(v, chars, items)]));
  return value;
}

/**
 * Serialises `value` as JSON (2-space indent when small, compact otherwise) and guarantees the
 * text is under {@link ANSWER_TOKEN_CAP} tokens (o200k_base): when it is not, long strings and
 * arrays are clipped, tighter each round (strings to 4,000 then 2,000, 1,000 ... characters,
 * arrays to 200, 100, 50 ... items), and a top-level `truncated: true` is added to objects.
 * @returns the JSON text to send
 */
export function fitAnswer(value: unknown): string {
  let text = JSON.stringify(value);
  if (answerTokens(text) <= TARGET) return text;
  for (let chars = 4_000, items = 200; ; chars = Math.floor(chars / 2), items = Math.max(1, Math.floor(items / 2))) {
    let clipped = clip(value, chars, items);
    if (clipped !== null && typeof clipped === 'object' && !Array.isArray(clipped)) clipped = { ...clipped, truncated: true };
    text = JSON.stringify(clipped);
    if (answerTokens(text) <= TARGET || (chars <= 16 && items <= 1)) return text;
  }
}

/**
 * One page of `rows`: at most `limit` rows from the offset the cursor names, shrunk further
 * until the page's JSON (with `extra`) fits in {@link TARGET} tokens.
 * @param cursor an offset from a previous page's `nextCursor` (a decimal string); undefined: 0
 * @returns the page's rows, the total and `nextCursor` (absent on the last page)
 * @throws TaskgraphError CONFIG_INVALID when the cursor is not a non-negative integer
 */
export function pageOf<T>(rows: readonly T[], cursor: string | undefined, limit: number, extra: Record<string, unknown> = {}): { total: number; rows: T[]; nextCursor?: string } & Record<string, unknown> {
  const start = cursor === undefined ? 0 : Number(cursor);
  if (!Number.isInteger(start) || start < 0) throw new TaskgraphError('CONFIG_INVALID', `bad cursor "${cursor}"`, { hint: 'pass the nextCursor of the previous page, or no cursor for the first' });
  let n = Math.max(1, limit);
  for (;;) {
    const slice = rows.slice(start, start + n);
    const end = start + slice.length;
    const page = { ...extra, total: rows.length, rows: slice, ...(end < rows.length ? { nextCursor: String(end) } : {}) };
    if (n === 1 || answerTokens(JSON.stringify(page)) <= TARGET) return page;
    n = Math.max(1, Math.floor(n / 2));
  }
}

/**
 * Plain text (a Markdown report) cut to under {@link ANSWER_TOKEN_CAP} tokens: its head, then a
 * line saying how many characters were left out.
 */
export function fitText(text: string): string {
  let keep = text.length;
  while (answerTokens(text.slice(0, keep)) > TARGET) keep = Math.floor(keep * 0.8);
  return keep === text.length ? text : `${text.slice(0, keep)}\n\n… [${text.length - keep} more chars cut; the full text is in .taskgraph/]`;
}
