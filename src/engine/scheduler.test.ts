import { describe, expect, it } from 'vitest';
import { buildGraph } from '../core/validate.js';
import { Scheduler } from './scheduler.js';

const graph = () =>
  buildGraph({
    nodes: [
      { id: 'a', kind: 'script' },
      { id: 'b', kind: 'script', needs: ['a'] },
      { id: 'c', kind: 'script', needs: ['a'], priority: 2 },
      { id: 'd', kind: 'script', needs: ['b', 'c'] },
      { id: 'e', kind: 'script' },
    ],
  });

describe('Scheduler', () => {
  it('hands out ready nodes by priority then id, and releases successors only when all predecessors succeeded', () => {
    const s = new Scheduler(graph());
    expect([s.next(), s.next(), s.next()]).toEqual(['a', 'e', undefined]);
    s.finish('a', 'succeeded');
    expect([s.next(), s.next()]).toEqual(['c', 'b']);
    s.finish('c', 'cached');
    expect(s.next()).toBeUndefined();
    s.finish('b', 'succeeded');
    expect(s.next()).toBe('d');
  });

  it('skips the downstream cone of a failure and nothing else', () => {
    const s = new Scheduler(graph());
    s.next();
    s.finish('a', 'failed');
    expect(s.skipDownstream('a').sort()).toEqual(['b', 'c', 'd']);
    expect(s.next()).toBe('e');
    expect(s.status('d')).toBe('skipped');
  });

  it('treats running and suspended nodes loaded from the store as pending (they run again on resume)', () => {
    const s = new Scheduler(graph(), new Map([['a', 'succeeded'], ['b', 'running'], ['c', 'suspended']] as const));
    expect([s.next(), s.next(), s.next()]).toEqual(['c', 'b', 'e']);
  });

  it('reset puts nodes back to pending and blocks their successors again', () => {
    const s = new Scheduler(graph());
    s.next();
    s.finish('a', 'succeeded');
    s.next();
    s.finish('c', 'succeeded');
    s.reset(['a', 'c']);
    expect(s.next()).toBe('a');
    expect(s.status('c')).toBe('pending');
  });
});
