import { describe, expect, it } from 'vitest';
import { buildContextIndex, type ContextIndex } from './context-index.js';
import { ContextIndexCache } from './index-cache.js';

function builder(reads: string[]) {
  return () => buildContextIndex({ repoFiles: ['a.ts'], readFile: async (p) => (reads.push(p), 'export const a = 1;\n') });
}

describe('ContextIndexCache', () => {
  it('builds once per key, shares a build in flight, and evicts the least recently used', async () => {
    const reads: string[] = [];
    const cache = new ContextIndexCache(2);
    const [x, y] = await Promise.all([cache.get('t1', builder(reads)), cache.get('t1', builder(reads))]);
    expect(x).toBe(y);
    expect(reads).toEqual(['a.ts']);
    await cache.get('t2', builder(reads));
    await cache.get('t1', builder(reads)); // t1 is now the most recent
    await cache.get('t3', builder(reads)); // evicts t2
    expect(reads).toHaveLength(3);
    await cache.get('t1', builder(reads));
    expect(reads).toHaveLength(3);
    await cache.get('t2', builder(reads));
    expect(reads).toHaveLength(4);
    expect(cache.stats).toEqual({ hits: 3, builds: 4, size: 2 });
  });

  it('forgets a failed build, so the next lookup builds again', async () => {
    const cache = new ContextIndexCache();
    await expect(cache.get('k', () => Promise.reject(new Error('disk gone')))).rejects.toThrow('disk gone');
    const index: ContextIndex = await cache.get('k', builder([]));
    expect(index.files.has('a.ts')).toBe(true);
    expect(() => new ContextIndexCache(0)).toThrow(RangeError);
  });
});
