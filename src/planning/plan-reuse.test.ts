import { describe, expect, it } from 'vitest';
import { chooseReuse, goalSimilarity, goalWords, sameGoal } from './plan-reuse.js';

describe('plan reuse: goal similarity and choice', () => {
  it('is the cosine of word counts: 1 for the same words, 0 for none in common', () => {
    expect(goalWords('Add a --json flag, then ÄNDERN 2 files')).toStrictEqual(['add', 'a', 'json', 'flag', 'then', 'ändern', '2', 'files']);
    expect(goalSimilarity('add multiply', 'Multiply ADD')).toBeCloseTo(1, 12);
    expect(goalSimilarity('add multiply', 'remove logging')).toBe(0);
    expect(goalSimilarity('', 'x')).toBe(0);
    // 4 shared of 5 words each: 4 / (√5·√5) = 0.8
    expect(goalSimilarity('Add multiply to the calculator.', 'Add divide to the calculator.')).toBeCloseTo(0.8, 12);
    // counts matter: "test test fix" vs "test fix" = (2+1)/(√5·√2)
    expect(goalSimilarity('test test fix', 'test fix')).toBeCloseTo(3 / Math.sqrt(10), 12);
  });

  it('prefers an identical goal, else the most similar at or above the threshold, newest first on ties', () => {
    const plans = [
      { goal: 'Add divide to the calculator.', id: 'new' },
      { goal: 'add MULTIPLY   to the calculator.', id: 'same' },
      { goal: 'Add divide to the calculator.', id: 'old' },
    ];
    expect(sameGoal(' Add multiply to the calculator. ', 'add MULTIPLY   to the calculator.')).toBe(true);
    expect(chooseReuse(plans, 'Add multiply to the calculator.', 0.8)).toMatchObject({ mode: 'identical', score: 1, candidate: { id: 'same' } });
    expect(chooseReuse(plans.slice(0, 1).concat(plans.slice(2)), 'Add modulo to the calculator.', 0.8)).toMatchObject({ mode: 'customise', candidate: { id: 'new' } });
    expect(chooseReuse(plans, 'Add modulo to the calculator.', 0.81)).toBeUndefined();
    expect(chooseReuse([], 'anything', 0)).toBeUndefined();
  });
});
