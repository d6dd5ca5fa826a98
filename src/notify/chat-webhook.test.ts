import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { Engine } from '../engine/engine.js';
import { ChatNotices, chatMessageOf } from '../engine/notify-chat.js';
import { notifyPerson } from '../engine/notify-person.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { chatPayload, chatUrl, postChat } from './chat-webhook.js';

/**
 * Loopback fakes of Slack's and Discord's incoming webhooks, answering as their documentation
 * says: Slack (api.slack.com/messaging/webhooks) 200 `ok` for a JSON body with `text`, 400
 * `invalid_payload` otherwise, 404 `no_service` for an unknown hook; Discord
 * (discord.com/developers/docs/resources/webhook#execute-webhook, .../topics/rate-limits) 204 for
 * `content` of at most 2,000 characters, 429 with JSON `{ message, retry_after, global }` when
 * rate limited.
 */
interface Received {
  path: string;
  type: string | undefined;
  json: Record<string, unknown>;
}

let base = '';
const received: Received[] = [];
let discordLimited = 0; // 429s to answer before accepting
let close: () => Promise<void>;

function answer(req: IncomingMessage, body: string, res: ServerResponse): void {
  const path = req.url ?? '';
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // left empty: refused below
  }
  received.push({ path, type: req.headers['content-type'], json });
  if (path.startsWith('/slack/')) {
    if (path === '/slack/gone') return void res.writeHead(404).end('no_service');
    if (typeof json['text'] !== 'string' || req.headers['content-type'] !== 'application/json') return void res.writeHead(400).end('invalid_payload');
    return void res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
  }
  if (path.startsWith('/discord/')) {
    if (discordLimited > 0) {
      discordLimited--;
      return void res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.05, global: false }));
    }
    const content = json['content'];
    if (typeof content !== 'string' || content.length > 2000) return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":50006,"message":"Cannot send an empty message"}');
    return void res.writeHead(204).end();
  }
  if (path === '/flaky' && received.filter((r) => r.path === '/flaky').length <= 2) return void res.writeHead(503).end('busy');
  res.writeHead(200).end();
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => answer(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});
afterAll(() => close());

const take = (prefix: string) => received.filter((r) => r.path.startsWith(prefix));

