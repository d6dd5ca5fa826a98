import { describe, expect, it } from 'vitest';
import { type PlannedTask, assemblePlan } from './assemble-plan.js';

const t = (id: string, dependencies: string[], extra: Partial<PlannedTask> = {}): PlannedTask => ({
  id,
  depth: 0,
  title: id,
  description: '',
  acceptance: [],
  files: [],
  dependencies,
  children: [],
  ...extra,
});

describe('assemblePlan', () => {
  it('expands a dependency on a decomposed task to all its leaves and lets subtasks inherit', () => {
    const { tasks, leaves } = assemblePlan(
      [
        t('A', [], { children: ['A.1', 'A.2'] }),
        t('A.1', [], { parent: 'A', depth: 1 }),
        t('A.2', [], { parent: 'A', depth: 1 }),
        t('B', ['A']),
        t('C', ['B'], { children: ['C.1', 'C.2'] }),
        t('C.1', [], { parent: 'C', depth: 1 }),
        t('C.2', ['C.1'], { parent: 'C', depth: 1 }),
        t('D', ['A', 'C']),
      ],
      'p',
    );
    const deps = Object.fromEntries(tasks.map((x) => [x.id, x.dependencies]));
    expect(deps).toEqual({ A: [], 'A.1': [], 'A.2': [], B: ['A.1', 'A.2'], C: ['B'], 'C.1': ['B'], 'C.2': ['C.1'], D: ['A.1', 'A.2', 'C.1', 'C.2'] });
    expect(tasks.filter((x) => !x.atomic).map((x) => x.id)).toEqual(['A', 'C']);
    expect(leaves).toEqual(['A.1', 'A.2', 'B', 'C.1', 'C.2', 'D']);
  });

  it('throws PLAN_INVALID with the path when the leaf graph has a cycle', () => {
    expect(() =>
      assemblePlan([t('A', ['B']), t('B', [], { children: ['B.1'] }), t('B.1', ['A'], { parent: 'B', depth: 1 })], 'p'),
    ).toThrow(/cycle after decomposition: A -> B\.1 -> A/);
  });
});
