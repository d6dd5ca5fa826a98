import { KEPT_PREFIX, SECRET_PATTERNS } from './secret-patterns.js';

/**
 * The one redactor (DESIGN.md §9: "Secrets (API keys, tokens) are redacted from logs, records
 * and reports"). Secrets are replaced with {@link REDACTED} before anything is stored, printed,
 * sent to a model or committed: command output (the gate), error records and failure notes,
 * provider errors, prompts, every text/JSON value the SQLite store writes, reports, the CLI's
 * stdout/stderr, and commit messages.
 *
 * What counts as a secret:
 * - the value of every environment variable named by a model profile (`models.*.apiKeyEnv`),
 *   the providers' defaults (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`), or whose name matches
 *   {@link SECRET_ENV_NAME} (`*_KEY`, `*API_KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`,
 *   `*PASSWD*`, `*CREDENTIAL*`, case-insensitive), when at least {@link MIN_SECRET_LENGTH}
 *   characters long and not just a number;
 * - text in a known credential format ({@link SECRET_PATTERNS}: OpenAI, Anthropic, GitHub, AWS,
 *   Slack, Google keys, JWTs, bearer/basic credentials, PEM private key blocks).
 *
 * Cost: all of it is one precompiled regular expression, so text without a secret costs one
 * scan (`RegExp.test`) and no allocation; JSON values are redacted structurally only when that
 * scan finds something.
 */

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Environment variable names whose values count as secrets: `*_KEY` (e.g. `STRIPE_KEY`) plus
 * anything containing `API_KEY`/`APIKEY`, `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD`,
 * `CREDENTIAL(S)` or `PRIVATE_KEY`, case-insensitive.
 */
export const SECRET_ENV_NAME = /(?:_KEY$|API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|PRIVATE_KEY)/i;

/** Values shorter than this (characters) are not redacted: too likely to match ordinary text. */
export const MIN_SECRET_LENGTH = 8;

/** API key variables of the providers, redacted whatever their name (`llm/providers.ts`). */
export const DEFAULT_KEY_ENV_NAMES: readonly string[] = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY'];

/** Options of {@link Redactor}. */
export interface RedactorOptions {
  /** where secret values are read (default `process.env`) */
  env?: NodeJS.ProcessEnv;
  /** more variable names whose values are secrets whatever their name (a profile's `apiKeyEnv`) */
  names?: Iterable<string | undefined>;
}

/** Escapes a literal for use inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * The secret values of an environment: variables named in `names` or matching
 * {@link SECRET_ENV_NAME}, at least {@link MIN_SECRET_LENGTH} characters, trimmed of
 * surrounding whitespace, unique, longest first (so a value containing another is replaced whole).
 * A value that is only a number (`MAX_TOKENS=100000000`) is settings, not a credential, and is
 * skipped: redacting it would garble numbers in every output.
 * @param env the environment
 * @param names more variable names that hold secrets
 */
export function secretValues(env: NodeJS.ProcessEnv, names: Iterable<string | undefined> = []): string[] {
  const named = new Set<string>(DEFAULT_KEY_ENV_NAMES);
  for (const name of names) if (name) named.add(name);
  const values = new Set<string>();
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !(named.has(name) || SECRET_ENV_NAME.test(name))) continue;
    const value = raw.trim();
    if (value.length >= MIN_SECRET_LENGTH && !/^[+-]?\d+(\.\d+)?$/.test(value)) values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * Replaces secrets with {@link REDACTED}. Built once from an environment (the values are
 * precomputed into one regular expression); immutable afterwards.
 */
export class Redactor {
  /** the combined pattern, global, for replacing */
  readonly #all: RegExp;
  /** the same pattern without the global flag, for a stateless `test` */
  readonly #probe: RegExp;

  /**
   * @param options where secret values come from; see {@link RedactorOptions}
   */
  constructor(options: RedactorOptions = {}) {
    const literals: string[] = [];
    for (const value of secretValues(options.env ?? process.env, options.names ?? [])) {
      literals.push(escapeRegExp(value));
      // the same value inside JSON text (a quote, backslash or control character is escaped
      // there), so a scan of JSON text finds it too
      const inJson = JSON.stringify(value).slice(1, -1);
      if (inJson !== value) literals.push(escapeRegExp(inJson));
    }
    const [pem, ...formats] = SECRET_PATTERNS.map((p) => p.source);
    // the private key block first (it is the longest match), then the literal values (longest
    // first), then the other formats
    const source = [pem!, ...literals, ...formats].map((s) => `(?:${s})`).join('|');
    this.#all = new RegExp(source, 'g');
    this.#probe = new RegExp(source);
  }

  /**
   * Whether `text` holds a secret.
   * @param text any text, JSON text included
   */
  test(text: string): boolean {
    return this.#probe.test(text);
  }

