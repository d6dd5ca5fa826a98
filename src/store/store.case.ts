import { describe } from 'vitest';
import type { Store } from './store.js';
import { attemptCases } from './store-attempts.case.js';
import { auditCases } from './store-audit.case.js';
import { contextOverrideCases } from './store-context.case.js';
import { finishedAttemptCases } from './store-finished.case.js';
import { useStore } from './store-fixtures.case.js';
import { leaseCases } from './store-leases.case.js';
import { outputCases } from './store-outputs.case.js';
import { planCases } from './store-plans.case.js';
import { planVersionCases } from './store-plan-versions.case.js';
import { runCases } from './store-runs.case.js';
import { runEventCases } from './store-run-events.case.js';
import { webhookDeliveryCases } from './store-webhooks.case.js';
import { concurrencyCases } from './store-concurrency.case.js';

/**
 * The Store conformance suite (DESIGN.md §10: "the same test suite runs against both stores"):
 * one set of behaviour tests every {@link Store} implementation registers from its own test
 * file, modelled on Hono's `src/router/common.case.test.ts` (one shared suite, run by every
 * router). It checks round trips of every record type (JSON fields, absent optional fields),
 * ordering guarantees, atomicity of the multi-row writes (including `recordFinishedAttempt`),
 * `NOT_FOUND` errors, link rules (`requires` cycles), context overrides, upserts, idempotent
 * migration, the run lease (grant, refusal, expiry, take-over, fencing by token), sessions, the
 * running mark of nodes, the audit log (append order, per-run listing, validation), the run event log (seq order, paging by afterSeq and limit, validation, redaction), the webhook outbox (status and due filters, attempts, validation, redaction), concurrent writers (two instances on one database: nothing lost, ids unique, one winner of a race), plan versions (edits and approvals written with their audit entries, stale edits refused), and exact round trips of outputs larger than `BLOB_THRESHOLD_BYTES`.
 *
 * @example
 * // src/store/sqlite-store.test.ts
 * storeConformance('sqlite', async () => { const s = SqliteStore.open(tmpFile()); await s.migrate(); return s; },
 *   async (s) => SqliteStore.open((s as SqliteStore).path));
 * @param name implementation name shown in the test report
 * @param make returns a NEW, EMPTY, MIGRATED store; called before every test, closed after it
 * @param reopen opens ANOTHER instance of the store on the same database as the given one (its
 *   own connections: another process in all but name), for the concurrent-writer cases; the
 *   cases close it
 */
export function storeConformance(name: string, make: () => Promise<Store>, reopen: (store: Store) => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    const holder = useStore(make);
    planCases(holder);
    planVersionCases(holder);
    contextOverrideCases(holder);
    runCases(holder);
    attemptCases(holder);
    finishedAttemptCases(holder);
    outputCases(holder);
    leaseCases(holder);
    auditCases(holder);
    runEventCases(holder);
    webhookDeliveryCases(holder);
    concurrencyCases(holder, reopen);
  });
}
