import { describe, expect, it } from 'vitest';
import { buildPlannerPrompt, buildRepairPrompt, trimMiddle } from './prompts.js';
import { projectContextFromConfig } from './project-context.js';
import { ProjectConfigSchema } from '../core/config.js';

describe('planner prompts', () => {
  it('trims the README to 2,000 characters and cuts the file list to the 200 paths most relevant to the goal, saying so', () => {
    const readme = `${'r'.repeat(2000)}TAIL-OF-README`;
    // 219 files, alphabetical; the goal is about the typings, which sort last
    const files = [...Array.from({ length: 210 }, (_, i) => `src/f${String(i).padStart(3, '0')}.ts`), ...Array.from({ length: 9 }, (_, i) => `typings/part${i}.d.ts`)];
    const prompt = buildPlannerPrompt({ goal: 'Fix the typings of the public API', project: { name: 'p', readme, files }, depth: 0, maxDepth: 3 });
    expect(prompt).not.toContain('TAIL-OF-README');
    expect(prompt).toContain('[... README cut ...]');
    for (let i = 0; i < 9; i++) expect(prompt).toContain(`- typings/part${i}.d.ts`);
    expect(prompt).toContain('- src/f000.ts');
    expect(prompt).not.toContain('- src/f209.ts');
    expect(prompt).toContain('## Files (219)');
    expect(prompt).toContain('- … and 19 more (not shown: least relevant to the goal)');
  });

  it('shows the code context instead of the file list when it is given', () => {
    const prompt = buildPlannerPrompt({ goal: 'g', project: { name: 'p', files: ['a.ts'], code: '# Repository map\na.ts\n  1: export function a()' }, depth: 0, maxDepth: 3 });
    expect(prompt).toContain("# Code (the project's files ranked by relevance to the goal)");
    expect(prompt).toContain('  1: export function a()');
    expect(prompt).not.toContain('## Files (');
  });

  it('includes notes, the parent with siblings, and the depth rule', () => {
    const prompt = buildPlannerPrompt({
      goal: 'g',
      project: { name: 'p' },
      parent: {
        id: 'T2',
        title: 'Parent',
        description: 'desc',
        acceptance: ['works'],
        ancestors: ['Top'],
        siblings: [
          { id: 'T1', title: 'First' },
          { id: 'T2', title: 'Parent' },
        ],
      },
      depth: 2,
      maxDepth: 2,
      notes: ['verify failed: npm test exited 1'],
    });
    expect(prompt).toContain('- verify failed: npm test exited 1');
    expect(prompt).toContain('It is part of: "Top"');
    expect(prompt).toContain('- works');
    expect(prompt).toContain('- T1: First');
    expect(prompt).not.toContain('- T2: Parent');
    expect(prompt).toContain('make every task atomic');
    expect(prompt).toContain('- test: (none configured)');
  });

  it('builds a repair prompt and trims long answers in the middle', () => {
    const repair = buildRepairPrompt('BASE', 'x'.repeat(10_000), [{ path: 'tasks', message: 'cycle: A -> B -> A' }]);
    expect(repair.startsWith('BASE\n')).toBe(true);
    expect(repair).toContain('characters cut');
    expect(repair).toContain('- tasks: cycle: A -> B -> A');
    expect(trimMiddle('abc', 10)).toBe('abc');
  });

  it('makes a project context from taskgraph.yaml', () => {
    const config = ProjectConfigSchema.parse({ name: 'demo', commands: { test: 'npm test' }, rules: ['r1'] });
    const ctx = projectContextFromConfig(config, { readme: 'x'.repeat(3000), files: Array.from({ length: 300 }, (_, i) => `f${i}`) });
    expect(ctx).toMatchObject({ name: 'demo', commands: { test: 'npm test' }, rules: ['r1'] });
    expect(ctx.readme).toHaveLength(2000);
    expect(ctx.files).toHaveLength(300);
  });
});