  /**
   * `text` with every secret replaced by {@link REDACTED} (the `Authorization: Bearer ` /
   * `Bearer ` prefix of a credential is kept). Returns `text` itself when there is none.
   * For JSON text use {@link redactJsonText}: a replacement there could cut an escape sequence.
   * @param text any text
   */
  redact(text: string): string {
    if (!this.#probe.test(text)) return text;
    return text.replace(this.#all, (match) => {
      const kept = KEPT_PREFIX.exec(match);
      return kept ? `${kept[0]}${REDACTED}` : REDACTED;
    });
  }

  /**
   * A copy of `value` with every string (object keys included) redacted; the very same value
   * when nothing changed, so the no-secret path allocates nothing. Non-plain objects (class
   * instances, Buffers) are returned as they are.
   * @param value any JSON-like value
   */
  redactValue<T>(value: T): T {
    return this.#walk(value, 0) as T;
  }

  /**
   * A JSON value and its text, redacted: one scan of `text` when there is no secret (the same
   * value and text back); otherwise the value redacted with {@link redactValue} and serialised
   * again. When the new text still holds a secret (one spanning two strings, or nested deeper
   * than the walk goes), the whole value becomes the string {@link REDACTED}: the shape is lost,
   * the secret never kept.
   * @param value a JSON-serialisable value
   * @param text `JSON.stringify(value)`, when the caller has it already
   */
  redactJson<T>(value: T, text: string = JSON.stringify(value)): { value: T | string; text: string } {
    if (!this.#probe.test(text)) return { value, text };
    const clean = this.redactValue(value);
    const cleanText = JSON.stringify(clean);
    if (!this.#probe.test(cleanText)) return { value: clean, text: cleanText };
    return { value: REDACTED, text: JSON.stringify(REDACTED) };
  }

  /**
   * JSON text with every secret in its strings redacted, still valid JSON ({@link redactJson}).
   * @param text JSON text (`JSON.stringify` output)
   * @throws SyntaxError when `text` holds a secret and is not valid JSON
   */
  redactJsonText(text: string): string {
    if (!this.#probe.test(text)) return text;
    return this.redactJson(JSON.parse(text) as unknown, text).text;
  }

  /**
   * `JSON.stringify(value)`, redacted ({@link redactJson}); `null` for `undefined` (SQL NULL).
   * @param value any JSON-serialisable value
   */
  json(value: unknown): string | null {
    if (value === undefined) return null;
    return this.redactJson(value).text;
  }

  #walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redact(value);
    // deeper than any record taskgraph writes; a hostile nesting is cut off, not recursed into
    if (value === null || typeof value !== 'object' || depth > 256) return value;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const next = this.#walk(value[i], depth + 1);
        if (next !== value[i]) (out ??= value.slice())[i] = next;
      }
      return out ?? value;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    let out: Record<string, unknown> | undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entries[i]!;
      const nextKey = this.redact(key);
      const next = this.#walk(item, depth + 1);
      if (!out && (next !== item || nextKey !== key)) out = Object.fromEntries(entries.slice(0, i));
      if (out) out[nextKey] = next;
    }
    return out ?? value;
  }
}

let processRedactor: Redactor | undefined;
const processNames = new Set<string>();

/**
 * The process-wide redactor: secrets of `process.env` plus the names given to
 * {@link addSecretEnvNames}. Built at first use and cached; rebuilt after
 * {@link addSecretEnvNames} or {@link resetSecretRedactor}.
 */
export function secretRedactor(): Redactor {
  return (processRedactor ??= new Redactor({ env: process.env, names: processNames }));
}

/**
 * Declares more environment variables whose values are secrets whatever their names (the
 * `apiKeyEnv` of the project's model profiles). Called where a project's configuration is loaded.
 * @param names variable names; `undefined` entries are skipped
 */
export function addSecretEnvNames(names: Iterable<string | undefined>): void {
  let added = false;
  for (const name of names) {
    if (name && !processNames.has(name)) {
      processNames.add(name);
      added = true;
    }
  }
  if (added) processRedactor = undefined;
}

/** Drops the cached process-wide redactor, so the next use reads `process.env` again. */
export function resetSecretRedactor(): void {
  processRedactor = undefined;
}

/**
 * Replaces secrets in `text` with {@link REDACTED} (see the module comment for what a secret is).
 * @param text any text (not JSON text: see {@link Redactor.redactJsonText})
 * @param env environment to take secret values from; default: the process-wide redactor
 *   ({@link secretRedactor}: `process.env` plus the profiles' `apiKeyEnv` names)
 */
export function redactSecrets(text: string, env?: NodeJS.ProcessEnv): string {
  return (env ? new Redactor({ env }) : secretRedactor()).redact(text);
}
