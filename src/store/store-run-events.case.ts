import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REDACTED, resetSecretRedactor } from '../security/redact.js';
import type { RunEventInput } from './run-events.js';
import { expectCode, run, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for the run event log (`run-events.ts`; see `store.case.ts`). */
export function runEventCases(h: StoreHolder): void {
  describe('run event log', () => {
    const event = (runId: string, n: number, over: Partial<RunEventInput> = {}): RunEventInput => ({
      runId,
      at: 1_767_000_000_000 + n,
      type: 'node-finish',
      nodeId: `n${n}`,
      data: { status: 'succeeded', attempt: n, nested: { ok: true, none: null }, text: 'ünïcode ✓' },
      ...over,
    });

    it('is empty for a run without events and for an unknown run', async () => {
      await h.store.createRun(run('R1'));
      expect(await h.store.listRunEvents('R1')).toEqual([]);
      expect(await h.store.listRunEvents('nope')).toEqual([]);
      expect(await h.store.appendRunEvents([])).toEqual([]);
    });

    it('appends in order with ascending seq across runs, and lists one run in seq order', async () => {
      await h.store.createRun(run('R1'));
      await h.store.createRun(run('R2'));
      const first = await h.store.appendRunEvents([event('R1', 1), event('R2', 2), event('R1', 3, { type: 'log', data: { message: 'hi' } })]);
      const second = await h.store.appendRunEvents([event('R1', 4, { nodeId: undefined, type: 'run-finish', data: { status: 'succeeded' } })]);
      const all = [...first, ...second];
      for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
      expect(first[0]).toStrictEqual({ seq: first[0]!.seq, ...event('R1', 1) });
      expect('nodeId' in second[0]!).toBe(false);
      expect(await h.store.listRunEvents('R1')).toStrictEqual([first[0], first[2], second[0]]);
      expect(await h.store.listRunEvents('R2')).toStrictEqual([first[1]]);
    });

    it('lists after a seq and up to a limit, so a reader pages without gaps or repeats', async () => {
      await h.store.createRun(run('R1'));
      const stored = await h.store.appendRunEvents(Array.from({ length: 7 }, (_, i) => event('R1', i)));
      expect(await h.store.listRunEvents('R1', { afterSeq: stored[2]!.seq })).toStrictEqual(stored.slice(3));
      expect(await h.store.listRunEvents('R1', { limit: 2 })).toStrictEqual(stored.slice(0, 2));
      expect(await h.store.listRunEvents('R1', { afterSeq: stored[6]!.seq })).toEqual([]);
      expect(await h.store.listRunEvents('R1', { limit: 0 })).toEqual([]);
      const paged = [];
      let after = 0;
      for (;;) {
        const page = await h.store.listRunEvents('R1', { afterSeq: after, limit: 3 });
        if (page.length === 0) break;
        paged.push(...page);
        after = page.at(-1)!.seq;
      }
      expect(paged).toStrictEqual(stored);
    });

    it('refuses an unknown run, a fractional time or an empty type, writing nothing of the batch', async () => {
      await h.store.createRun(run('R1'));
      await expectCode(h.store.appendRunEvents([event('R1', 1), event('nope', 2)]), 'NOT_FOUND');
      await expectCode(h.store.appendRunEvents([event('R1', 1), event('R1', 2, { at: 1.5 })]), 'CONFIG_INVALID');
      await expectCode(h.store.appendRunEvents([event('R1', 1, { type: '' })]), 'CONFIG_INVALID');
      expect(await h.store.listRunEvents('R1')).toEqual([]);
    });

    describe('secrets', () => {
      const SECRET = 'planted-run-event-secret-4711';
      beforeEach(() => {
        vi.stubEnv('TG_TEST_EVENT_TOKEN', SECRET);
        resetSecretRedactor();
      });
      afterEach(() => {
        vi.unstubAllEnvs();
        resetSecretRedactor();
      });

      it('are redacted from data, in what is returned and what is read back', async () => {
        await h.store.createRun(run('R1'));
        const leaky = event('R1', 1, { type: 'log', data: { message: `curl -H "token: ${SECRET}"`, deep: [{ value: SECRET }] } });
        const [stored] = await h.store.appendRunEvents([leaky]);
        const [read] = await h.store.listRunEvents('R1');
        for (const e of [stored, read]) {
          expect(JSON.stringify(e)).not.toContain(SECRET);
          expect(e!.data).toStrictEqual({ message: `curl -H "token: ${REDACTED}"`, deep: [{ value: REDACTED }] });
        }
      });
    });
  });
}
