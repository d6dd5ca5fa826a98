import { describe, expect, it } from 'vitest';
import type { PlanEditInput } from './plan-versions.js';
import { expectCode, plan, task, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for plan versions, edits and approvals (`plan-versions.ts`; see `store.case.ts`). */
export function planVersionCases(h: StoreHolder): void {
  describe('plan versions', () => {
    const AT = 1_767_000_000_000;
    /** p1 with T2 retitled and a new T3 (requires T2); T1.2's note is kept by the edit */
    const edited = (base = 1, by = 'ada'): PlanEditInput => {
      const p = plan('p1');
      const tasks = [...p.tasks.map((t) => (t.id === 'T2' ? { ...t, title: 'Task T2, retitled' } : t)), task('p1', 'T3', { dependencies: ['T2'] })];
      return { planId: 'p1', tasks, leaves: ['T1.1', 'T1.2', 'T2', 'T3'], baseVersion: base, by, at: AT, summary: 'retitle T2, add T3' };
    };

    it('savePlan writes version 1 (the planner output, without notes) once', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.savePlan({ ...plan('p1'), goal: 'changed' });
      const versions = await h.store.listPlanVersions('p1');
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatchObject({ planId: 'p1', version: 1, by: 'planner', createdAt: plan('p1').createdAt });
      expect(versions[0]!.tasks.map((t) => t.id)).toStrictEqual(['T1', 'T1.1', 'T1.2', 'T2']);
      expect(versions[0]!.tasks.every((t) => t.notes.length === 0)).toBe(true);
      expect(versions[0]!.leaves).toStrictEqual(['T1.1', 'T1.2', 'T2']);
      expect('approvedBy' in versions[0]!).toBe(false);
      expect(await h.store.listPlanVersions('nope')).toStrictEqual([]);
    });

    it('editPlan replaces the tasks, stores meta.leaves, writes version 2 and its audit entry together', async () => {
      await h.store.savePlan(plan('p1'));
      const v2 = await h.store.editPlan(edited());
      expect(v2).toMatchObject({ planId: 'p1', version: 2, by: 'ada', summary: 'retitle T2, add T3', createdAt: new Date(AT).toISOString() });
      expect(v2.leaves).toStrictEqual(['T1.1', 'T1.2', 'T2', 'T3']);
      const tasks = await h.store.listTasks('p1');
      expect(tasks.map((t) => t.id)).toStrictEqual(['T1', 'T1.1', 'T1.2', 'T2', 'T3']);
      expect(tasks.find((t) => t.id === 'T2')!.title).toBe('Task T2, retitled');
      expect(tasks.find((t) => t.id === 'T1.2')!.notes).toStrictEqual(['earlier note']);
      expect((await h.store.getPlan('p1'))!.meta['leaves']).toStrictEqual(['T1.1', 'T1.2', 'T2', 'T3']);
      expect(await h.store.listLinks('p1', 'T3')).toStrictEqual([{ planId: 'p1', from: 'T3', to: 'T2', type: 'requires' }]);
      const versions = await h.store.listPlanVersions('p1');
      expect(versions.map((v) => v.version)).toStrictEqual([1, 2]);
      expect(versions[0]!.tasks.find((t) => t.id === 'T2')!.title).toBe('Task T2');
      expect(await h.store.listAudit()).toMatchObject([{ kind: 'plan-edit', who: 'ada', subject: 'p1', reason: 'retitle T2, add T3', at: AT, details: { planId: 'p1', version: 2 } }]);
      expect('runId' in (await h.store.listAudit())[0]!).toBe(false);
      await h.store.editPlan({ ...edited(2), runId: 'R9', summary: 'again' });
      expect(await h.store.listAudit('R9')).toMatchObject([{ kind: 'plan-edit', reason: 'again', details: { version: 3 } }]);
    });

    it('a removed task loses its links and context overrides', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.addLink({ planId: 'p1', from: 'T1.1', to: 'T2', type: 'refers' });
      await h.store.putContextOverrides('p1', 'T2', { pins: ['a.ts'], excludes: [] });
      const p = plan('p1');
      const tasks = p.tasks.filter((t) => t.id !== 'T2');
      await h.store.editPlan({ planId: 'p1', tasks, leaves: ['T1.1', 'T1.2'], baseVersion: 1, by: 'ada', at: AT, summary: 'remove T2' });
      expect(await h.store.getTask('p1', 'T2')).toBeUndefined();
      expect((await h.store.listLinks('p1')).filter((l) => l.from === 'T2' || l.to === 'T2')).toStrictEqual([]);
      await h.store.savePlan({ ...p, tasks: [...tasks, { ...p.tasks[3]!, dependencies: [] }] });
      expect(await h.store.getContextOverrides('p1', 'T2')).toStrictEqual({ pins: [], excludes: [] });
    });

    it('refuses an edit made from an older version (RUN_STATE) and an unknown plan (NOT_FOUND), writing nothing', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.editPlan(edited(1));
      await expectCode(h.store.editPlan({ ...edited(1), summary: 'stale' }), 'RUN_STATE');
      await expectCode(h.store.editPlan({ ...edited(1), planId: 'nope' }), 'NOT_FOUND');
      expect((await h.store.listPlanVersions('p1')).map((v) => v.version)).toStrictEqual([1, 2]);
      expect(await h.store.listAudit()).toHaveLength(1);
    });

    it('an edit whose audit entry cannot be written changes nothing', async () => {
      await h.store.savePlan(plan('p1'));
      await expectCode(h.store.editPlan({ ...edited(), at: 1.5 }), 'CONFIG_INVALID');
      expect((await h.store.listTasks('p1')).map((t) => t.id)).toStrictEqual(['T1', 'T1.1', 'T1.2', 'T2']);
      expect(await h.store.listPlanVersions('p1')).toHaveLength(1);
      expect(await h.store.listAudit()).toStrictEqual([]);
    });

    it('approvePlan approves the newest version once, audited with its run; a newer edit needs a new approval', async () => {
      await h.store.savePlan(plan('p1'));
      await expectCode(h.store.approvePlan({ planId: 'p1', version: 2, by: 'bo', at: AT }), 'RUN_STATE');
      const v1 = await h.store.approvePlan({ planId: 'p1', version: 1, by: 'bo', at: AT, runId: 'R1' });
      expect(v1).toMatchObject({ version: 1, approvedBy: 'bo', approvedAt: new Date(AT).toISOString() });
      const again = await h.store.approvePlan({ planId: 'p1', version: 1, by: 'cy', at: AT + 1 });
      expect(again.approvedBy).toBe('bo');
      expect(await h.store.listAudit()).toMatchObject([{ kind: 'plan-approved', who: 'bo', runId: 'R1', subject: 'p1', details: { version: 1 } }]);
      await h.store.editPlan(edited(1));
      const versions = await h.store.listPlanVersions('p1');
      expect(versions.map((v) => v.approvedBy ?? null)).toStrictEqual(['bo', null]);
      await expectCode(h.store.approvePlan({ planId: 'nope', version: 1, by: 'bo', at: AT }), 'NOT_FOUND');
    });
  });
}
