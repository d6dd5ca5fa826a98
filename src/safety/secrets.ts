import { KEPT_PREFIX, SECRET_PATTERNS } from '../security/secret-patterns.js';

/**
 * Secrets in a diff (issue 11 "Secrets"): added lines that look like a credential flag the edit
 * for approval. Two detectors:
 * - known credential formats: the gitleaks-derived {@link SECRET_PATTERNS} the redactor uses
 *   (`security/secret-patterns.ts`: OpenAI/Anthropic `sk-…`, GitHub, AWS, Slack, Google keys,
 *   JWTs, bearer credentials, PEM private keys);
 * - high-entropy strings, after Yelp detect-secrets' `HighEntropyString` plugins
 *   (https://github.com/Yelp/detect-secrets, `detect_secrets/plugins/high_entropy_strings.py`):
 *   a quoted string (or the value of a `NAME=value` assignment) made only of base64 characters
 *   whose Shannon entropy exceeds {@link BASE64_ENTROPY_LIMIT} (4.5, the plugin's default
 *   `base64_limit`), or only of hex digits above {@link HEX_ENTROPY_LIMIT} (3.0, its
 *   `hex_limit`; an all-digit string has its entropy reduced as the plugin does). Strings shorter
 *   than {@link MIN_ENTROPY_LENGTH} are ignored (short strings cannot reach these limits reliably
 *   and are ordinary identifiers).
 * Pure and deterministic.
 */

/** detect-secrets `Base64HighEntropyString` default limit, bits per character. */
export const BASE64_ENTROPY_LIMIT = 4.5;
/** detect-secrets `HexHighEntropyString` default limit, bits per character. */
export const HEX_ENTROPY_LIMIT = 3.0;
/** Shortest string the entropy check looks at, characters. */
export const MIN_ENTROPY_LENGTH = 20;

/** One added line of a diff. */
export interface AddedLine {
  /** repository-relative file */
  path: string;
  /** 1-based line number in the new file */
  line: number;
  text: string;
}

/** A string that looks like a secret. */
export interface SecretFinding {
  path: string;
  line: number;
  /** the pattern id (`openai-anthropic-api-key`, …) or `high-entropy-base64` / `high-entropy-hex` */
  rule: string;
  /** the first 4 characters and the length, never the secret itself: `sk-a… (51 chars)` */
  preview: string;
}

const KNOWN = SECRET_PATTERNS.map((p) => ({ id: p.id, regex: new RegExp(p.source) }));
const QUOTED = /(["'`])([^"'`\s]{20,})\1/g;
const ASSIGNED = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*[=:]\s*([^\s"'`#]{20,})\s*$/;
const BASE64 = /^[A-Za-z0-9+/=_-]+$/;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Shannon entropy of a string, bits per character: −Σ p·log2(p) over its characters'
 * frequencies (C. E. Shannon, "A Mathematical Theory of Communication", 1948).
 */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let entropy = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** The high-entropy rule a candidate string breaks, or undefined. */
export function entropyRule(candidate: string): 'high-entropy-base64' | 'high-entropy-hex' | undefined {
  if (candidate.length < MIN_ENTROPY_LENGTH) return undefined;
  if (HEX.test(candidate)) {
    let entropy = shannonEntropy(candidate);
    // detect-secrets: an all-digit string is likely a number, not a key
    if (/^\d+$/.test(candidate)) entropy -= 1.2 / Math.log2(candidate.length);
    return entropy > HEX_ENTROPY_LIMIT ? 'high-entropy-hex' : undefined;
  }
  if (BASE64.test(candidate) && shannonEntropy(candidate) > BASE64_ENTROPY_LIMIT) return 'high-entropy-base64';
  return undefined;
}

/**
 * The secrets among added lines: at most one finding per line (a known format first, then the
 * entropy check over quoted strings and assignment values).
 */
export function findSecrets(lines: readonly AddedLine[]): SecretFinding[] {
  const found: SecretFinding[] = [];
  for (const { path, line, text } of lines) {
    const hit = knownHit(text) ?? entropyHit(text);
    if (hit) found.push({ path, line, rule: hit.rule, preview: `${hit.value.slice(0, 4)}… (${hit.value.length} chars)` });
  }
  return found;
}

/**
 * The first known-format hit. The redactor's header patterns over-match on purpose (it must not
 * under-match); for approvals a header credential that is a placeholder (`<key>`, `${token}`,
 * `{{token}}`, a backtick-quoted example) or shorter than 8 characters is not a secret.
 */
function knownHit(text: string): { rule: string; value: string } | undefined {
  for (const { id, regex } of KNOWN) {
    const m = regex.exec(text);
    if (!m) continue;
    const credential = m[0].replace(KEPT_PREFIX, '');
    if ((id === 'authorization-header' || id === 'bearer-token') && (credential.length < 8 || /[<`]|\$\{|\{\{/.test(credential))) continue;
    return { rule: id, value: m[0] };
  }
  return undefined;
}

function entropyHit(text: string): { rule: string; value: string } | undefined {
  const candidates = [...text.matchAll(QUOTED)].map((m) => m[2]!);
  const assigned = ASSIGNED.exec(text)?.[1];
  if (assigned) candidates.push(assigned);
  for (const value of candidates) {
    const rule = entropyRule(value);
    if (rule) return { rule, value };
  }
  return undefined;
}
