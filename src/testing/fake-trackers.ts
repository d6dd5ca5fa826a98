import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Loopback fakes of the GitHub Issues and Jira REST APIs (issue 16 `issue`), for tests: one
 * `node:http` server on 127.0.0.1 that answers the paths the trackers use with the payloads of the
 * official documentation's examples (docs.github.com/en/rest/issues/issues#get-an-issue,
 * .../issues/comments#create-an-issue-comment, .../issues/issues#update-an-issue;
 * developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues "Get issue", "Get
 * transitions", "Transition issue", .../api-group-issue-comments "Add comment"), trimmed to the
 * fields that matter, and keeps issue state so a close is visible on the next read.
 * `failNext` makes the next requests answer a status first (503 to test retries, 429 ...).
 */

/** A request the fake received. */
export interface FakeTrackerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** the parsed JSON body, undefined when there was none */
  json: unknown;
}

/** A running fake. */
export interface FakeTrackers {
  /** `http://127.0.0.1:PORT` (GitHub under `/`, Jira under `/jira`) */
  url: string;
  requests: FakeTrackerRequest[];
  /** GitHub issues by `owner/repo#n`: title, body, labels, state */
  github: Map<string, { title: string; body: string | null; labels: string[]; state: 'open' | 'closed' }>;
  /** Jira issues by key: summary, description (string for v2, ADF for v3), labels, status category */
  jira: Map<string, { summary: string; description: unknown; labels: string[]; status: 'To Do' | 'Done' }>;
  /** answer the next `count` requests with `status` (and a Retry-After of 0 s) before serving them */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

/** Starts the fake on an ephemeral port with GitHub's documented example issue (octocat/Hello-World#1347) and Jira's (ED-1). */
export async function startFakeTrackers(): Promise<FakeTrackers> {
  const requests: FakeTrackerRequest[] = [];
  const github: FakeTrackers['github'] = new Map([['octocat/Hello-World#1347', { title: 'Found a bug', body: "I'm having a problem with this.", labels: ['bug'], state: 'open' }]]);
  const jira: FakeTrackers['jira'] = new Map([['ED-1', { summary: 'Bug in the login form', description: 'Main order flow broken', labels: ['bugfix', 'blitz_test'], status: 'To Do' }]]);
  let failing: { status: number; count: number } | undefined;
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      const url = new URL(req.url ?? '/', base);
      const method = req.method ?? 'GET';
      requests.push({ method, path: url.pathname + url.search, headers: req.headers, json });
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
        res.end(body !== undefined ? JSON.stringify(body) : undefined);
      };
      if (failing && failing.count > 0) {
        failing.count--;
        return send(failing.status, { message: 'Service Unavailable' }, { 'retry-after': '0' });
      }
      const gh = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)(\/comments)?$/.exec(url.pathname);
      if (gh) {
        if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) return send(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
        const id = `${gh[1]}/${gh[2]}#${gh[3]}`;
        const issue = github.get(id);
        if (!issue) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/issues/issues#get-an-issue' });
        const html = `https://github.com/${gh[1]}/${gh[2]}/issues/${gh[3]}`;
        if (gh[4] && method === 'POST') {
          const body = (json as { body?: unknown } | undefined)?.body;
          if (typeof body !== 'string') return send(422, { message: 'Validation Failed' });
          return send(201, { id: 1, node_id: 'MDEyOklzc3VlQ29tbWVudDE=', html_url: `${html}#issuecomment-1`, body, user: { login: 'octocat' }, created_at: '2011-04-14T16:00:49Z' });
        }
        if (method === 'PATCH') {
          const state = (json as { state?: unknown } | undefined)?.state;
          if (state === 'closed' || state === 'open') issue.state = state;
        } else if (method !== 'GET') return send(404, { message: 'Not Found' });
        return send(200, {
          id: 1,
          node_id: 'MDU6SXNzdWUx',
          url: `${base}/repos/${gh[1]}/${gh[2]}/issues/${gh[3]}`,
          html_url: html,
          number: Number(gh[3]),
          state: issue.state,
          title: issue.title,
          body: issue.body,
          user: { login: 'octocat', id: 1 },
          labels: issue.labels.map((name, i) => ({ id: 208045946 + i, node_id: 'MDU6TGFiZWwyMDgwNDU5NDY=', name, description: "Something isn't working", color: 'f29513', default: true })),
          locked: false,
          comments: 0,
        });
      }
      const jr = /^\/jira\/rest\/api\/([23])\/issue\/([A-Z][A-Z0-9_]*-\d+)(\/comment|\/transitions)?$/.exec(url.pathname);
      if (jr) {
        if (!/^Basic \S+$/.test(req.headers.authorization ?? '')) return send(401, { errorMessages: ['You are not authenticated.'], errors: {} });
        const issue = jira.get(jr[2]!);
        if (!issue) return send(404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
        const self = `${base}/jira/rest/api/${jr[1]}/issue/10002`;
        if (jr[3] === '/comment' && method === 'POST') {
          const body = (json as { body?: unknown } | undefined)?.body;
          if (body === undefined) return send(400, { errorMessages: [], errors: { comment: 'Comment body can not be empty!' } });
          return send(201, { self: `${self}/comment/10000`, id: '10000', body, author: { displayName: 'Mia Krystof' }, created: '2021-01-17T12:34:00.000+0000' });
        }
        if (jr[3] === '/transitions' && method === 'GET') {
          return send(200, {
            expand: 'transitions',
            transitions: [
              { id: '711', name: 'QA Review', to: { name: 'In Review', id: '5', statusCategory: { id: 4, key: 'indeterminate', name: 'In Progress' } }, hasScreen: false },
              { id: '2', name: 'Close Issue', to: { name: 'Done', id: '10003', statusCategory: { id: 3, key: 'done', name: 'Done' } }, hasScreen: false },
            ],
          });
        }
        if (jr[3] === '/transitions' && method === 'POST') {
          const id = (json as { transition?: { id?: unknown } } | undefined)?.transition?.id;
          if (id === '2') issue.status = 'Done';
          else if (id !== '711') return send(400, { errorMessages: [`Transition id '${String(id)}' is not valid for this issue.`], errors: {} });
          return send(204);
        }
        if (method !== 'GET' || jr[3]) return send(405, { errorMessages: ['Method not allowed'] });
        const done = issue.status === 'Done';
        return send(200, {
          id: '10002',
          key: jr[2],
          self,
          fields: {
            summary: issue.summary,
            description: issue.description,
            labels: issue.labels,
            status: { name: issue.status, id: done ? '10003' : '10000', statusCategory: { id: done ? 3 : 2, key: done ? 'done' : 'new', colorName: done ? 'green' : 'blue-gray', name: issue.status } },
          },
        });
      }
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    github,
    jira,
    failNext(status, count = 1) {
      failing = { status, count };
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
