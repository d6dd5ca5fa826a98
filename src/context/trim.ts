import { countTokens, type TokenizerFamily } from './tokenizer.js';

/**
 * Head + tail trimming, for text that is not parseable code (Markdown, data, summaries, files in
 * languages without a grammar). Parseable code is trimmed by symbols instead: `code/trim-code.ts`.
 */

/** Share of the kept tokens taken from the head of a trimmed text (the rest from the tail). */
const HEAD_SHARE = 0.6;
/** Below this many tokens a trimmed text is not worth keeping: {@link trimHeadTail} returns ''. */
export const MIN_TRIM_TOKENS = 24;

/** The explicit marker put where text was cut out. */
export function trimMarker(tokens: number): string {
  return `[... ${tokens} tokens trimmed ...]`;
}

/** Cuts `s` back to its last line break when that keeps at least half of it. */
function snapHead(s: string): string {
  const nl = s.lastIndexOf('\n');
  const cut = nl >= s.length * 0.5 ? s.slice(0, nl) : s;
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Starts `s` after its first line break when that keeps at least half of it. */
function snapTail(s: string): string {
  const nl = s.indexOf('\n');
  const cut = nl >= 0 && nl <= s.length * 0.5 ? s.slice(nl + 1) : s;
  return /^[\uDC00-\uDFFF]/.test(cut) ? cut.slice(1) : cut;
}

/**
 * Shortens `text` to at most `maxTokens` tokens, keeping its head (60%) and tail (40%) on line
 * boundaries where possible, joined by a line `[... N tokens trimmed ...]` (N = tokens cut out).
 * Sizes are found by counting: chars-per-token of the whole text gives a first guess, and the
 * guess is rescaled until the counted result fits (at most 8 rounds; the largest fitting one wins).
 * @param maxTokens tokens the result may have
 * @returns `text` itself when it fits; '' when `maxTokens` < {@link MIN_TRIM_TOKENS} or nothing fits
 */
export function trimHeadTail(text: string, maxTokens: number, family: TokenizerFamily): string {
  const total = countTokens(text, family);
  if (total <= maxTokens) return text;
  if (maxTokens < MIN_TRIM_TOKENS) return '';
  const charsPerToken = text.length / total;
  let keep = maxTokens - countTokens(`\n${trimMarker(total)}\n`, family);
  let best = '';
  let bestTokens = 0;
  for (let round = 0; round < 8 && keep > 0; round++) {
    const headChars = Math.floor(keep * HEAD_SHARE * charsPerToken);
    const tailChars = Math.floor(keep * (1 - HEAD_SHARE) * charsPerToken);
    if (headChars + tailChars >= text.length) {
      keep = Math.floor(keep * 0.9);
      continue;
    }
    const head = snapHead(text.slice(0, headChars)).trimEnd();
    const tail = snapTail(text.slice(text.length - tailChars));
    const cutOut = Math.max(1, total - countTokens(head, family) - countTokens(tail, family));
    const out = `${head}\n${trimMarker(cutOut)}\n${tail}`;
    const n = countTokens(out, family);
    if (n <= maxTokens && n > bestTokens) {
      best = out;
      bestTokens = n;
    }
    if (n <= maxTokens && n >= maxTokens * 0.97) break;
    keep = Math.floor(keep * (maxTokens / n) * (n > maxTokens ? 0.97 : 0.99));
  }
  return best;
}
