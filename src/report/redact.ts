/**
 * Redacting secrets from text written to disk (DESIGN.md §9: "Secrets (API keys, tokens) are
 * redacted from logs, records and reports").
 */

/** Environment variable names whose values count as secrets. */
export const SECRET_ENV_NAME = /(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|PRIVATE_KEY)/i;

/** Values shorter than this are not redacted (too likely to match ordinary text). */
export const MIN_SECRET_LENGTH = 8;

/**
 * Replaces secrets in `text` with `[redacted]`:
 * - the value of every environment variable whose name matches {@link SECRET_ENV_NAME} and is at
 *   least {@link MIN_SECRET_LENGTH} characters long (longest first, so a value containing
 *   another is replaced whole);
 * - the credential after `Authorization: Bearer` / `Basic`.
 * @param text any text
 * @param env environment to take secret values from (default `process.env`)
 */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const values = Object.entries(env)
    .filter(([name, value]) => SECRET_ENV_NAME.test(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const value of values) out = out.split(value).join('[redacted]');
  return out.replace(/(authorization:\s*(?:bearer|basic)\s+)[^\s'"]+/gi, '$1[redacted]');
}
