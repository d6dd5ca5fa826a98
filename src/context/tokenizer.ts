import { createRequire } from 'node:module';
import { getEncodingNameForModel, Tiktoken, type TiktokenBPE, type TiktokenModel } from 'js-tiktoken/lite';

/**
 * Token counting for context budgets, with the BPE vocabularies of `js-tiktoken` (a JavaScript
 * port of OpenAI's tiktoken). The rank files ship inside the package (`js-tiktoken/ranks/*`), so
 * counting never touches the network. An encoder is built on first use of its family (about
 * 0.3 s for cl100k_base, 0.8 s for o200k_base) and kept for the life of the process.
 */

/** The BPE vocabularies taskgraph counts with. */
export const TOKENIZER_FAMILIES = ['o200k_base', 'cl100k_base'] as const;
/** One of {@link TOKENIZER_FAMILIES}. */
export type TokenizerFamily = (typeof TOKENIZER_FAMILIES)[number];

const require = createRequire(import.meta.url);
const encoders = new Map<TokenizerFamily, Tiktoken>();

/** The cached encoder of a family (built on first use from the ranks shipped in js-tiktoken). */
function encoder(family: TokenizerFamily): Tiktoken {
  let enc = encoders.get(family);
  if (!enc) {
    const ranks = require(`js-tiktoken/ranks/${family}`) as TiktokenBPE;
    enc = new Tiktoken(ranks);
    encoders.set(family, enc);
  }
  return enc;
}

/**
 * Runs of one character class that tiktoken would turn into a single pre-token. js-tiktoken
 * merges a pre-token's byte pairs in O(n²) (1,000 letters: ~75 ms; 20,000: ~27 s), so such runs
 * (minified code, base64 blobs, ASCII art) are counted in slices instead.
 */
const LONG_RUN = /[\p{L}\p{M}]{128,}|[^\s\p{L}\p{N}]{128,}|\s{128,}/gu;
/** Code points per slice of a long run. */
const RUN_SLICE = 64;

/**
 * Counts the tokens of `text` in a BPE vocabulary. Special-token strings such as
 * `<|endoftext|>` are counted as ordinary text (they are data here, never control tokens).
 *
 * Exact (the length of tiktoken's encoding) for ordinary text. A run of 128 or more characters
 * of one class (letters, punctuation or whitespace) is counted in slices of 64 code points;
 * that can only lose merges across slice edges, so for such text the count is slightly higher
 * than the exact one, never meaningfully lower.
 * @param text any string
 * @param family the vocabulary (see {@link tokenizerFamily})
 * @returns tokens (≥ 0)
 */
export function countTokens(text: string, family: TokenizerFamily): number {
  if (text.length === 0) return 0;
  const enc = encoder(family);
  LONG_RUN.lastIndex = 0;
  if (!LONG_RUN.test(text)) return enc.encode(text, [], []).length;
  let total = 0;
  let at = 0;
  LONG_RUN.lastIndex = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    if (m.index > at) total += enc.encode(text.slice(at, m.index), [], []).length;
    const points = Array.from(m[0]);
    for (let i = 0; i < points.length; i += RUN_SLICE) total += enc.encode(points.slice(i, i + RUN_SLICE).join(''), [], []).length;
    at = m.index + m[0].length;
  }
  if (at < text.length) total += enc.encode(text.slice(at), [], []).length;
  return total;
}

/** OpenAI models before gpt-4o: cl100k_base. */
const OPENAI_CL100K = /^(gpt-3\.5|gpt-35|gpt-4(?![o.])|text-embedding-(ada|3))/;

/**
 * The vocabulary to count a model profile's tokens with.
 *
 * - OpenAI: the model's own encoding, from js-tiktoken's model table when it knows the name,
 *   else by name: gpt-3.5 and gpt-4 (incl. gpt-4-turbo) → `cl100k_base`; gpt-4o, gpt-4.1,
 *   gpt-4.5, gpt-5, the o-series and any newer name → `o200k_base` (OpenAI's current
 *   encoding). An `openai-compatible` profile whose model is an OpenAI name (also as
 *   `openai/gpt-4o`, the OpenRouter spelling) is treated the same way.
 * - Anthropic: `cl100k_base` as an APPROXIMATION. Anthropic publishes no tokenizer for Claude 3
 *   and later: the README of its own `@anthropic-ai/tokenizer` package
 *   (github.com/anthropics/anthropic-tokenizer-typescript) says "As of the Claude 3 models, this
 *   algorithm is no longer accurate, but can be used as a very rough approximation", and the
 *   only exact count is the `messages/count_tokens` API (docs.anthropic.com, "Token counting"),
 *   a network call per count. Claude's tokenizer usually yields somewhat MORE tokens than
 *   cl100k_base for the same text, so leave headroom between the context budget and the
 *   model's window.
 * - Other `openai-compatible` models (Llama, Qwen, Mistral, DeepSeek, ...): `cl100k_base` as an
 *   APPROXIMATION. It is close for the families built on it: Llama 3's 128K vocabulary is
 *   tiktoken's 100K plus 28K extra tokens (Meta, "Introducing Meta Llama 3", 2024), and Qwen's
 *   151K vocabulary starts from cl100k_base (Qwen Technical Report, arXiv:2309.16609, §2.2).
 * - No profile: `cl100k_base`, which counts more tokens than o200k_base for the same code, so a
 *   budget counted with it is the safer one.
 * @param profile the model profile that will read the context (provider + model name)
 */
export function tokenizerFamily(profile: { provider: string; model: string } | undefined): TokenizerFamily {
  if (!profile) return 'cl100k_base';
  const model = profile.model.toLowerCase().replace(/^openai\//, '');
  const openaiName = profile.provider === 'openai' || /^(gpt-|o\d|chatgpt-|text-embedding-)/.test(model);
  if (!openaiName || profile.provider === 'anthropic') return 'cl100k_base';
  try {
    const name = getEncodingNameForModel(model as TiktokenModel);
    // gpt2/p50k/r50k-era models: cl100k_base is the nearest vocabulary we load
    return name === 'o200k_base' ? 'o200k_base' : 'cl100k_base';
  } catch {
    // not in js-tiktoken's table: decide by name below
  }
  return OPENAI_CL100K.test(model) ? 'cl100k_base' : 'o200k_base';
}

/**
 * A fast estimate of the tokens of lines joined with newlines, for choosing what to keep before
 * counting the result exactly: one BPE count per distinct line (memoised), plus one token per
 * line for its newline. Code-aware trimming (`code/trim-code.ts`) and diff trimming
 * (`diff-trim.ts`) call it many times over mostly the same lines.
 * @param family the vocabulary (see {@link tokenizerFamily})
 * @returns `estimate(lines)` → tokens (≥ lines.length)
 */
export function lineTokenEstimator(family: TokenizerFamily): (lines: readonly string[]) => number {
  const lineTokens = new Map<string, number>();
  return (lines) => {
    let sum = lines.length;
    for (const l of lines) {
      let t = lineTokens.get(l);
      if (t === undefined) lineTokens.set(l, (t = countTokens(l, family)));
      sum += t;
    }
    return sum;
  };
}
