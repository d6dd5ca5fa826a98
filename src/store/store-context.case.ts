import { describe, expect, it } from 'vitest';
import type { ContextOverrides } from './store.js';
import { expectCode, plan, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for a task's context overrides (pins and excludes; see `store.case.ts`). */
export function contextOverrideCases(h: StoreHolder): void {
  describe('context overrides', () => {
    it('are empty for a task that has none', async () => {
      await h.store.savePlan(plan('p1'));
      expect(await h.store.getContextOverrides('p1', 'T1.2')).toStrictEqual({ pins: [], excludes: [] });
    });

    it('round-trip per task, replace the previous value, and survive a re-saved plan', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.savePlan(plan('p2'));
      const first: ContextOverrides = { pins: ['README.md', 'docs/**/*.md', 'T2'], excludes: ['src/calc.js'] };
      await h.store.putContextOverrides('p1', 'T1.2', first);
      expect(await h.store.getContextOverrides('p1', 'T1.2')).toStrictEqual(first);
      expect(await h.store.getContextOverrides('p1', 'T2')).toStrictEqual({ pins: [], excludes: [] });
      expect(await h.store.getContextOverrides('p2', 'T1.2')).toStrictEqual({ pins: [], excludes: [] });

      const second: ContextOverrides = { pins: ['ünïcode ✓/"quoted".md'], excludes: [] };
      await h.store.putContextOverrides('p1', 'T1.2', second);
      expect(await h.store.getContextOverrides('p1', 'T1.2')).toStrictEqual(second);

      await h.store.savePlan(plan('p1'));
      expect(await h.store.getContextOverrides('p1', 'T1.2')).toStrictEqual(second);
      await h.store.putContextOverrides('p1', 'T1.2', { pins: [], excludes: [] });
      expect(await h.store.getContextOverrides('p1', 'T1.2')).toStrictEqual({ pins: [], excludes: [] });
    });

    it('does not share the caller’s arrays', async () => {
      await h.store.savePlan(plan('p1'));
      const overrides: ContextOverrides = { pins: ['a.md'], excludes: ['b.md'] };
      await h.store.putContextOverrides('p1', 'T1', overrides);
      overrides.pins.push('changed-after-put');
      const back = await h.store.getContextOverrides('p1', 'T1');
      expect(back).toStrictEqual({ pins: ['a.md'], excludes: ['b.md'] });
      back.excludes.push('changed-after-get');
      expect(await h.store.getContextOverrides('p1', 'T1')).toStrictEqual({ pins: ['a.md'], excludes: ['b.md'] });
    });

    it('reject NOT_FOUND naming the task and plan for an unknown task or plan', async () => {
      await h.store.savePlan(plan('p1'));
      const get = await expectCode(h.store.getContextOverrides('p1', 'T9'), 'NOT_FOUND');
      expect(get.message).toContain('T9');
      expect(get.message).toContain('p1');
      const put = await expectCode(h.store.putContextOverrides('p1', 'T9', { pins: ['x'], excludes: [] }), 'NOT_FOUND');
      expect(put.message).toContain('T9');
      await expectCode(h.store.getContextOverrides('nope', 'T1'), 'NOT_FOUND');
      await expectCode(h.store.putContextOverrides('nope', 'T1', { pins: [], excludes: [] }), 'NOT_FOUND');
    });
  });
}
