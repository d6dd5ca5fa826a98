import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookSchema } from '../core/config.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { verifyWebhook } from './signature.js';
import { Webhooks } from './webhooks.js';

const SECRET = 'whsec-test-0123456789';
const env = { TG_HOOK_SECRET: SECRET };

describe('webhook outbox and delivery worker', () => {
  let store: SqliteStore;
  let receiver: WebhookReceiver;
  const open: Webhooks[] = [];
  const hooks = (over: Record<string, unknown> = {}, url = receiver.url) => {
    const w = new Webhooks(store, [WebhookSchema.parse({ url, secretEnv: 'TG_HOOK_SECRET', ...over })], { env, pollMs: 20, baseDelayMs: 20, maxDelayMs: 40 });
    open.push(w);
    return w;
  };

  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    await store.migrate();
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    for (const w of open.splice(0)) await w.close(100);
    await receiver.close();
    await store.close();
  });

  it('POSTs each wanted event with a valid signature and its delivery id, then marks it delivered', async () => {
    const w = hooks({ events: ['run_started', 'run_finished'] }).start();
    w.outbox.observer({ type: 'run-start', runId: 'r1', nodes: 2, resumed: false });
    w.outbox.observer({ type: 'node-start', runId: 'r1', nodeId: 'a', attempt: 1 }); // not a webhook event
    w.outbox.observer({ type: 'task-finish', runId: 'r1', task: 'T1', status: 'done', attempts: 1 }); // not wanted
    w.outbox.observer({ type: 'run-finish', runId: 'r1', status: 'succeeded' });
    const got = await receiver.waitFor(2);
    expect(got.map((r) => JSON.parse(r.body).event).sort()).toEqual(['run_finished', 'run_started']);
    for (const r of got) {
      const body = JSON.parse(r.body);
      expect(verifyWebhook(SECRET, r.body, r.headers['x-taskgraph-signature'])).toBe(true);
      expect(verifyWebhook('wrong', r.body, r.headers['x-taskgraph-signature'])).toBe(false);
      expect(r.headers['x-taskgraph-delivery']).toBe(body.id);
      expect(r.headers['x-taskgraph-event']).toBe(body.event);
      expect(r.headers['content-type']).toBe('application/json');
    }
    await w.close(1000);
    const rows = await store.listWebhookDeliveries();
    expect(rows.map((d) => [d.event, d.status, d.attempts])).toEqual([
      ['run_started', 'delivered', 1],
      ['run_finished', 'delivered', 1],
    ]);
  });

  it('writes the outbox row synchronously, before the observer returns', () => {
    const w = hooks();
    w.outbox.observer({ type: 'approval-requested', runId: 'r1', nodeId: 'ok', kind: 'approval', reason: 'ship it?' });
    // no await: the SQLite store commits inside the call
    const rows = (store as unknown as { db: { prepare(sql: string): { all(): unknown[] } } }).db.prepare('SELECT event, status FROM webhook_deliveries').all();
    expect(rows).toEqual([{ event: 'approval_requested', status: 'pending' }]);
  });

  it('retries a failing receiver with backoff until it answers 2xx, keeping the last error meanwhile', async () => {
    receiver.reply = (_r, i) => (i < 2 ? 503 : 200);
    const w = hooks().start();
    w.outbox.observer({ type: 'budget-reached', runId: 'r1', scope: 'run', reason: 'maxModelCalls 3 reached' });
    const got = await receiver.waitFor(3);
    expect(new Set(got.map((r) => r.headers['x-taskgraph-delivery'])).size).toBe(1); // one delivery, three attempts
    await w.close(1000);
    const [row] = await store.listWebhookDeliveries();
    expect(row).toMatchObject({ event: 'budget_reached', status: 'delivered', attempts: 3 });
    expect(row!.lastError).toBeUndefined(); // cleared by the success
    expect(JSON.parse(row!.body).data).toEqual({ runId: 'r1', scope: 'run', reason: 'maxModelCalls 3 reached' });
  });

  it('gives up after maxAttempts, and keeps a down receiver pending with the error', async () => {
    receiver.reply = () => 500;
    const w = hooks({ maxAttempts: 2 }).start();
    w.outbox.observer({ type: 'run-finish', runId: 'r1', status: 'failed' });
    await receiver.waitFor(2);
    await w.close(1000);
    expect(await store.listWebhookDeliveries()).toMatchObject([{ status: 'failed', attempts: 2, lastError: 'HTTP 500' }]);

    await receiver.close();
    const down = hooks({}, receiver.url).start();
    down.outbox.observer({ type: 'run-start', runId: 'r2', nodes: 1, resumed: false });
    for (let i = 0; i < 200 && (await store.listWebhookDeliveries({ status: 'pending' }))[0]?.attempts !== 1; i++) await new Promise((r) => setTimeout(r, 10));
    const [pending] = await store.listWebhookDeliveries({ status: 'pending' });
    expect(pending).toMatchObject({ event: 'run_started', attempts: 1 });
    expect(pending!.lastError).toMatch(/fetch failed|ECONNREFUSED/);
    receiver = await startWebhookReceiver(); // for afterEach
  });

  it('resumes deliveries an earlier process left pending, once started', async () => {
    const first = hooks();
    await first.outbox.enqueue([{ event: 'task_created', data: { planId: 'p', task: { id: 'T9' } } }]);
    expect(receiver.received).toEqual([]); // never started: nothing sent
    const second = hooks().start();
    const [got] = await receiver.waitFor(1);
    expect(JSON.parse(got!.body)).toMatchObject({ event: 'task_created', data: { task: { id: 'T9' } } });
    await second.close(1000);
    expect((await store.listWebhookDeliveries())[0]!.status).toBe('delivered');
  });

  it('close() gives a hanging receiver its grace, then leaves the delivery pending without counting an attempt', async () => {
    receiver.reply = () => 'hang';
    const w = hooks().start();
    w.outbox.observer({ type: 'run-finish', runId: 'r1', status: 'succeeded' });
    await receiver.waitFor(1);
    const t0 = Date.now();
    await w.close(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await store.listWebhookDeliveries()).toMatchObject([{ status: 'pending', attempts: 0 }]);
  });

  it('records a missing secret as the error', async () => {
    const w = new Webhooks(store, [WebhookSchema.parse({ url: receiver.url, secretEnv: 'TG_UNSET_SECRET' })], { env: {}, pollMs: 20 });
    open.push(w);
    await w.outbox.enqueue([{ event: 'run_started', data: {} }]);
    await w.worker.deliverDue();
    expect(await store.listWebhookDeliveries()).toMatchObject([{ status: 'pending', attempts: 1, lastError: 'environment variable TG_UNSET_SECRET (the webhook secret) is not set' }]);
    expect(receiver.received).toEqual([]);
  });
});
