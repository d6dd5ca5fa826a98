import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Engine } from './engine.js';
import { forecastRun } from './forecast.js';
import type { EngineEvent } from './events.js';
import { notifyPerson } from './notify-person.js';

/** Notifications (issue 11): a loopback HTTP server stands in for the webhook, a shell command writes a file. */
interface Hook {
  url: string;
  bodies: unknown[];
  close: () => Promise<void>;
}

async function listen(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

async function hook(status = 204): Promise<Hook> {
  const bodies: unknown[] = [];
  const { server, url } = await listen((req, body, res) => {
    bodies.push({ method: req.method, type: req.headers['content-type'], json: JSON.parse(body) });
    res.statusCode = status;
    res.end();
  });
  return { url, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

const dir = mkdtempSync(join(tmpdir(), 'taskgraph-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configWith = (notify: Record<string, unknown>) => ProjectConfigSchema.parse({ notify, policy: { safety: { sandbox: 'off' } } });

async function store() {
  const s = SqliteStore.open(':memory:');
  await s.migrate();
  await s.createRun({ id: 'R1', status: 'running', graph: { nodes: [], edges: [] }, command: 'test', options: {}, projectDir: dir, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
  return s;
}

describe('notifyPerson', () => {
  let ok: Hook;
  beforeAll(async () => {
    ok = await hook();
  });
  afterAll(async () => ok.close());

  it('posts {run, node, kind, question} and runs the command with the question in its environment, never in the line; once per node', async () => {
    const s = await store();
    const out = join(dir, 'told.txt');
    const config = configWith({ webhook: ok.url, command: `printf '%s|%s|%s|%s' "$TASKGRAPH_RUN" "$TASKGRAPH_NODE" "$TASKGRAPH_KIND" "$TASKGRAPH_QUESTION" > ${out}` });
    const question = 'Ship it? $(touch pwned) `touch pwned2`; echo "x"';
    const logs: string[] = [];
    const problems = await notifyPerson({ runId: 'R1', nodeId: 'gate', kind: 'approval', question }, { store: s, config, projectDir: dir, log: (m) => logs.push(m) });
    expect(problems).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe(`R1|gate|approval|${question}`);
    expect(existsSync(join(dir, 'pwned')) || existsSync(join(dir, 'pwned2'))).toBe(false);
    expect(ok.bodies).toEqual([{ method: 'POST', type: 'application/json', json: { run: 'R1', node: 'gate', kind: 'approval', question } }]);
    const audit = await s.listAudit('R1');
    expect(audit.filter((e) => e.kind === 'notified')).toMatchObject([{ who: 'taskgraph', subject: 'gate', details: { node: 'gate', channels: ['command', 'webhook'] } }]);

    // the same node again (a resumed session suspends it again): nothing sent
    expect(await notifyPerson({ runId: 'R1', nodeId: 'gate', kind: 'approval', question }, { store: s, config, projectDir: dir, log: (m) => logs.push(m) })).toEqual([]);
    expect(ok.bodies).toHaveLength(1);
    expect(logs).toEqual([]);
  });

  it('a failing command, a refusing webhook, an unreachable one and one that never answers are logged and audited, never thrown', async () => {
    const refusing = await hook(500);
    const silent = await listen(() => undefined); // never answers
    const closed = await hook();
    await closed.close();
    try {
      const cases = [
        { notify: { command: 'exit 7' }, expect: /notify\.command exited 7/ },
        { notify: { webhook: refusing.url }, expect: /notify\.webhook answered HTTP 500/ },
        { notify: { webhook: closed.url }, expect: /notify\.webhook: fetch failed/ },
        { notify: { webhook: silent.url, timeoutMs: 300 }, expect: /notify\.webhook: no answer within 300 ms/ },
        { notify: { command: 'git push origin main' }, expect: /notify\.command: .*git push/ },
      ];
      for (const [i, c] of cases.entries()) {
        const s = await store();
        const logs: string[] = [];
        const problems = await notifyPerson({ runId: 'R1', nodeId: `n${i}`, kind: 'human', question: 'q' }, { store: s, config: configWith(c.notify), projectDir: dir, log: (m) => logs.push(m) });
        expect(problems.join('\n')).toMatch(c.expect);
        expect(logs[0]).toMatch(/^notification not delivered: /);
        const failed = (await s.listAudit('R1')).filter((e) => e.kind === 'notify-failed');
        expect(failed).toHaveLength(1);
        expect(failed[0]!.reason).toMatch(c.expect);
      }
    } finally {
      await refusing.close();
      silent.server.closeAllConnections();
      await new Promise((r) => silent.server.close(() => r(undefined)));
    }
  });

  it('refuses notify config without a channel or with a non-http URL', () => {
    expect(ProjectConfigSchema.safeParse({ notify: {} }).success).toBe(false);
    expect(ProjectConfigSchema.safeParse({ notify: { webhook: 'file:///etc/passwd' } }).success).toBe(false);
    expect(ProjectConfigSchema.safeParse({ notify: { webhook: 'https://example.com/x', timeoutMs: 500 } }).success).toBe(true);
  });
});

describe('the engine notifies when a run starts waiting for a person', () => {
  it('once per waiting node across sessions; a dead webhook does not change the run', async () => {
    const live = await hook();
    try {
      for (const url of [live.url, 'http://127.0.0.1:9/nothing-listens']) {
        const s = SqliteStore.open(':memory:');
        await s.migrate();
        const { executors, scripts } = defaultRegistry();
        const events: EngineEvent[] = [];
        const engine = () => new Engine({ store: s, executors, scripts, projectDir: dir, config: configWith({ webhook: url }), observers: [(e) => events.push(e)] });
        const graph = {
          nodes: [
            { id: 'gate', kind: 'approval' as const, config: { question: 'Deploy?' } },
            { id: 'ask', kind: 'human' as const, config: { question: 'Size?', choices: ['S', 'M'] } },
            { id: 'free', kind: 'script' as const, config: { fn: 'noop' } },
          ],
        };
        const first = await engine().start({ graph, command: 'test' });
        expect(first.status).toBe('suspended');
        expect(first.counts).toMatchObject({ suspended: 2, succeeded: 1 });
        await engine().resume(first.runId); // still waiting: suspends again, nobody told twice
        const kinds = (await s.listAudit(first.runId)).map((e) => `${e.kind} ${e.subject}`).sort();
        if (url === live.url) {
          expect(live.bodies.map((b) => (b as { json: { node: string; question: string } }).json).sort((a, b) => a.node.localeCompare(b.node))).toEqual([
            { run: first.runId, node: 'ask', kind: 'human', question: 'Size? (choices: S | M)' },
            { run: first.runId, node: 'gate', kind: 'approval', question: 'Deploy?' },
          ]);
          expect(kinds).toEqual(['notified ask', 'notified gate']);
        } else {
          expect(kinds).toEqual(['notify-failed ask', 'notify-failed gate']);
          expect(events.some((e) => e.type === 'log' && e.message.startsWith('notification not delivered: notify.webhook'))).toBe(true);
          expect((await s.getRun(first.runId))!.status).toBe('suspended');
        }
      }
    } finally {
      await live.close();
    }
  });

  it('a forecast tells nobody: its suspended nodes are predictions', async () => {
    const live = await hook();
    try {
      const s = SqliteStore.open(':memory:');
      await s.migrate();
      const { executors, scripts } = defaultRegistry();
      const graph = {
        nodes: [
          { id: 'ask', kind: 'human' as const, config: { question: 'Size?' } },
          { id: 'use', kind: 'script' as const, config: { fn: 'noop' }, inputs: { a: { $ref: 'ask', path: 'answer' } } },
        ],
      };
      const forecast = await forecastRun({ store: s, executors, scripts, projectDir: dir, config: configWith({ webhook: live.url }), graph });
      expect(forecast.nodes.find((n) => n.nodeId === 'ask')).toMatchObject({ willRun: true });
      expect(live.bodies).toEqual([]);
      expect(await s.listAudit()).toEqual([]);
    } finally {
      await live.close();
    }
  });
});
