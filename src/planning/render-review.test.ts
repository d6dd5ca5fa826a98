import { describe, expect, it } from 'vitest';
import { testTask } from '../../test/support/task.js';
import { renderPlanReview } from './render-review.js';

const t = testTask;

describe('renderPlanReview', () => {
  it('shows the header, the tree with kinds, statuses and deps, and the acceptance criteria', () => {
    const tasks = [t('T1', { atomic: false }), t('T1.1', { parent: 'T1', depth: 1, status: 'skipped' }), t('T2', { dependencies: ['T1.1'], title: 'two\nlines' })];
    const text = renderPlanReview({ planId: 'p', goal: 'the goal', version: 2, by: 'ada', leaves: ['T1.1', 'T2'] }, tasks);
    expect(text.split('\n')).toStrictEqual([
      'plan p  version 2 (ada), not approved',
      'goal: the goal',
      '3 tasks, 2 to execute, in order: T1.1, T2',
      '',
      'T1  Task T1  [composite]',
      '    ✓ T1 works',
      '  T1.1  Task T1.1  [atomic]  [skipped]',
      '      ✓ T1.1 works',
      'T2  two lines  [atomic]  deps: T1.1',
      '    ✓ T2 works',
    ]);
    expect(renderPlanReview({ planId: 'p', goal: 'g', version: 1, by: 'planner', approvedBy: 'bo', leaves: [] }, [])).toContain('approved by bo');
  });
});
