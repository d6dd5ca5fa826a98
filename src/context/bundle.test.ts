import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema } from '../core/task.js';
import { approxTokens, buildTaskBundle } from './bundle.js';

const config = ProjectConfigSchema.parse({ name: 'demo', vision: 'a calculator', commands: { test: 'npm test' } });
const task = TaskSchema.parse({ planId: 'p', id: 'T1', title: 'Add multiply', files: ['src/*.js', 'src/new.js'], notes: ['Attempt 1 failed: expected -6, got 6'] });

describe('buildTaskBundle', () => {
  it('orders tiers, includes notes and named files, and marks missing files as new', async () => {
    const bundle = await buildTaskBundle({
      config,
      task,
      dependencies: [],
      siblings: [TaskSchema.parse({ planId: 'p', id: 'T2', title: 'Add divide' })],
      files: ['src/calc.js', 'README.md'],
      readFile: async (p) => `// ${p}\n`,
      budget: 10_000,
    });
    expect(bundle.items.map((i) => i.source)).toEqual(['project', 'task', 'sibling', 'file', 'file', 'repo-map']);
    expect(bundle.items[1]!.text).toContain('expected -6, got 6');
    expect(bundle.items[3]!.title).toBe('src/calc.js');
    expect(bundle.items[4]!.text).toContain('does not exist yet');
    expect(bundle.cut).toEqual([]);
  });

  it('never exceeds the budget, trimming then dropping what does not fit', async () => {
    for (const budget of [256, 300, 500, 1000, 1500]) {
      const bundle = await buildTaskBundle({
        config,
        task,
        dependencies: [],
        siblings: [],
        files: ['src/calc.js', 'src/other.js'],
        readFile: async () => 'x'.repeat(4000),
        budget,
      });
      expect(bundle.tokens).toBeLessThanOrEqual(budget);
      expect(bundle.items.reduce((s, i) => s + approxTokens(i.text), 0)).toBe(bundle.tokens);
      expect(bundle.cut.length).toBeGreaterThan(0);
    }
  });
});
