import type { GithubTrackerSchema } from '../core/tracker-config.js';
import type { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { formatIssueRef, issueLinkText, type Issue, type IssueRef, type Tracker, type TrackerWrite } from './tracker.js';
import { credential, trackerRequest, type TrackerHttpOptions } from './tracker-http.js';

/**
 * GitHub Issues over REST (docs.github.com/en/rest/issues, API version 2022-11-28):
 * `GET /repos/{owner}/{repo}/issues/{issue_number}`, `POST .../issues/{issue_number}/comments`
 * with `{ body }`, and `PATCH .../issues/{issue_number}` with `{ state: 'closed', state_reason:
 * 'completed' }`. The token (a personal access token or an app installation token) is read from
 * the variable `tokenEnv` at each request and sent as `Authorization: Bearer`. `baseUrl` is
 * `https://api.github.com`, GitHub Enterprise Server's `https://HOST/api/v3`, or a test's server.
 */

type GithubConfig = z.infer<typeof GithubTrackerSchema>;

interface GithubIssue {
  number?: number;
  title?: string;
  body?: string | null;
  state?: string;
  html_url?: string;
  labels?: Array<string | { name?: string }>;
}

/** The GitHub implementation of {@link Tracker}. */
export class GithubTracker implements Tracker {
  readonly name = 'github' as const;

  /**
   * @param config `trackers.github`
   * @param http timeouts, retries, signal (and a `fetch` for tests)
   * @param env where the token is read (default `process.env`)
   */
  constructor(
    private readonly config: GithubConfig,
    private readonly http: TrackerHttpOptions = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private async request(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<unknown> {
    const token = credential(this.config.tokenEnv, 'the GitHub token', this.env);
    const headers = {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'taskgraph',
    };
    const response = await trackerRequest({ method, url: `${this.config.baseUrl}${path}`, path, headers, tracker: 'github', ...(body !== undefined ? { body } : {}) }, this.http);
    return response.json;
  }

  private path(ref: IssueRef): string {
    if (ref.tracker !== 'github') throw new TaskgraphError('CONFIG_INVALID', `${formatIssueRef(ref)} is not a GitHub issue`);
    return `/repos/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/issues/${ref.number}`;
  }

  /** GET the issue. Errors: see {@link Tracker.getIssue}. */
  async getIssue(ref: IssueRef): Promise<Issue> {
    return toIssue(ref, (await this.request('GET', this.path(ref))) as GithubIssue);
  }

  /** POST a comment (Markdown). */
  async comment(ref: IssueRef, text: string): Promise<TrackerWrite> {
    const made = (await this.request('POST', `${this.path(ref)}/comments`, { body: text })) as { html_url?: string } | undefined;
    return { ref: formatIssueRef(ref), url: typeof made?.html_url === 'string' ? made.html_url : '', changed: true };
  }

  /** PATCH `state: closed` (reason `completed`) unless the issue is closed already. */
  async close(ref: IssueRef): Promise<TrackerWrite> {
    const issue = await this.getIssue(ref);
    if (issue.state === 'closed') return { ref: issue.ref, url: issue.url, changed: false };
    const closed = toIssue(ref, (await this.request('PATCH', this.path(ref), { state: 'closed', state_reason: 'completed' })) as GithubIssue);
    return { ref: closed.ref, url: closed.url, changed: true };
  }

  /** `Closes owner/repo#123` ({@link issueLinkText}). */
  linkText(ref: IssueRef): string {
    return issueLinkText(ref);
  }
}

function toIssue(ref: IssueRef, raw: GithubIssue | undefined): Issue {
  if (!raw || typeof raw.title !== 'string') {
    throw new TaskgraphError('TRACKER_FAILED', `github: the answer for ${formatIssueRef(ref)} is not an issue`, { details: { tracker: 'github' } });
  }
  const labels = (raw.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== '');
  const state = raw.state === 'closed' ? 'closed' : 'open';
  return { ref: formatIssueRef(ref), title: raw.title, body: raw.body ?? '', labels, state, status: raw.state ?? state, url: raw.html_url ?? '' };
}
