import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { defaultRegistry } from '../nodes/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { WebhookOutbox } from '../webhooks/outbox.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';

// The engine tells observers once when a budget limit stops the run (`budget-reached`), and the
// webhook outbox given as `EngineOptions.webhooks` turns the run's events into outbox rows.
describe('budget-reached event and the webhook outbox observer', () => {
  it('emits budget-reached once, and the outbox records run_started, budget_reached and run_finished', async () => {
    const config = ProjectConfigSchema.parse({ webhooks: [{ url: 'http://127.0.0.1:9/hook', secretEnv: 'TG_HOOK_SECRET', events: ['run_started', 'budget_reached', 'run_finished'] }] });
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const { executors, scripts } = defaultRegistry();
    const events: EngineEvent[] = [];
    const outbox = new WebhookOutbox(store, config.webhooks);
    const engine = new Engine({
      store, executors, scripts, config, projectDir: mkdtempSync(join(tmpdir(), 'tg-budget-event-')),
      observers: [(e) => events.push(e)], webhooks: outbox, budget: { maxConsecutiveFailures: 2 }, concurrency: 1,
    });
    const nodes = ['x', 'y', 'z', 'w'].map((id) => ({ id, kind: 'script' as const, config: { fn: 'fail', args: { message: id } } }));
    const summary = await engine.start({ graph: { nodes }, command: 'test' });
    expect(summary.status).toBe('suspended');
    const reached = events.filter((e) => e.type === 'budget-reached');
    expect(reached).toEqual([{ type: 'budget-reached', runId: summary.runId, scope: 'run', reason: expect.stringMatching(/2 failures in a row/) }]);
    await outbox.flush();
    const rows = await store.listWebhookDeliveries();
    expect(rows.map((r) => r.event)).toEqual(['run_started', 'budget_reached', 'run_finished']);
    expect(JSON.parse(rows[1]!.body)).toMatchObject({ event: 'budget_reached', data: { runId: summary.runId, scope: 'run' } });
    expect(rows.every((r) => r.status === 'pending')).toBe(true); // delivery is the worker's job, not the run's
    await store.close();
  });
});
