import { describe, expect, it } from 'vitest';
import type { PlanOutput } from './plan-schema.js';
import { formatPlanIssues, validatePlanOutput } from './validate-plan.js';

const plan = (tasks: Array<[id: string, deps: string[]]>): PlanOutput => ({
  tasks: tasks.map(([id, dependencies]) => ({ id, title: id, description: '', acceptance: ['ok'], dependencies, atomic: true, files: [] })),
});

describe('validatePlanOutput', () => {
  it('accepts a DAG, including dependencies on existing ids', () => {
    expect(validatePlanOutput(plan([['a', []], ['b', ['a', 'x']], ['c', ['a', 'b']]]), { existingIds: ['x'] })).toEqual([]);
  });

  it('reports duplicate ids, unknown and self dependencies', () => {
    const issues = validatePlanOutput(plan([['a', ['a']], ['b', ['zz']], ['a', []]]));
    expect(issues).toEqual([
      { path: 'tasks[2].id', message: 'duplicate id "a" (also tasks[0]); give every task its own id' },
      { path: 'tasks[0].dependencies[0]', message: 'task "a" depends on itself; remove it from its own dependencies' },
      { path: 'tasks[1].dependencies[0]', message: 'task "b" depends on unknown task "zz" (known ids: a, b)' },
    ]);
  });

  it('reports a cycle as a path where each task depends on the next', () => {
    const issues = validatePlanOutput(plan([['a', ['c']], ['b', ['a']], ['c', ['b']], ['d', []]]));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/^cycle: a -> c -> b -> a /);
    expect(formatPlanIssues(issues)).toMatch(/^- tasks: cycle: a -> c -> b -> a/);
  });

  it('rejects ids that clash with existing ids or get too long with the prefix', () => {
    const long = 'x'.repeat(62); // 'T2.' + 62 = 65 characters, one over the limit
    const issues = validatePlanOutput(plan([['1', []], [long, []]]), { existingIds: ['1'], idPrefix: 'T2.' });
    expect(issues.map((i) => i.path)).toEqual(['tasks[0].id', 'tasks[1].id']);
    expect(issues[1]!.message).toContain('too long');
  });
});
