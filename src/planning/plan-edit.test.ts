import { describe, expect, it } from 'vitest';
import { testTask } from '../../test/support/task.js';
import { TaskgraphError } from '../core/errors.js';
import type { Task } from '../core/task.js';
import { addTask, checkPlanTasks, finishEdit, moveTask, planLeaves, removeTask, setDependency, updateTask } from './plan-edit.js';

const t = testTask;

/** T1; T2 (composite) with T2.1, T2.2 (requires T2.1); T3 requires T2.2 and T1. */
const PLAN: Task[] = [
  t('T1'),
  t('T2', { atomic: false }),
  t('T2.1', { parent: 'T2', depth: 1 }),
  t('T2.2', { parent: 'T2', depth: 1, dependencies: ['T2.1'] }),
  t('T3', { dependencies: ['T2.2', 'T1'] }),
];

const refused = (fn: () => unknown): TaskgraphError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof TaskgraphError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('plan edits', () => {
  it('adds a task after another, with the next free id, and orders the leaves by dependencies', () => {
    const done = finishEdit('p', addTask(PLAN, 'p', { title: 'Write docs', acceptance: ['docs exist'], after: 'T1', dependencies: ['T3'] }));
    expect(done.tasks.map((x) => x.id)).toStrictEqual(['T1', 'T4', 'T2', 'T2.1', 'T2.2', 'T3']);
    expect(done.summary).toBe('add T4 "Write docs"');
    // T4 is placed second but needs T3, so it runs last
    expect(done.leaves).toStrictEqual(['T1', 'T2.1', 'T2.2', 'T3', 'T4']);
  });

  it('adds a subtask under a parent as PARENT.<n>; an atomic parent becomes composite and dependants move to its leaves', () => {
    const under = finishEdit('p', addTask(PLAN, 'p', { title: 'Edge cases', acceptance: ['x'], parent: 'T2' }));
    expect(under.tasks.find((x) => x.id === 'T2.3')).toMatchObject({ parent: 'T2', depth: 1, atomic: true });
    const split = finishEdit('p', addTask(PLAN, 'p', { title: 'Half of T1', acceptance: ['x'], parent: 'T1' }));
    expect(split.tasks.find((x) => x.id === 'T1')!.atomic).toBe(false);
    expect(split.tasks.find((x) => x.id === 'T3')!.dependencies).toStrictEqual(['T2.2', 'T1.1']);
    expect(split.leaves).not.toContain('T1');
  });

  it('refuses a dangling dependency, naming it, and an id in use', () => {
    const dangling = refused(() => finishEdit('p', addTask(PLAN, 'p', { title: 'x', acceptance: ['x'], dependencies: ['T9'] })));
    expect(dangling.code).toBe('PLAN_INVALID');
    expect(dangling.message).toContain('T4 depends on unknown task "T9" (dangling dependency)');
    expect(dangling.message).toContain('nothing was changed');
    expect(refused(() => addTask(PLAN, 'p', { id: 'T1', title: 'x' })).message).toContain('"T1" is already used');
  });

  it('refuses a dependency cycle with its path in the message and the details', () => {
    const error = refused(() => finishEdit('p', setDependency(PLAN, 'T2.1', 'T3', true)));
    expect(error.code).toBe('PLAN_INVALID');
    expect(error.message).toContain('cycle: T2.1 -> T3 -> T2.2 -> T2.1 (each task depends on the next)');
    expect(error.details['cycle']).toStrictEqual(['T2.1', 'T3', 'T2.2', 'T2.1']);
    expect(error.hint).toContain('link rm T2.1 requires T3');
    expect(checkPlanTasks(PLAN)).toStrictEqual([]);
  });

  it('validates task text like planner output (a title of one line, an acceptance criterion)', () => {
    expect(refused(() => finishEdit('p', updateTask(PLAN, 'T1', { title: 'two\nlines' }))).message).toContain('T1.title');
    expect(refused(() => finishEdit('p', addTask(PLAN, 'p', { title: 'no criteria' }))).message).toContain('T4.acceptance');
  });

  it('with the tasks before the edit, checks the text of added and changed tasks only', () => {
    const legacy = PLAN.map((x) => (x.id === 'T2' ? { ...x, acceptance: [] } : x));
    expect(finishEdit('p', updateTask(legacy, 'T1', { title: 'Fine' }), legacy).tasks[0]!.title).toBe('Fine');
    expect(refused(() => finishEdit('p', updateTask(legacy, 'T2', { title: 'Still no criteria' }), legacy)).message).toContain('T2.acceptance');
  });

  it('removes a task only when nothing depends on it, unless forced, which drops those edges', () => {
    const error = refused(() => removeTask(PLAN, 'T1'));
    expect(error.message).toContain('T3 depends on T1; nothing was removed');
    const forced = finishEdit('p', removeTask(PLAN, 'T1', { force: true }));
    expect(forced.tasks.map((x) => x.id)).toStrictEqual(['T2', 'T2.1', 'T2.2', 'T3']);
    expect(forced.tasks.find((x) => x.id === 'T3')!.dependencies).toStrictEqual(['T2.2']);
    expect(forced.summary).toBe('remove T1 "Task T1", dropping the dependencies of T3');
  });

  it('removing the last subtask makes the parent atomic again; a subtree goes with its root', () => {
    const one = finishEdit('p', removeTask(finishEdit('p', removeTask(PLAN, 'T2.2', { force: true })).tasks, 'T2.1'));
    expect(one.tasks.find((x) => x.id === 'T2')!.atomic).toBe(true);
    expect(one.leaves).toStrictEqual(['T1', 'T2', 'T3']);
    const all = finishEdit('p', removeTask(PLAN, 'T2', { force: true }));
    expect(all.tasks.map((x) => x.id)).toStrictEqual(['T1', 'T3']);
  });

  it('updates fields and status; refuses an empty update and an unknown status', () => {
    const done = finishEdit('p', updateTask(PLAN, 'T3', { title: 'New', status: 'skipped' }));
    expect(done.tasks.find((x) => x.id === 'T3')).toMatchObject({ title: 'New', status: 'skipped' });
    expect(done.summary).toBe('update T3: title, status');
    expect(refused(() => updateTask(PLAN, 'T3', {})).code).toBe('CONFIG_INVALID');
    expect(refused(() => updateTask(PLAN, 'T3', { status: 'weird' as never })).code).toBe('CONFIG_INVALID');
    expect(refused(() => updateTask(PLAN, 'T9', { title: 'x' })).code).toBe('NOT_FOUND');
  });

  it('moves a task with its subtasks, re-parents with depths, and refuses a move into its own subtree', () => {
    const first = finishEdit('p', moveTask(PLAN, 'T2', { before: 'T1' }));
    expect(first.tasks.map((x) => x.id)).toStrictEqual(['T2', 'T2.1', 'T2.2', 'T1', 'T3']);
    const under = finishEdit('p', moveTask(PLAN, 'T1', { parent: 'T2' }));
    expect(under.tasks.map((x) => x.id)).toStrictEqual(['T2', 'T2.1', 'T2.2', 'T1', 'T3']);
    expect(under.tasks.find((x) => x.id === 'T1')).toMatchObject({ parent: 'T2', depth: 1 });
    const out = finishEdit('p', moveTask(PLAN, 'T2.1', { after: 'T3' }));
    expect(out.tasks.find((x) => x.id === 'T2.1')).toMatchObject({ depth: 0 });
    expect(out.tasks.find((x) => x.id === 'T2.1')!.parent).toBeUndefined();
    expect(refused(() => moveTask(PLAN, 'T2', { parent: 'T2.1' })).message).toContain('T2.1 is inside T2');
    expect(refused(() => moveTask(PLAN, 'T2', { parent: 'T1', after: 'T3' })).code).toBe('CONFIG_INVALID');
  });

  it('planLeaves keeps plan order where dependencies allow', () => {
    expect(planLeaves(PLAN)).toStrictEqual(['T1', 'T2.1', 'T2.2', 'T3']);
  });
});
