import { describe, expect, it } from 'vitest';
import { testTask } from '../../test/support/task.js';
import { diffPlans, isEmptyDiff, renderPlanDiff } from './plan-diff.js';

const t = testTask;

const V1 = [t('T1'), t('T2', { dependencies: ['T1'] }), t('T3', { dependencies: ['T2'] })];

describe('plan diff', () => {
  it('finds no change between equal versions (notes are not plan content)', () => {
    const diff = diffPlans({ version: 1, by: 'planner', tasks: V1 }, { version: 2, by: 'ada', tasks: V1.map((x) => ({ ...x, notes: ['run note'] })) });
    expect(isEmptyDiff(diff)).toBe(true);
    expect(renderPlanDiff('p', diff)).toBe('plan p: version 1 (planner) -> version 2 (ada)\nno changes');
  });

  it('lists added and removed tasks, changed fields, edges and reorderings', () => {
    const v3 = [t('T2', { title: 'Renamed', acceptance: ['new'], dependencies: [] }), t('T1'), t('T4', { dependencies: ['T2'] })];
    const diff = diffPlans({ version: 1, by: 'planner', tasks: V1 }, { version: 3, by: 'ada', tasks: v3, approvedBy: 'bo' });
    expect(diff.added).toStrictEqual([{ id: 'T4', title: 'Task T4', dependencies: ['T2'], parent: null }]);
    expect(diff.removed).toStrictEqual([{ id: 'T3', title: 'Task T3' }]);
    expect(diff.changed).toStrictEqual([{ id: 'T2', fields: { title: { from: 'Task T2', to: 'Renamed' }, acceptance: { from: ['T2 works'], to: ['new'] } } }]);
    expect(diff.edges).toStrictEqual({ added: [{ from: 'T4', to: 'T2' }], removed: [{ from: 'T2', to: 'T1' }, { from: 'T3', to: 'T2' }] });
    expect(diff.reordered).toStrictEqual([{ parent: null, from: ['T1', 'T2'], to: ['T2', 'T1'] }]);
    expect(renderPlanDiff('p', diff).split('\n')).toStrictEqual([
      'plan p: version 1 (planner) -> version 3 (ada, approved by bo)',
      '+ T4  Task T4  (deps: T2)',
      '- T3  Task T3',
      '~ T2  title: "Task T2" -> "Renamed"',
      '~ T2  acceptance: ["T2 works"] -> ["new"]',
      '+ edge T4 requires T2',
      '- edge T2 requires T1',
      '- edge T3 requires T2',
      '↕ top level: T1, T2 -> T2, T1',
    ]);
  });

  it('reports a re-parented task as a parent change', () => {
    const v2 = [t('T1', { atomic: false }), t('T2', { parent: 'T1', depth: 1, dependencies: ['T1'] }), t('T3', { dependencies: ['T2'] })];
    const diff = diffPlans({ version: 1, by: 'planner', tasks: V1 }, { version: 2, by: 'ada', tasks: v2 });
    expect(diff.changed).toStrictEqual([
      { id: 'T1', fields: { atomic: { from: true, to: false } } },
      { id: 'T2', fields: { parent: { from: null, to: 'T1' } } },
    ]);
    expect(diff.reordered).toStrictEqual([]);
  });
});
