import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlanEdit } from '../cli/task-edit-commands.js';
import { ProjectConfigSchema, WEBHOOK_EVENTS } from '../core/config.js';
import { addTask, updateTask } from '../planning/plan-edit.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { plan } from '../store/store-fixtures.case.js';
import { WebhookOutbox } from './outbox.js';

describe('webhooks configuration', () => {
  const parse = (hook: Record<string, unknown>) => ProjectConfigSchema.safeParse({ webhooks: [hook] });

  it('defaults to no webhooks, to every event, a 10 s timeout and 10 attempts', () => {
    expect(ProjectConfigSchema.parse({}).webhooks).toEqual([]);
    expect(ProjectConfigSchema.parse({ webhooks: [{ url: 'https://h.example/x', secretEnv: 'TASKGRAPH_WEBHOOK_SECRET' }] }).webhooks).toEqual([
      { url: 'https://h.example/x', secretEnv: 'TASKGRAPH_WEBHOOK_SECRET', events: [...WEBHOOK_EVENTS], timeoutMs: 10_000, maxAttempts: 10 },
    ]);
  });

  it('refuses a secret written in place of its variable name, a non-http URL, an unknown event and unknown keys', () => {
    expect(parse({ url: 'https://h.example/x', secretEnv: 'whsec_1234 abcd' }).success).toBe(false);
    expect(parse({ url: 'https://h.example/x', secret: 'whsec_1234' }).success).toBe(false);
    expect(parse({ url: 'file:///etc/passwd', secretEnv: 'S' }).success).toBe(false);
    expect(parse({ url: 'https://h.example/x', secretEnv: 'S', events: ['node_started'] }).success).toBe(false);
    expect(parse({ url: 'https://h.example/x', secretEnv: 'S', events: [] }).success).toBe(false);
  });
});

describe('plan edits into the outbox (applyPlanEdit, shared by the CLI and the HTTP API)', () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    await store.migrate();
    await store.savePlan(plan('p1'));
  });
  afterEach(async () => {
    await store.close();
  });

  it('writes task_created and task_updated rows before it returns, only for the receivers that want them', async () => {
    const { webhooks } = ProjectConfigSchema.parse({
      webhooks: [
        { url: 'http://127.0.0.1:9/all', secretEnv: 'S' },
        { url: 'http://127.0.0.1:9/updates', secretEnv: 'S', events: ['task_updated'] },
      ],
    });
    const outbox = new WebhookOutbox(store, webhooks);
    await applyPlanEdit(store, 'p1', 'ada', (tasks, planId) => addTask(tasks, planId, { title: 'Docs', acceptance: ['documented'] }), { webhooks: outbox });
    await applyPlanEdit(store, 'p1', 'ada', (tasks) => updateTask(tasks, 'T2', { title: 'Renamed' }), { webhooks: outbox });
    const rows = await store.listWebhookDeliveries();
    expect(rows.map((r) => [r.event, r.url.split('/').at(-1)])).toEqual([
      ['task_created', 'all'],
      ['task_updated', 'all'],
      ['task_updated', 'updates'],
    ]);
    expect(JSON.parse(rows[1]!.body).data).toMatchObject({ planId: 'p1', version: 3, task: { id: 'T2', title: 'Renamed' } });
  });
});
