import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import type { TaskLink } from '../core/task.js';
import { checkNewLink, requiresCycle, type RequiresEdge } from './link-rules.js';

const link = (from: string, type: TaskLink['type'], to: string): TaskLink => ({ planId: 'p', from, to, type });
const edges = (...pairs: Array<[string, string]>): RequiresEdge[] => pairs.map(([from, to]) => ({ from, to }));

function thrown(fn: () => void): TaskgraphError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TaskgraphError);
    return e as TaskgraphError;
  }
  throw new Error('expected a TaskgraphError');
}

describe('requiresCycle', () => {
  it('finds the cycle a new requires link closes, from the new edge round to its start', () => {
    // a requires b requires c; c requires a closes c -> a -> b -> c
    expect(requiresCycle(link('c', 'requires', 'a'), edges(['a', 'b'], ['b', 'c']))).toStrictEqual({ cycle: ['c', 'a', 'b', 'c'], closedByLink: true });
  });

  it('finds the way back through branches', () => {
    const g = edges(['x', 'y'], ['x', 'z'], ['z', 'w'], ['w', 'v'], ['x', 'q'], ['a', 'x']);
    expect(requiresCycle(link('v', 'requires', 'x'), g)?.cycle).toStrictEqual(['v', 'x', 'z', 'w', 'v']);
  });

  it('looks only at what the new link reaches: cycles behind the source’s other links do not count', () => {
    // a already requires b, and b, c form a cycle; a new link a -> d does not reach it
    expect(requiresCycle(link('a', 'requires', 'd'), edges(['a', 'b'], ['b', 'c'], ['c', 'b']))).toBeNull();
  });

  it('is null for acyclic additions, diamonds and non-requires links', () => {
    const g = edges(['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd']);
    expect(requiresCycle(link('a', 'requires', 'd'), g)).toBeNull();
    expect(requiresCycle(link('e', 'requires', 'a'), g)).toBeNull();
    expect(requiresCycle(link('d', 'refers', 'a'), g)).toBeNull();
    expect(requiresCycle(link('a', 'requires', 'b'), g)).toBeNull();
  });

  it('reports a self link as a cycle of one', () => {
    expect(requiresCycle(link('a', 'requires', 'a'), [])).toStrictEqual({ cycle: ['a', 'a'], closedByLink: true });
  });

  it('tells a cycle that already exists downstream from one the link closes', () => {
    const found = requiresCycle(link('a', 'requires', 'b'), edges(['b', 'c'], ['c', 'b']));
    expect(found).toStrictEqual({ cycle: ['b', 'c', 'b'], closedByLink: false });
  });
});

describe('checkNewLink', () => {
  it('passes a valid link', () => {
    expect(() => checkNewLink(link('a', 'requires', 'b'), edges(['b', 'c']))).not.toThrow();
    expect(() => checkNewLink(link('c', 'refers', 'a'), edges(['a', 'b'], ['b', 'c']))).not.toThrow();
  });

  it('rejects a requires cycle with the path in the message and details', () => {
    const e = thrown(() => checkNewLink(link('c', 'requires', 'a'), edges(['a', 'b'], ['b', 'c'])));
    expect(e.code).toBe('PLAN_INVALID');
    expect(e.message).toContain('c requires a would create a requires cycle in plan p: c -> a -> b -> c');
    expect(e.details['cycle']).toStrictEqual(['c', 'a', 'b', 'c']);
    expect(e.hint).toMatch(/link rm/);
  });

  it('rejects a link into an existing cycle, an unknown type and a non-requires self link', () => {
    const into = thrown(() => checkNewLink(link('a', 'requires', 'b'), edges(['b', 'c'], ['c', 'b'])));
    expect(into.message).toContain('b already depends on a requires cycle in plan p: b -> c -> b');
    const type = thrown(() => checkNewLink({ planId: 'p', from: 'a', to: 'b', type: 'blocks' as TaskLink['type'] }, []));
    expect(type.message).toContain('unknown link type "blocks"');
    expect(type.hint).toContain('requires, refers, duplicates, relates_to');
    expect(thrown(() => checkNewLink(link('a', 'refers', 'a'), [])).message).toContain('cannot link to itself');
  });
});
