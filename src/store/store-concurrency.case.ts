import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import type { AuditInput } from './audit.js';
import type { Store } from './store.js';
import { finishedAttempt, nodeState, run, type StoreHolder } from './store-fixtures.case.js';

/**
 * Conformance cases for concurrent writers (issue 15, "the shared suite covers ... concurrent
 * writers"): two instances of the store on one database, each with its own connections (as two
 * processes would have), write at once. Nothing may be lost, ids and seqs stay unique, and a
 * race for one thing (a lease, a decision) has exactly one winner. See `store.case.ts`.
 */
export function concurrencyCases(h: StoreHolder, reopen: (store: Store) => Promise<Store>): void {
  /** Runs `fn` with a second instance on the same database, closed afterwards. */
  async function withSecond(fn: (a: Store, b: Store) => Promise<void>): Promise<void> {
    const second = await reopen(h.store);
    try {
      await fn(h.store, second);
    } finally {
      await second.close();
    }
  }

  const entry = (writer: number, i: number): AuditInput => ({
    runId: 'R1',
    at: 1_767_000_000_000 + i,
    who: `writer-${writer}`,
    kind: 'command-allowed-unlisted',
    subject: `cmd ${i}`,
    reason: 'concurrent',
    details: { writer, i },
  });

  describe('concurrent writers', () => {
    it('two instances appending audit entries, attempts, events and sessions at once lose nothing; ids and seqs are unique', async () => {
      await withSecond(async (a, b) => {
        await a.createRun(run('R1'));
        const N = 20;
        const write = (s: Store, w: number) =>
          Promise.all(
            Array.from({ length: N }, async (_, i) => {
              await s.appendAudit(entry(w, i));
              await s.recordFinishedAttempt(finishedAttempt('R1', `w${w}-n${i}`, 'succeeded', { output: { w, i } }), nodeState('R1', `w${w}-n${i}`, 'succeeded'));
              await s.appendRunEvents([{ runId: 'R1', at: 1_767_000_000_000 + i, type: 'log', data: { w, i } }]);
              await s.startRunSession({ runId: 'R1', command: `w${w}`, pid: w, host: 'h', startedAt: `t${i}` });
            }),
          );
        await Promise.all([write(a, 0), write(b, 1)]);

        for (const s of [a, b]) {
          const audit = await s.listAudit('R1');
          expect(audit).toHaveLength(2 * N);
          expect(new Set(audit.map((e) => e.id)).size).toBe(2 * N);
          expect(audit.map((e) => e.id)).toStrictEqual([...audit.map((e) => e.id)].sort((x, y) => x - y));
          const attempts = await s.listAttempts('R1');
          expect(attempts).toHaveLength(2 * N);
          expect(new Set(attempts.map((x) => x.seq)).size).toBe(2 * N);
          expect(new Set(attempts.map((x) => x.nodeId)).size).toBe(2 * N);
          const events = await s.listRunEvents('R1');
          expect(events).toHaveLength(2 * N);
          expect(new Set(events.map((e) => e.seq)).size).toBe(2 * N);
          const sessions = await s.listRunSessions('R1');
          expect(sessions.map((x) => x.number)).toStrictEqual(Array.from({ length: 2 * N }, (_, i) => i + 1));
        }
        const nodes = await b.listRunNodes('R1');
        expect(nodes.filter((n) => n.status === 'succeeded')).toHaveLength(2 * N);
      });
    });

    it('two instances racing for one run lease and deciding one node: exactly one wins each', async () => {
      await withSecond(async (a, b) => {
        await a.createRun(run('R1'));
        const now = '2025-02-01T00:00:00.000Z';
        const leases = await Promise.allSettled(
          [a, b, a, b].map((s, i) => s.acquireRunLease({ runId: 'R1', token: `tok-${i}`, pid: 100 + i, host: 'h', now, ttlMs: 30_000 })),
        );
        const won = leases.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of leases) if (r.status === 'rejected') expect((r.reason as TaskgraphError).code).toBe('RUN_LOCKED');
        expect((await b.getRunLease('R1'))?.token).toBe((won[0] as PromiseFulfilledResult<{ token: string }>).value.token);

        const decisions = await Promise.allSettled(
          [a, b, a, b].map((s, i) =>
            s.decide(
              { runId: 'R1', nodeId: 'gate', decision: i % 2 === 0 ? 'approved' : 'rejected', by: `p${i}`, at: now },
              { runId: 'R1', at: 1_767_000_000_000, who: `p${i}`, kind: i % 2 === 0 ? 'approved' : 'rejected', subject: 'gate', reason: 'race' },
            ),
          ),
        );
        expect(decisions.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of decisions) if (r.status === 'rejected') expect((r.reason as TaskgraphError).code).toBe('RUN_STATE');
        expect(await a.listAudit('R1')).toHaveLength(1);
        expect((await a.getDecision('R1', 'gate'))?.by).toBe((await b.listAudit('R1'))[0]?.who);
      });
    });
  });
}
