/**
 * Known formats of credentials, as regular-expression sources, for the redactor
 * (`redact.ts`). Each is taken from, or loosened from, a rule of gitleaks' default configuration
 * (https://github.com/gitleaks/gitleaks, `config/gitleaks.toml`, generated from
 * `cmd/generate/config/rules/*.go`); the rule ids are named below. A redactor may over-match (a
 * few harmless characters become `[redacted]`) but must not under-match, so where gitleaks pins
 * an exact length or a checksum-like infix (OpenAI's `T3BlbkFJ`, Anthropic's trailing `AA`) the
 * pattern here asks only for a minimum length.
 */

/** One known credential format. */
export interface SecretPattern {
  /** a stable name (the gitleaks rule id it comes from, where there is one) */
  id: string;
  /** the regular-expression source (no flags; combined into one global regex by the redactor) */
  source: string;
}

/** Characters of a bearer token: `b64token` of RFC 6750 §2.1. */
const B64TOKEN = '[A-Za-z0-9._~+/-]';

/**
 * The known credential formats, in the order they are tried at one position.
 * - `private-key`: PEM private key blocks (`-----BEGIN … PRIVATE KEY-----` to the matching END
 *   line; a block cut off before its END line is redacted through the base64 body that
 *   follows). From gitleaks `private-key`.
 * - `openai-api-key` / `anthropic-api-key`: `sk-…`, `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`,
 *   `sk-ant-api03-…`, `sk-ant-admin01-…`: `sk-` and 20 or more of `[A-Za-z0-9_-]`. Loosened
 *   from gitleaks `openai-api-key` (which requires the `T3BlbkFJ` infix) and `anthropic-api-key`
 *   (`sk-ant-api03-` + 93 characters + `AA`).
 * - `github-pat`, `github-oauth`, `github-app-token`, `github-refresh-token`: `ghp_`, `gho_`,
 *   `ghu_`, `ghs_`, `ghr_` and 36 or more alphanumerics (gitleaks: exactly 36);
 *   `github-fine-grained-pat`: `github_pat_` and 22 or more word characters (gitleaks: 82).
 * - `aws-access-token`: `AKIA`/`ASIA`/`ABIA`/`ACCA`/`A3T?` and 16 of `[A-Z2-7]` (gitleaks, as is).
 * - `slack-token`: `xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxs-`, `xoxr-`, `xoxe-` and 10 or more of
 *   `[A-Za-z0-9-]` (gitleaks `slack-bot-token`, `slack-user-token`, … loosened to one rule).
 * - `gcp-api-key`: `AIza` and 35 of `[A-Za-z0-9_-]` (gitleaks, as is).
 * - `jwt`: three base64url segments, the first two starting `eyJ` (gitleaks `jwt`).
 * - `authorization-header`: the credential after `Authorization: Bearer|Basic|Token` (HTTP
 *   `Authorization` header, RFC 9110 §11.6.2), whatever it looks like; the header and scheme are
 *   kept.
 * - `bearer-token`: `Bearer`/`Basic` followed by an RFC 6750 `b64token` of 8 or more characters
 *   containing a digit (so prose such as "Bearer authentication" is left alone); the scheme is
 *   kept. (A private key block written with `\n` escapes, as in JSON, is matched too.) As gitleaks `curl-auth-header`, without the `curl -H` context.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'private-key',
    source:
      '-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\\s\\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\\s\\\\]*)',
  },
  { id: 'openai-anthropic-api-key', source: '\\bsk-[A-Za-z0-9_-]{20,}' },
  { id: 'github-token', source: '\\bgh[pousr]_[A-Za-z0-9]{36,}' },
  { id: 'github-fine-grained-pat', source: '\\bgithub_pat_[A-Za-z0-9_]{22,}' },
  { id: 'aws-access-token', source: '\\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\\b' },
  { id: 'slack-token', source: '\\bxox[abposre]-[A-Za-z0-9-]{10,}' },
  { id: 'gcp-api-key', source: '\\bAIza[A-Za-z0-9_-]{35}' },
  { id: 'jwt', source: '\\beyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}' },
  { id: 'authorization-header', source: `(?:[Aa]uthorization|AUTHORIZATION):[ \\t]*(?:[Bb]earer|[Bb]asic|[Tt]oken|BEARER|BASIC)[ \\t]+[^\\s'"\\\\]+` },
  { id: 'bearer-token', source: `\\b(?:[Bb]earer|[Bb]asic|BEARER|BASIC)[ \\t]+(?=${B64TOKEN}*?[0-9])${B64TOKEN}{8,}=*` },
];

/**
 * The part of a match that is kept: the header name and scheme of `authorization-header` and
 * `bearer-token` matches (`Authorization: Bearer `), so a reader still sees what was there.
 */
export const KEPT_PREFIX = /^(?:(?:authorization):[ \t]*)?(?:bearer|basic|token)[ \t]+/i;
