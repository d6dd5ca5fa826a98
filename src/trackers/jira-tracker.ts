import type { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { JiraTrackerSchema } from '../core/tracker-config.js';
import { formatIssueRef, issueLinkText, type Issue, type IssueRef, type Tracker, type TrackerWrite } from './tracker.js';
import { credential, trackerRequest, type TrackerHttpOptions } from './tracker-http.js';

/**
 * Jira over REST (developer.atlassian.com/cloud/jira/platform/rest/v2 and v3, "Issues" and
 * "Issue comments"): `GET /rest/api/{2|3}/issue/{key}`, `POST .../issue/{key}/comment`, and for
 * closing `GET .../issue/{key}/transitions` then `POST .../issue/{key}/transitions` with
 * `{ transition: { id } }` — the transition named `doneTransition`, else the first whose target
 * status is in the `done` status category. Basic auth: the account email (`emailEnv`) and an API
 * token (`tokenEnv`), read at each request. API v2 takes and returns plain text; v3 uses the
 * Atlassian Document Format (ADF), turned into text here ({@link adfText}) and built for comments
 * ({@link adfDocument}).
 */

type JiraConfig = z.infer<typeof JiraTrackerSchema>;

interface JiraStatus {
  name?: string;
  statusCategory?: { key?: string };
}

interface JiraIssue {
  key?: string;
  fields?: { summary?: string; description?: unknown; labels?: unknown[]; status?: JiraStatus };
}

interface JiraTransition {
  id?: string;
  name?: string;
  to?: JiraStatus;
}

/** The Jira implementation of {@link Tracker}. */
export class JiraTracker implements Tracker {
  readonly name = 'jira' as const;

  /**
   * @param config `trackers.jira`
   * @param http timeouts, retries, signal (and a `fetch` for tests)
   * @param env where the email and token are read (default `process.env`)
   */
  constructor(
    private readonly config: JiraConfig,
    private readonly http: TrackerHttpOptions = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const email = credential(this.config.emailEnv, 'the Jira account email', this.env);
    const token = credential(this.config.tokenEnv, 'the Jira API token', this.env);
    const headers = { authorization: `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}` };
    const response = await trackerRequest({ method, url: `${this.config.baseUrl}${path}`, path, headers, tracker: 'jira', ...(body !== undefined ? { body } : {}) }, this.http);
    return response.json;
  }

  private path(ref: IssueRef): string {
    if (ref.tracker !== 'jira') throw new TaskgraphError('CONFIG_INVALID', `${formatIssueRef(ref)} is not a Jira issue`);
    return `/rest/api/${this.config.apiVersion}/issue/${encodeURIComponent(ref.key)}`;
  }

  private browse(ref: IssueRef & { tracker: 'jira' }): string {
    return `${this.config.baseUrl}/browse/${ref.key}`;
  }

  /** GET the issue's summary, description, labels and status. Errors: see {@link Tracker.getIssue}. */
  async getIssue(ref: IssueRef): Promise<Issue> {
    const raw = (await this.request('GET', `${this.path(ref)}?fields=summary,description,labels,status`)) as JiraIssue | undefined;
    const fields = raw?.fields;
    if (!fields || typeof fields.summary !== 'string') {
      throw new TaskgraphError('TRACKER_FAILED', `jira: the answer for ${formatIssueRef(ref)} is not an issue`, { details: { tracker: 'jira' } });
    }
    const description = typeof fields.description === 'string' ? fields.description : adfText(fields.description);
    return {
      ref: formatIssueRef(ref),
      title: fields.summary,
      body: description,
      labels: (fields.labels ?? []).filter((l): l is string => typeof l === 'string'),
      state: fields.status?.statusCategory?.key === 'done' ? 'closed' : 'open',
      status: fields.status?.name ?? '',
      url: this.browse(ref as IssueRef & { tracker: 'jira' }),
    };
  }

  /** POST a comment: plain text on API v2, an ADF document of its paragraphs on v3. */
  async comment(ref: IssueRef, text: string): Promise<TrackerWrite> {
    const body = this.config.apiVersion === 3 ? adfDocument(text) : text;
    await this.request('POST', `${this.path(ref)}/comment`, { body });
    return { ref: formatIssueRef(ref), url: this.browse(ref as IssueRef & { tracker: 'jira' }), changed: true };
  }

  /**
   * Transitions the issue to a done status, unless its status is in the done category already.
   * @throws TaskgraphError TRACKER_FAILED when no transition of the issue leads to a done status
   *   (or none is named `doneTransition`); the message lists the transitions there are
   */
  async close(ref: IssueRef): Promise<TrackerWrite> {
    const issue = await this.getIssue(ref);
    if (issue.state === 'closed') return { ref: issue.ref, url: issue.url, changed: false };
    const listed = (await this.request('GET', `${this.path(ref)}/transitions`)) as { transitions?: JiraTransition[] } | undefined;
    const transitions = listed?.transitions ?? [];
    const wanted = this.config.doneTransition?.toLowerCase();
    const done = wanted !== undefined ? transitions.find((t) => t.name?.toLowerCase() === wanted || t.to?.name?.toLowerCase() === wanted) : transitions.find((t) => t.to?.statusCategory?.key === 'done');
    if (!done?.id) {
      throw new TaskgraphError('TRACKER_FAILED', `jira: ${issue.ref} has no transition to ${wanted !== undefined ? `"${this.config.doneTransition}"` : 'a done status'} (it has: ${transitions.map((t) => t.name ?? '?').join(', ') || 'none'})`, {
        details: { tracker: 'jira', transitions: transitions.map((t) => t.name ?? '') },
        hint: 'set trackers.jira.doneTransition to the name of the transition that closes an issue in this workflow',
      });
    }
    await this.request('POST', `${this.path(ref)}/transitions`, { transition: { id: done.id } });
    return { ref: issue.ref, url: issue.url, changed: true };
  }

  /** `Resolves PROJ-12` ({@link issueLinkText}). */
  linkText(ref: IssueRef): string {
    return issueLinkText(ref);
  }
}

/**
 * The text of an Atlassian Document Format node (developer.atlassian.com/cloud/jira/platform/
 * apis/document/structure): `text` nodes' text, `hardBreak` as a newline, block nodes
 * (paragraph, heading, listItem, codeBlock, ...) ended by a newline; anything else contributes
 * its children's text. Not ADF (null, a number): ''.
 * @param node an ADF node, usually `{ type: 'doc', content: [...] }`
 */
export function adfText(node: unknown): string {
  const blocks = new Set(['paragraph', 'heading', 'listItem', 'codeBlock', 'blockquote', 'rule', 'tableRow', 'panel']);
  const walk = (n: unknown, depth: number): string => {
    if (depth > 64 || !n || typeof n !== 'object') return '';
    const { type, text, content } = n as { type?: unknown; text?: unknown; content?: unknown };
    if (type === 'text' && typeof text === 'string') return text;
    if (type === 'hardBreak') return '\n';
    const inner = Array.isArray(content) ? content.map((c) => walk(c, depth + 1)).join('') : '';
    if (type === 'listItem') return `- ${inner.trim()}\n`;
    return typeof type === 'string' && blocks.has(type) ? `${inner.replace(/\n+$/, '')}\n` : inner;
  };
  return walk(node, 0).replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * `text` as an ADF document: one paragraph per block of lines separated by an empty line, lines
 * within a block joined by `hardBreak`s (API v3 comment bodies).
 * @param text plain text
 */
export function adfDocument(text: string): { type: 'doc'; version: 1; content: unknown[] } {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+$/, ''))
    .filter((p) => p.trim() !== '');
  return {
    type: 'doc',
    version: 1,
    content: paragraphs.map((p) => ({
      type: 'paragraph',
      content: p.split('\n').flatMap((line, i) => [...(i > 0 ? [{ type: 'hardBreak' }] : []), ...(line !== '' ? [{ type: 'text', text: line }] : [])]),
    })),
  };
}
