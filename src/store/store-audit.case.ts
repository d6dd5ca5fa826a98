import { describe, expect, it } from 'vitest';
import type { AuditInput } from './audit.js';
import { expectCode, run, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for the audit log (`audit.ts`; see `store.case.ts`). */
export function auditCases(h: StoreHolder): void {
  describe('audit log', () => {
    const entry = (over: Partial<AuditInput> = {}): AuditInput => ({
      at: 1_767_000_000_123,
      who: 'ada',
      kind: 'command-refused',
      subject: 'git push origin "main" — ünïcode ✓',
      reason: 'rule git-push: git push publishes commits',
      details: { rule: 'git-push', matched: ['git', 'push'], nested: { n: 1, ok: true, none: null } },
      ...over,
    });

    it('is empty in a new store', async () => {
      expect(await h.store.listAudit()).toEqual([]);
      expect(await h.store.listAudit('R1')).toEqual([]);
    });

    it('appends entries with ascending ids and lists them in order, per run or all', async () => {
      await h.store.createRun(run('R1'));
      await h.store.createRun(run('R2'));
      const a = await h.store.appendAudit(entry({ runId: 'R1' }));
      const b = await h.store.appendAudit(entry({ runId: 'R2', kind: 'command-allowed-unlisted', risk: 40, subject: 'make docs', reason: '--yes-commands' }));
      const c = await h.store.appendAudit(entry({ details: {} }));
      const d = await h.store.appendAudit(entry({ runId: 'R1', risk: 0 }));
      expect(a.id).toBeLessThan(b.id);
      expect(b.id).toBeLessThan(c.id);
      expect(c.id).toBeLessThan(d.id);
      expect(a).toStrictEqual({ id: a.id, ...entry({ runId: 'R1' }) });
      expect(c).toStrictEqual({ id: c.id, ...entry({ details: {} }) });
      expect('runId' in c).toBe(false);
      expect('risk' in a).toBe(false);
      expect(await h.store.listAudit('R1')).toStrictEqual([a, d]);
      expect(await h.store.listAudit('R2')).toStrictEqual([b]);
      expect(await h.store.listAudit()).toStrictEqual([a, b, c, d]);
      expect(await h.store.listAudit('nope')).toEqual([]);
    });

    it('defaults details to {}', async () => {
      const { details: _omit, ...rest } = entry();
      const stored = await h.store.appendAudit(rest);
      expect(stored.details).toStrictEqual({});
      expect((await h.store.listAudit())[0]?.details).toStrictEqual({});
    });

    it('refuses an unknown kind, a risk outside 0–100 and a fractional time, writing nothing', async () => {
      await expectCode(h.store.appendAudit(entry({ kind: 'no-such-kind' as never })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ risk: 101 })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ risk: -1 })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ risk: 2.5 })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ at: 1.5 })), 'CONFIG_INVALID');
      expect(await h.store.listAudit()).toEqual([]);
    });
  });
}
