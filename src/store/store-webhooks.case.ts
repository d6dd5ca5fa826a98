import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REDACTED, resetSecretRedactor } from '../security/redact.js';
import type { WebhookDeliveryInput } from './webhook-deliveries.js';
import { expectCode, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for the webhook outbox (`webhook-deliveries.ts`; see `store.case.ts`). */
export function webhookDeliveryCases(h: StoreHolder): void {
  describe('webhook outbox', () => {
    const T = 1_767_000_000_000;
    const row = (n: number, over: Partial<WebhookDeliveryInput> = {}): WebhookDeliveryInput => ({
      id: `d${n}`,
      url: 'http://127.0.0.1:9/hook',
      event: 'run_finished',
      body: JSON.stringify({ id: `d${n}`, event: 'run_finished', data: { text: 'ünïcode ✓', n } }),
      nextAt: T + n,
      createdAt: T + n,
      ...over,
    });

    it('is empty at first, and an empty enqueue writes nothing', async () => {
      expect(await h.store.listWebhookDeliveries()).toEqual([]);
      expect(await h.store.enqueueWebhookDeliveries([])).toEqual([]);
    });

    it('enqueues pending rows with no attempts and lists them in creation order', async () => {
      const stored = await h.store.enqueueWebhookDeliveries([row(2), row(1)]);
      expect(stored).toStrictEqual([
        { ...row(2), attempts: 0, status: 'pending' },
        { ...row(1), attempts: 0, status: 'pending' },
      ]);
      expect((await h.store.listWebhookDeliveries()).map((d) => d.id)).toEqual(['d1', 'd2']);
    });

    it('filters by status and due time, and limits', async () => {
      await h.store.enqueueWebhookDeliveries([row(1), row(2), row(3)]);
      await h.store.recordWebhookAttempt('d2', { status: 'delivered', attempts: 1, nextAt: T + 2 });
      expect((await h.store.listWebhookDeliveries({ status: 'pending' })).map((d) => d.id)).toEqual(['d1', 'd3']);
      expect((await h.store.listWebhookDeliveries({ status: 'pending', dueBy: T + 2 })).map((d) => d.id)).toEqual(['d1']);
      expect((await h.store.listWebhookDeliveries({ limit: 2 })).map((d) => d.id)).toEqual(['d1', 'd2']);
      expect(await h.store.listWebhookDeliveries({ status: 'failed' })).toEqual([]);
    });

    it('records attempts: error kept while pending, cleared on delivery', async () => {
      await h.store.enqueueWebhookDeliveries([row(1)]);
      await h.store.recordWebhookAttempt('d1', { status: 'pending', attempts: 1, nextAt: T + 500, lastError: 'HTTP 503' });
      expect(await h.store.listWebhookDeliveries()).toStrictEqual([{ ...row(1), attempts: 1, nextAt: T + 500, status: 'pending', lastError: 'HTTP 503' }]);
      await h.store.recordWebhookAttempt('d1', { status: 'delivered', attempts: 2, nextAt: T + 500 });
      expect(await h.store.listWebhookDeliveries()).toStrictEqual([{ ...row(1), attempts: 2, nextAt: T + 500, status: 'delivered' }]);
    });

    it('refuses an unknown id, an unknown status, bad times and a duplicate id, writing nothing of the batch', async () => {
      await expectCode(h.store.recordWebhookAttempt('nope', { status: 'delivered', attempts: 1, nextAt: T }), 'NOT_FOUND');
      await h.store.enqueueWebhookDeliveries([row(1)]);
      await expectCode(h.store.recordWebhookAttempt('d1', { status: 'lost' as never, attempts: 1, nextAt: T }), 'CONFIG_INVALID');
      await expectCode(h.store.enqueueWebhookDeliveries([row(2), row(3, { nextAt: 1.5 })]), 'CONFIG_INVALID');
      await expectCode(h.store.enqueueWebhookDeliveries([row(4), row(5, { url: '' })]), 'CONFIG_INVALID');
      await expect(h.store.enqueueWebhookDeliveries([row(6), row(1)])).rejects.toThrow();
      expect((await h.store.listWebhookDeliveries()).map((d) => d.id)).toEqual(['d1']);
    });

    describe('secrets', () => {
      const SECRET = 'planted-webhook-secret-4711';
      beforeEach(() => {
        vi.stubEnv('TG_TEST_HOOK_TOKEN', SECRET);
        resetSecretRedactor();
      });
      afterEach(() => {
        vi.unstubAllEnvs();
        resetSecretRedactor();
      });

      it('are redacted from bodies and errors, in what is returned and what is read back', async () => {
        const [stored] = await h.store.enqueueWebhookDeliveries([row(1, { body: JSON.stringify({ message: `token ${SECRET}` }) })]);
        await h.store.recordWebhookAttempt('d1', { status: 'pending', attempts: 1, nextAt: T, lastError: `refused ${SECRET}` });
        const [read] = await h.store.listWebhookDeliveries();
        for (const d of [stored, read]) expect(JSON.stringify(d)).not.toContain(SECRET);
        expect(JSON.parse(read!.body)).toEqual({ message: `token ${REDACTED}` });
        expect(read!.lastError).toBe(`refused ${REDACTED}`);
      });
    });
  });
}
