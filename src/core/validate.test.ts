import { describe, expect, it } from 'vitest';
import { TaskgraphError } from './errors.js';
import { buildGraph, findCycle } from './validate.js';

const node = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'script', config: { fn: 'noop' }, ...extra });

function problems(doc: unknown): string {
  try {
    buildGraph(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(TaskgraphError);
    expect((e as TaskgraphError).code).toBe('GRAPH_INVALID');
    return (e as TaskgraphError).message;
  }
  throw new Error('expected GRAPH_INVALID');
}

describe('buildGraph', () => {
  it('orders nodes topologically with priority then id as tie-break', () => {
    const g = buildGraph({
      nodes: [node('c', { needs: ['a'] }), node('b'), node('a'), node('z', { priority: 5 }), node('d', { inputs: { x: { $ref: 'c' } } })],
    });
    expect(g.order).toEqual(['z', 'a', 'b', 'c', 'd']);
    expect(g.preds.get('d')).toEqual(['c']);
    expect(g.succs.get('a')).toEqual(['c']);
  });

  it('reports the cycle path', () => {
    const msg = problems({ nodes: [node('a', { needs: ['c'] }), node('b', { needs: ['a'] }), node('c', { inputs: { v: { $ref: 'b' } } })] });
    expect(msg).toMatch(/cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/);
  });

  it('lists every problem: duplicate ids, unknown references, self edges', () => {
    const msg = problems({
      nodes: [node('a'), node('a'), node('b', { needs: ['nope'] }), node('c', { inputs: { x: { $ref: 'ghost', path: 'out' } } }), node('d', { needs: ['d'] })],
      edges: [{ from: 'a', to: 'missing' }],
    });
    expect(msg).toContain('duplicate node id "a"');
    expect(msg).toContain('unknown node "nope"');
    expect(msg).toContain('unknown node "ghost"');
    expect(msg).toContain('node "d" depends on itself');
    expect(msg).toContain('edges[0].to: unknown node "missing"');
    expect(msg).toContain('5 problems');
  });

  it('rejects schema errors with paths', () => {
    const msg = problems({ nodes: [{ id: 'a', kind: 'teleport' }] });
    expect(msg).toContain('nodes[0].kind');
    expect(problems({ nodes: [] })).toContain('at least one node');
    expect(problems({ nodes: [{ id: 'bad id!', kind: 'script' }] })).toContain('nodes[0].id');
  });


  it('handles 100,000-node chains without recursion limits', () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) => node(`n${i}`, i > 0 ? { needs: [`n${i - 1}`] } : {}));
    const g = buildGraph({ nodes });
    expect(g.order.length).toBe(100_000);
    expect(g.order[99_999]).toBe('n99999');
    const succs = new Map<string, string[]>(nodes.map((n, i) => [n.id, i < nodes.length - 1 ? [`n${i + 1}`] : ['n0']]));
    const cycle = findCycle(nodes.map((n) => n.id), succs)!;
    expect(cycle.length).toBe(100_001);
    expect(cycle[0]).toBe(cycle[cycle.length - 1]);
  });
});

describe('buildGraph checkNode', () => {
  it('adds per-kind problems', () => {
    expect(() =>
      buildGraph({ nodes: [node('a')] }, { checkNode: (n) => (n.id === 'a' ? ['missing input "edit"'] : []) }),
    ).toThrow(/nodes\[0\] \(a\): missing input "edit"/);
  });
});
