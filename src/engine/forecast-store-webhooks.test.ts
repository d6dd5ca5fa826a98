import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite-store.js';
import { useStore } from '../store/store-fixtures.case.js';
import { webhookDeliveryCases } from '../store/store-webhooks.case.js';
import { ForecastStore } from './forecast-store.js';

// The forecast store passes the webhook outbox conformance cases (its rows live in the scratch
// store), and a forecast's outbox never reaches the project's store: nothing of it is delivered.
describe('ForecastStore webhook outbox', () => {
  const holder = useStore(async () => {
    const real = SqliteStore.open(':memory:');
    await real.migrate();
    return ForecastStore.over(real);
  });
  webhookDeliveryCases(holder);

  it("keeps a forecast's deliveries out of the project's store", async () => {
    const real = SqliteStore.open(':memory:');
    await real.migrate();
    const forecast = await ForecastStore.over(real);
    await forecast.enqueueWebhookDeliveries([{ id: 'f1', url: 'http://127.0.0.1:9/', event: 'run_started', body: '{}', nextAt: 1, createdAt: 1 }]);
    expect((await forecast.listWebhookDeliveries()).map((d) => d.id)).toEqual(['f1']);
    expect(await real.listWebhookDeliveries()).toEqual([]);
    await forecast.close();
    await real.close();
  });
});
