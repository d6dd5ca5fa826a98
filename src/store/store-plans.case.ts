import { describe, expect, it } from 'vitest';
import type { TaskLink } from '../core/task.js';
import { expectCode, plan, task, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for migrations, plans, tasks and links (see `store.case.ts`). */
export function planCases(h: StoreHolder): void {
  describe('migrate', () => {
    it('is idempotent and keeps data', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.migrate();
      await h.store.migrate();
      expect(await h.store.getPlan('p1')).toStrictEqual(plan('p1'));
    });
  });

  describe('plans', () => {
    it('round-trips a plan with its tasks, JSON fields and absent optional fields', async () => {
      const p = plan('p1');
      await h.store.savePlan(p);
      const back = await h.store.getPlan('p1');
      expect(back).toStrictEqual(p);
      expect(back?.tasks[0]).not.toHaveProperty('parent');
      expect(back?.tasks[1]?.parent).toBe('T1');
      expect(await h.store.listTasks('p1')).toStrictEqual(p.tasks);
      expect(await h.store.getTask('p1', 'T1.2')).toStrictEqual(p.tasks[2]);
    });

    it('returns undefined / empty for unknown plans and tasks', async () => {
      expect(await h.store.getPlan('nope')).toBeUndefined();
      expect(await h.store.getTask('nope', 'T1')).toBeUndefined();
      expect(await h.store.listTasks('nope')).toStrictEqual([]);
      expect(await h.store.listPlans()).toStrictEqual([]);
      await h.store.savePlan(plan('p1'));
      expect(await h.store.getTask('p1', 'T9')).toBeUndefined();
    });

    it('lists plans newest first, ties in reverse insertion order', async () => {
      await h.store.savePlan(plan('old', '2025-01-01T00:00:00.000Z'));
      await h.store.savePlan(plan('new', '2025-03-01T00:00:00.000Z'));
      await h.store.savePlan(plan('tie1', '2025-02-01T00:00:00.000Z'));
      await h.store.savePlan(plan('tie2', '2025-02-01T00:00:00.000Z'));
      const plans = await h.store.listPlans();
      expect(plans.map((p) => p.id)).toStrictEqual(['new', 'tie2', 'tie1', 'old']);
      expect(plans[0]).toStrictEqual(plan('new', '2025-03-01T00:00:00.000Z'));
    });

    it('savePlan upserts: changed tasks are updated, plan order wins, requires links follow dependencies', async () => {
      await h.store.savePlan(plan('p1'));
      const p = plan('p1');
      const [t1, t11, t12, t2] = p.tasks;
      if (!t1 || !t11 || !t12 || !t2) throw new Error('fixture');
      const changed = {
        ...p,
        goal: 'new goal',
        meta: { v: 2 },
        tasks: [t2, { ...t12, dependencies: [], title: 'renamed' }, t11, t1],
      };
      await h.store.savePlan(changed);
      expect(await h.store.getPlan('p1')).toStrictEqual(changed);
      expect(await h.store.listLinks('p1')).toStrictEqual([{ planId: 'p1', from: 'T2', to: 'T1.2', type: 'requires' }]);
    });
  });

  describe('tasks', () => {
    it('putTask appends a new task last and updates an existing one in place', async () => {
      await h.store.savePlan(plan('p1'));
      const extra = task('p1', 'T3', { dependencies: ['T2', 'T1.1'], parent: 'T1', depth: 1 });
      await h.store.putTask(extra);
      const updated = { ...task('p1', 'T1.1', { parent: 'T1', depth: 1 }), title: 'changed', tags: [], atomic: false };
      await h.store.putTask(updated);
      const tasks = await h.store.listTasks('p1');
      expect(tasks.map((t) => t.id)).toStrictEqual(['T1', 'T1.1', 'T1.2', 'T2', 'T3']);
      expect(tasks[4]).toStrictEqual(extra);
      expect(tasks[1]).toStrictEqual(updated);
      expect(await h.store.listLinks('p1', 'T3')).toStrictEqual([
        { planId: 'p1', from: 'T3', to: 'T1.1', type: 'requires' },
        { planId: 'p1', from: 'T3', to: 'T2', type: 'requires' },
      ]);
      await h.store.putTask({ ...extra, dependencies: ['T2'] });
      expect(await h.store.listLinks('p1', 'T3')).toStrictEqual([{ planId: 'p1', from: 'T3', to: 'T2', type: 'requires' }]);
    });

    it('putTask rejects NOT_FOUND for a task of an unknown plan', async () => {
      await expectCode(h.store.putTask(task('nope', 'T1')), 'NOT_FOUND');
    });

    it('appendTaskNote appends in order, returns and persists the task', async () => {
      await h.store.savePlan(plan('p1'));
      const first = await h.store.appendTaskNote('p1', 'T1.2', 'verify failed: `npm test` exit 1\n  expected "a"');
      expect(first.notes).toStrictEqual(['earlier note', 'verify failed: `npm test` exit 1\n  expected "a"']);
      const second = await h.store.appendTaskNote('p1', 'T1.2', 'second ✓ [1,2] {"x":1}');
      expect(second).toStrictEqual({ ...plan('p1').tasks[2], notes: [...first.notes, 'second ✓ [1,2] {"x":1}'] });
      expect(await h.store.getTask('p1', 'T1.2')).toStrictEqual(second);
      expect((await h.store.getTask('p1', 'T1.1'))?.notes).toStrictEqual([]);
    });

    it('appendTaskNote and setTaskStatus reject NOT_FOUND for unknown tasks', async () => {
      await h.store.savePlan(plan('p1'));
      await expectCode(h.store.appendTaskNote('p1', 'T9', 'x'), 'NOT_FOUND');
      await expectCode(h.store.appendTaskNote('nope', 'T1', 'x'), 'NOT_FOUND');
      await expectCode(h.store.setTaskStatus('p1', 'T9', 'done'), 'NOT_FOUND');
    });

    it('setTaskStatus changes only the status', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.setTaskStatus('p1', 'T1.1', 'failed');
      expect(await h.store.getTask('p1', 'T1.1')).toStrictEqual({ ...plan('p1').tasks[1], status: 'failed' });
      expect((await h.store.getTask('p1', 'T2'))?.status).toBe('done');
    });
  });

  describe('links', () => {
    it('savePlan creates requires links from dependencies (from requires to)', async () => {
      await h.store.savePlan(plan('p1'));
      expect(await h.store.listLinks('p1')).toStrictEqual([
        { planId: 'p1', from: 'T1.2', to: 'T1.1', type: 'requires' },
        { planId: 'p1', from: 'T2', to: 'T1.2', type: 'requires' },
      ]);
    });

    it('adds, lists (sorted; by task in both directions) and removes links', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.savePlan(plan('p2'));
      const refers: TaskLink = { planId: 'p1', from: 'T2', to: 'T1.1', type: 'refers' };
      const relates: TaskLink = { planId: 'p1', from: 'T1', to: 'T2', type: 'relates_to' };
      await h.store.addLink(refers);
      await h.store.addLink(relates);
      await h.store.addLink(refers);
      expect(await h.store.listLinks('p1', 'T2')).toStrictEqual([
        relates,
        { planId: 'p1', from: 'T2', to: 'T1.1', type: 'refers' },
        { planId: 'p1', from: 'T2', to: 'T1.2', type: 'requires' },
      ]);
      expect(await h.store.listLinks('p1', 'T1.1')).toStrictEqual([
        { planId: 'p1', from: 'T1.2', to: 'T1.1', type: 'requires' },
        refers,
      ]);
      expect(await h.store.listLinks('p2')).toHaveLength(2);
      await h.store.removeLink(refers);
      await h.store.removeLink(refers);
      expect(await h.store.listLinks('p1', 'T1.1')).toStrictEqual([{ planId: 'p1', from: 'T1.2', to: 'T1.1', type: 'requires' }]);
      expect(await h.store.listLinks('p2')).toHaveLength(2);
    });

    it('a requires link added or removed by hand updates the from task dependencies', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.addLink({ planId: 'p1', from: 'T2', to: 'T1.1', type: 'requires' });
      expect((await h.store.getTask('p1', 'T2'))?.dependencies).toStrictEqual(['T1.2', 'T1.1']);
      await h.store.removeLink({ planId: 'p1', from: 'T2', to: 'T1.2', type: 'requires' });
      expect((await h.store.getTask('p1', 'T2'))?.dependencies).toStrictEqual(['T1.1']);
      expect(await h.store.listLinks('p1', 'T2')).toStrictEqual([{ planId: 'p1', from: 'T2', to: 'T1.1', type: 'requires' }]);
    });

    it('addLink rejects NOT_FOUND when a task or the plan is unknown', async () => {
      await h.store.savePlan(plan('p1'));
      await expectCode(h.store.addLink({ planId: 'p1', from: 'T1', to: 'T9', type: 'refers' }), 'NOT_FOUND');
      await expectCode(h.store.addLink({ planId: 'p1', from: 'T9', to: 'T1', type: 'refers' }), 'NOT_FOUND');
      await expectCode(h.store.addLink({ planId: 'nope', from: 'T1', to: 'T2', type: 'refers' }), 'NOT_FOUND');
      expect(await h.store.listLinks('p1')).toHaveLength(2);
    });

    it('addLink rejects a requires link that closes a cycle with the path, and writes nothing', async () => {
      await h.store.savePlan(plan('p1'));
      // T2 requires T1.2 requires T1.1; T1.1 requires T2 closes T1.1 -> T2 -> T1.2 -> T1.1
      const error = await expectCode(h.store.addLink({ planId: 'p1', from: 'T1.1', to: 'T2', type: 'requires' }), 'PLAN_INVALID');
      expect(error.details['cycle']).toStrictEqual(['T1.1', 'T2', 'T1.2', 'T1.1']);
      expect(error.message).toContain('T1.1 -> T2 -> T1.2 -> T1.1');
      expect(error.message).toContain('p1');
      const self = await expectCode(h.store.addLink({ planId: 'p1', from: 'T2', to: 'T2', type: 'requires' }), 'PLAN_INVALID');
      expect(self.details['cycle']).toStrictEqual(['T2', 'T2']);
      expect(await h.store.listLinks('p1')).toStrictEqual([
        { planId: 'p1', from: 'T1.2', to: 'T1.1', type: 'requires' },
        { planId: 'p1', from: 'T2', to: 'T1.2', type: 'requires' },
      ]);
      expect((await h.store.getTask('p1', 'T1.1'))?.dependencies).toStrictEqual([]);
    });

    it('addLink allows non-requires links against the requires order, and the cycle link once the path is removed', async () => {
      await h.store.savePlan(plan('p1'));
      await h.store.addLink({ planId: 'p1', from: 'T1.1', to: 'T2', type: 'refers' });
      await h.store.addLink({ planId: 'p1', from: 'T1.1', to: 'T2', type: 'duplicates' });
      await expectCode(h.store.addLink({ planId: 'p1', from: 'T2', to: 'T2', type: 'relates_to' }), 'PLAN_INVALID');
      await h.store.removeLink({ planId: 'p1', from: 'T2', to: 'T1.2', type: 'requires' });
      await h.store.addLink({ planId: 'p1', from: 'T1.1', to: 'T2', type: 'requires' });
      expect((await h.store.getTask('p1', 'T1.1'))?.dependencies).toStrictEqual(['T2']);
      // now T2 -> T1.1 would close T2 -> T1.1 -> T2
      const error = await expectCode(h.store.addLink({ planId: 'p1', from: 'T2', to: 'T1.1', type: 'requires' }), 'PLAN_INVALID');
      expect(error.details['cycle']).toStrictEqual(['T2', 'T1.1', 'T2']);
    });
  });
}
