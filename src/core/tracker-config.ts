import { z } from 'zod';

/**
 * `trackers:` in taskgraph.yaml (issue 16 `issue`): where the issue trackers are and which
 * environment variables hold their credentials. Only variable *names* are written in the file
 * (it is committed); the values are read when a request is made, join the secret names of the
 * redactor (`cli/wiring.ts`) and are never recorded, logged or put in an error.
 *
 * ```yaml
 * trackers:
 *   comment: true                    # `do --issue` comments the run's report summary when the run finishes
 *   github: { tokenEnv: GITHUB_TOKEN, baseUrl: https://api.github.com }
 *   jira: { baseUrl: https://acme.atlassian.net, emailEnv: JIRA_EMAIL, tokenEnv: JIRA_API_TOKEN, apiVersion: 2 }
 * ```
 */

/** An environment variable name (the same rule as config.ts `EnvNameSchema`; kept here so this file imports nothing of config.ts). */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, e.g. GITHUB_TOKEN (never the token itself: it is a secret)');

const HttpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

/** `trackers.github`: GitHub Issues over REST (api.github.com, or GitHub Enterprise's `https://HOST/api/v3`). */
export const GithubTrackerSchema = z
  .object({
    /** the REST API root; default `https://api.github.com` (GitHub Enterprise Server: `https://HOST/api/v3`) */
    baseUrl: HttpUrl.default('https://api.github.com'),
    /** the variable holding the token sent as `Authorization: Bearer`; default GITHUB_TOKEN */
    tokenEnv: EnvName.default('GITHUB_TOKEN'),
  })
  .strict();

/** `trackers.jira`: Jira over REST (`/rest/api/{2|3}`), basic auth with an account email and an API token. */
export const JiraTrackerSchema = z
  .object({
    /** the site, e.g. `https://acme.atlassian.net` (no `/rest/...`) */
    baseUrl: HttpUrl,
    /** the variable holding the account's email (basic auth user); default JIRA_EMAIL */
    emailEnv: EnvName.default('JIRA_EMAIL'),
    /** the variable holding the API token (basic auth password); default JIRA_API_TOKEN */
    tokenEnv: EnvName.default('JIRA_API_TOKEN'),
    /** REST API version: 2 (plain-text bodies) or 3 (Atlassian Document Format bodies); default 2 */
    apiVersion: z.union([z.literal(2), z.literal(3)]).default(2),
    /** the transition that closes an issue, by name; default: the first whose target status is in the `done` category */
    doneTransition: z.string().min(1).optional(),
  })
  .strict();

/** The whole `trackers:` section (see the module comment). */
export const TrackersSchema = z
  .object({
    /** comment the run's report summary on the issue of `do --issue` when the run finishes (as `--comment`); default false */
    comment: z.boolean().default(false),
    github: GithubTrackerSchema.default({ baseUrl: 'https://api.github.com', tokenEnv: 'GITHUB_TOKEN' }),
    jira: JiraTrackerSchema.optional(),
    /** ms each request may take; default 15,000 */
    timeoutMs: z.number().int().positive().max(120_000).default(15_000),
    /** tries after the first on 429/5xx/timeouts/network errors; default 3 */
    retries: z.number().int().min(0).max(10).default(3),
  })
  .strict();

/** A parsed `trackers:` section. */
export type TrackersConfig = z.infer<typeof TrackersSchema>;

/** `trackers:` with every default, for a project whose taskgraph.yaml has none. */
export function defaultTrackers(): TrackersConfig {
  return TrackersSchema.parse({});
}

/**
 * The environment variables that hold tracker credentials: secrets for the redactor whatever
 * their names (`cli/wiring.ts` passes them to `addSecretEnvNames`, as it does the model profiles' `apiKeyEnv`).
 * @param trackers the parsed section (absent: the defaults, GITHUB_TOKEN)
 */
export function trackerSecretEnvNames(trackers: TrackersConfig | undefined): string[] {
  const config = trackers ?? defaultTrackers();
  return [config.github.tokenEnv, ...(config.jira ? [config.jira.tokenEnv] : [])];
}
