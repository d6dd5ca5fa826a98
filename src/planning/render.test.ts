import { describe, expect, it } from 'vitest';
import { testTask } from '../../test/support/task.js';
import type { Task } from '../core/task.js';
import { dotString, mermaidLabel, renderTree, toDot, toJson, toMermaid } from './render.js';

const task = (id: string, title: string, dependencies: string[], extra: Partial<Task> = {}): Task => testTask(id, { title, acceptance: [], dependencies, ...extra });

const tasks: Task[] = [
  task('T1', 'Add "json" flag', []),
  task('T2', 'Use it <everywhere> #1', ['T1'], { atomic: false }),
  task('T2.1', 'list & show', ['T1'], { parent: 'T2', depth: 1 }),
  task('T2.2', 'back\\slash\nnewline', ['T2.1'], { parent: 'T2', depth: 1 }),
  task('T3', 'Docs', ['T2.1', 'T2.2']),
];

describe('render', () => {
  it('renders an indented tree with statuses', () => {
    expect(renderTree(tasks, { statuses: { T1: 'done' } })).toBe(
      [
        '[done] T1  Add "json" flag [atomic]',
        'T2  Use it <everywhere> #1  deps: T1',
        '├── T2.1  list & show [atomic]  deps: T1',
        '└── T2.2  back\\slash newline [atomic]  deps: T2.1',
        'T3  Docs [atomic]  deps: T2.1, T2.2',
      ].join('\n'),
    );
  });

  it('renders Mermaid with subgraphs, leaf edges and escaped labels', () => {
    const text = toMermaid(tasks);
    const lines = text.split('\n');
    expect(lines[0]).toBe('flowchart TD');
    expect(lines).toContain('  t_T1["T1: Add #quot;json#quot; flag"]');
    expect(lines).toContain('  subgraph t_T2["T2: Use it #lt;everywhere#gt; #35;1"]');
    expect(lines).toContain('    t_T2_1["T2.1: list #amp; show"]');
    expect(lines).toContain('  end');
    for (const edge of ['t_T1 --> t_T2_1', 't_T2_1 --> t_T2_2', 't_T2_1 --> t_T3', 't_T2_2 --> t_T3']) expect(lines).toContain(`  ${edge}`);
    expect(text).not.toContain('--> t_T2\n');
    expect(text.split('-->')).toHaveLength(5);
    expect(text).not.toMatch(/"[^"\n]*"[^"\n]*"\]/);
  });

  it('keeps Mermaid ids unique when sanitizing collides', () => {
    const text = toMermaid([task('a.b', 'x', []), task('a_b', 'y', ['a.b'])]);
    expect(text).toContain('t_a_b["a.b: x"]');
    expect(text).toContain('t_a_b_2["a_b: y"]');
    expect(text).toContain('t_a_b --> t_a_b_2');
  });

  it('renders DOT with clusters, leaf edges and escaped labels', () => {
    const text = toDot(tasks);
    expect(text.startsWith('digraph plan {')).toBe(true);
    expect(text).toContain('  "T1" [label="T1: Add \\"json\\" flag"];');
    expect(text).toContain('  subgraph "cluster_T2" {');
    expect(text).toContain('    "T2.2" [label="T2.2: back\\\\slash\\nnewline"];');
    for (const edge of ['"T1" -> "T2.1"', '"T2.1" -> "T2.2"', '"T2.1" -> "T3"', '"T2.2" -> "T3"']) expect(text).toContain(`  ${edge};`);
    expect(text).not.toContain('-> "T2";');
    expect(text.trimEnd().endsWith('}')).toBe(true);
  });

  it('escapes helpers and serialises JSON with leaf edges', () => {
    expect(mermaidLabel('a "b" #c`')).toBe('a #quot;b#quot; #35;c#96;');
    expect(dotString('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    const json = JSON.parse(toJson({ goal: 'g', tasks, leaves: ['T1', 'T2.1', 'T2.2', 'T3'] })) as Record<string, unknown>;
    expect(json['id']).toBe('p');
    expect(json['edges']).toEqual([
      { from: 'T1', to: 'T2.1' },
      { from: 'T2.1', to: 'T2.2' },
      { from: 'T2.1', to: 'T3' },
      { from: 'T2.2', to: 'T3' },
    ]);
  });
});