describe('chat webhooks', () => {
  it('shapes the payload per service: Slack text with &<> escaped, Discord content with mentions off, generic JSON', () => {
    expect(chatPayload('slack', { title: 'Run <R1>', text: 'a & b > c' })).toEqual({ text: '*Run &lt;R1&gt;*\na &amp; b &gt; c' });
    expect(chatPayload('discord', { title: 'T', text: '@everyone ' + 'x'.repeat(3000) })).toMatchObject({ allowed_mentions: { parse: [] } });
    expect((chatPayload('discord', { text: 'x'.repeat(3000) })['content'] as string).length).toBe(2000);
    expect(chatPayload('generic', { text: 'hi', event: 'run_finished', data: { run: 'R1' } })).toEqual({ text: 'hi', event: 'run_finished', data: { run: 'R1' } });
    // a key-shaped secret never leaves in a message
    expect(JSON.stringify(chatPayload('slack', { text: 'key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789' }))).not.toContain('abcdefghijklmnop');
  });

  it('reads the URL from the named variable and says which one is missing, never its value', () => {
    expect(() => chatUrl('TG_NOPE_URL', {})).toThrow(/TG_NOPE_URL .*is not set/);
    expect(() => chatUrl('TG_X', { TG_X: 'ftp://secret-host/x' })).toThrow(TaskgraphError);
    expect(chatUrl('TG_X', { TG_X: `${base}/slack/a` })).toBe(`${base}/slack/a`);
  });

  it('retries Discord 429 after its retry_after and a 503 with backoff; a 404 is not retried and the error names no URL', async () => {
    discordLimited = 2;
    const d = await postChat('discord', `${base}/discord/h1`, { text: 'hello' }, { baseMs: 5 });
    expect(d).toEqual({ service: 'discord', status: 204, attempts: 3 });
    expect(take('/discord/h1').at(-1)!.json).toEqual({ content: 'hello', allowed_mentions: { parse: [] } });
    const g = await postChat('generic', `${base}/flaky`, { text: 'x' }, { baseMs: 5 });
    expect(g.attempts).toBe(3);
    const error = await postChat('slack', `${base}/slack/gone`, { text: 'x' }, { baseMs: 5 }).catch((e: unknown) => e as TaskgraphError);
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED', retryable: false, details: { status: 404, attempts: 1 } });
    expect((error as Error).message).toContain('no_service');
    expect((error as Error).message).not.toContain('127.0.0.1');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await postChat('slack', `http://127.0.0.1:${port}/x`, { text: 'x' }, { retries: 1, baseMs: 1 }).catch((e: unknown) => e as TaskgraphError);
    expect(refused).toMatchObject({ code: 'NOTIFY_FAILED', retryable: true, details: { attempts: 2 } });
    expect((refused as Error).message).toContain('ECONNREFUSED');
    expect((refused as Error).message).not.toContain('127.0.0.1');
  });

  it('a notify node posts its filled-in text once; an unchanged re-run is a cache hit and sends nothing', async () => {
    process.env['TG_TEST_SLACK_URL'] = `${base}/slack/node`;
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const { executors, scripts } = defaultRegistry();
    const graph = {
      nodes: [
        { id: 'v', kind: 'script' as const, config: { fn: 'echo', args: { tests: 12 } } },
        { id: 'n', kind: 'notify' as const, config: { service: 'slack', urlEnv: 'TG_TEST_SLACK_URL', title: 'Build', text: 'passed: {{v}} <ok>' }, inputs: { v: { $ref: 'v' } } },
      ],
    };
    const engine = () => new Engine({ store, executors, scripts, projectDir: process.cwd(), config: ProjectConfigSchema.parse({}) });
    const first = await engine().start({ graph, command: 'test' });
    expect(first.status).toBe('succeeded');
    expect(take('/slack/node').map((r) => r.json)).toEqual([{ text: '*Build*\npassed: {\n  "tests": 12\n} &lt;ok&gt;' }]);
    const out = (await store.listAttempts(first.runId, 'n'))[0]!.output;
    expect(out).toEqual({ service: 'slack', status: 200, attempts: 1, chars: 30 });
    expect(JSON.stringify(await store.listAttempts(first.runId))).not.toContain('/slack/node');
    const second = await engine().start({ graph, command: 'test' });
    expect(second.counts.cached).toBe(2);
    expect(take('/slack/node')).toHaveLength(1);
    delete process.env['TG_TEST_SLACK_URL'];
  });

  it('notify.chat: an approval, a finished run and a reached budget each reach the targets that list them', async () => {
    const env = { TG_SLACK: `${base}/slack/proj`, TG_DISCORD: `${base}/discord/proj` };
    const config = ProjectConfigSchema.parse({
      notify: { chat: [{ service: 'slack', urlEnv: 'TG_SLACK' }, { service: 'discord', urlEnv: 'TG_DISCORD', events: ['run_finished'] }] },
      policy: { safety: { sandbox: 'off' } },
    });
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    await store.createRun({ id: 'R9', status: 'running', graph: { nodes: [], edges: [] }, command: 'test', options: {}, projectDir: '.', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
    const problems = await notifyPerson({ runId: 'R9', nodeId: 'gate', kind: 'approval', question: 'Ship it?' }, { store, config, projectDir: '.', log: () => undefined, env });
    expect(problems).toEqual([]);
    expect(take('/slack/proj').map((r) => r.json['text'])).toEqual(['*taskgraph: run R9 waits for your approval at gate*\nShip it?']);
    expect(take('/discord/proj')).toHaveLength(0); // discord lists run_finished only
    const notices = new ChatNotices({ store, config, env });
    notices.observer({ type: 'budget-reached', runId: 'R9', scope: 'run', reason: 'maxModelCalls 3 reached' });
    notices.observer({ type: 'run-finish', runId: 'R9', status: 'succeeded' });
    notices.observer({ type: 'node-start', runId: 'R9', nodeId: 'x', attempt: 1 });
    await notices.settled();
    expect(take('/slack/proj').map((r) => r.json['text'])).toEqual([
      '*taskgraph: run R9 waits for your approval at gate*\nShip it?',
      '*taskgraph: run R9 reached a budget limit*\nmaxModelCalls 3 reached\nRaise the limit and `taskgraph resume R9`.',
      '*taskgraph: run R9 succeeded*\nrun R9 ended with status succeeded',
    ]);
    expect(take('/discord/proj').map((r) => r.json['content'])).toEqual(['**taskgraph: run R9 succeeded**\nrun R9 ended with status succeeded']);
    const audit = await store.listAudit('R9');
    expect(audit.filter((e) => e.kind === 'notified').map((e) => e.reason)).toEqual(['sent by slack', 'budget_reached sent to slack', 'run_finished sent to slack and discord']);
    expect(chatMessageOf({ type: 'log', runId: 'R9', nodeId: 'x', message: 'm' })).toBeUndefined();
  });
});
