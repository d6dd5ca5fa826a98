import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSse, readUntil, serveApp, type ServedApp, type SseEvent } from '../../test/support/sse-client.js';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { Engine } from '../engine/engine.js';
import { gateScript } from '../../test/support/gate-script.js';
import type { RunSummary } from '../engine/run-summary.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { runEventsRoute, streamRunEvents, type RunEventMessage } from './run-events.js';

/**
 * `GET /runs/:id/events` over real HTTP on loopback (a bare Hono app on @hono/node-server,
 * port 0), against a real engine run on a SQLite store file.
 */
const config = ProjectConfigSchema.parse({});
const root = mkdtempSync(join(tmpdir(), 'taskgraph-run-events-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));


const noop = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'script' as const, config: { fn: 'noop', args: id }, ...extra });
const graph: GraphSpecInput = {
  nodes: [noop('a'), { id: 'hold', kind: 'script', config: { fn: 'hold' }, needs: ['a'] }, noop('b', { needs: ['hold'] }), noop('c', { needs: ['b'] })],
};
const message = (e: SseEvent) => JSON.parse(e.data) as RunEventMessage;
/** `type nodeId status` of an event, e.g. `node-finish a succeeded`. */
const line = (e: SseEvent) => {
  const m = message(e);
  return [m.type, m.nodeId, m.data['status']].filter((x) => x !== undefined).join(' ');
};

describe('GET /runs/:id/events', () => {
  let n = 0;
  let store: SqliteStore;
  let served: ServedApp;
  let hold: ReturnType<typeof gateScript>;
  let run: Promise<RunSummary>;

  beforeEach(async () => {
    store = SqliteStore.open(join(root, `db${n++}`, 'taskgraph.db'));
    await store.migrate();
    const app = new Hono();
    runEventsRoute(app, { store, pollMs: 20 });
    served = await serveApp(app);
    hold = gateScript('opened');
    const { executors, scripts } = defaultRegistry(new Map([['hold', hold.fn]]));
    run = new Engine({ store, executors, scripts, projectDir: process.cwd(), config }).start({ graph, command: 'test', runId: 'r-live' });
    await hold.started;
  });
  afterEach(async () => {
    hold.open();
    await run;
    await served.close();
    await store.close();
  });

  it('streams status changes in order, each with an ascending id, while the run goes on, and ends when it finishes', async () => {
    const stream = await openSse(`${served.url}/runs/r-live/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const early = await readUntil(stream, (e) => e.event === 'node-start' && message(e).nodeId === 'hold');
    expect(early.map(line)).toEqual(['run-start', 'node-start a', 'node-finish a succeeded', 'node-start hold']);
    hold.open(); // the run goes on: the rest arrives as it is written
    const rest = await readUntil(stream);
    expect(rest.map(line)).toEqual([
      'node-finish hold succeeded',
      'node-start b',
      'node-finish b succeeded',
      'node-start c',
      'node-finish c succeeded',
      'run-finish succeeded',
    ]);
    const all = [...early, ...rest];
    for (const e of all) {
      expect(e.id).toBe(String(message(e).seq));
      expect(e.event).toBe(message(e).type);
    }
    const ids = all.map((e) => Number(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    expect(all.map(message)).toStrictEqual(await store.listRunEvents('r-live'));
  });

  it('a client that drops and reconnects with Last-Event-ID gets the rest: no gap, no duplicate', async () => {
    const full: RunEventMessage[] = [];
    const first = await openSse(`${served.url}/runs/r-live/events`);
    const before = await readUntil(first, (e) => message(e).nodeId === 'a' && e.event === 'node-finish');
    first.close();
    hold.open();
    await run; // events written while nobody listened
    const second = await openSse(`${served.url}/runs/r-live/events`, { 'Last-Event-ID': before.at(-1)!.id! });
    expect(second.status).toBe(200);
    const after = await readUntil(second);
    full.push(...before.map(message), ...after.map(message));
    expect(before.map(line)).toEqual(['run-start', 'node-start a', 'node-finish a succeeded']);
    expect(after[0]!.event).toBe('node-start');
    expect(message(after[0]!).nodeId).toBe('hold');
    expect(full).toStrictEqual(await store.listRunEvents('r-live'));
    expect(new Set(full.map((e) => e.seq)).size).toBe(full.length);

    // the query parameter works like the header; a settled run with nothing newer answers 204 (EventSource stops reconnecting)
    const third = await openSse(`${served.url}/runs/r-live/events?lastEventId=${after[2]!.id}`);
    expect((await readUntil(third)).map(message)).toStrictEqual(full.slice(before.length + 3));
    const done = await openSse(`${served.url}/runs/r-live/events`, { 'Last-Event-ID': after.at(-1)!.id! });
    expect(done.status).toBe(204);
  });

  it('answers 404 for an unknown run and 400 for a Last-Event-ID that is not a whole number', async () => {
    const missing = await openSse(`${served.url}/runs/r-nope/events`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(await missing.text())).toMatchObject({ code: 'NOT_FOUND', message: 'no run "r-nope"', hint: expect.stringContaining('runs') });
    const bad = await openSse(`${served.url}/runs/r-live/events`, { 'Last-Event-ID': 'abc' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(await bad.text())).toMatchObject({ code: 'CONFIG_INVALID', details: { path: ['headers', 'last-event-id'] } });
  });

  it('streamRunEvents stops when its signal aborts, also while it waits for new events', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of streamRunEvents(store, 'r-live', { signal: controller.signal, pollMs: 10 })) {
        seen.push(e.type);
        if (e.type === 'node-start' && e.nodeId === 'hold') setTimeout(() => controller.abort(), 50);
      }
    })();
    await reading; // returns although the run is still live
    expect(seen).toEqual(['run-start', 'node-start', 'node-finish', 'node-start']);
    await expect(streamRunEvents(store, 'r-nope').next()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
