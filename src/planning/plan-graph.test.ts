import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema } from '../core/task.js';
import { buildGraph } from '../core/validate.js';
import { BASELINE_NODE_ID, baselineRoots, commitMessage, INDEX_NODE_ID, planGraph, planIdFor, planToNodes, rootPlanNodes, SETUP_NODE_ID } from './plan-graph.js';

const t = (id: string, dependencies: string[] = [], extra: Record<string, unknown> = {}) =>
  TaskSchema.parse({ planId: 'p', id, title: `Do ${id}`, description: `about ${id}`, dependencies, ...extra });

describe('planToNodes', () => {
  it('gives each task context -> edit -> apply -> verify -> commit, wired to its dependencies and serialized', () => {
    const tasks = [t('T1'), t('T2', [], { atomic: false }), t('T2.1', [], { parent: 'T2' }), t('T3', ['T1', 'T2.1'])];
    const nodes = planToNodes(tasks, ['T1', 'T2.1', 'T3'], { config: ProjectConfigSchema.parse({}) });
    const graph = buildGraph({ nodes });
    expect(graph.order).toEqual([
      'T1/context', 'T1/edit', 'T1/apply', 'T1/verify', 'T1/commit',
      'T2.1/context', 'T2.1/edit', 'T2.1/apply', 'T2.1/verify', 'T2.1/commit',
      'T3/context', 'T3/edit', 'T3/apply', 'T3/verify', 'T3/commit',
    ]);
    expect(graph.nodes.get('T3/context')!.inputs).toEqual({ 'dep:T1': { $ref: 'T1/commit' }, 'dep:T2.1': { $ref: 'T2.1/commit' } });
    expect(graph.preds.get('T2.1/context')).toEqual([]); // independent of T1: the engine's one-open-task rule orders them
    expect([...graph.nodes.values()].every((n) => n.task !== undefined)).toBe(true);
  });
});

describe('rootPlanNodes', () => {
  it('ends a plan with the root task\'s index node, after every task commit', () => {
    const tasks = [t('T1'), t('T2', ['T1'])];
    const graph = buildGraph({ nodes: rootPlanNodes({ id: 'p-1', goal: 'g', tasks, leaves: ['T1', 'T2'] }, { config: ProjectConfigSchema.parse({}) }) });
    expect(graph.order.at(-1)).toBe(INDEX_NODE_ID);
    const index = graph.nodes.get(INDEX_NODE_ID)!;
    // by default the index is the node's output only; index.commit: true also commits INDEX.md
    expect(index).toMatchObject({ kind: 'script', config: { fn: 'project-index', args: { planId: 'p-1', goal: 'g', leaves: ['T1', 'T2'], commit: false } } });
    expect(index.task).toBeUndefined();
    expect(graph.preds.get(INDEX_NODE_ID)).toEqual(['T1/commit', 'T2/commit']);
    const committing = rootPlanNodes({ id: 'p-1', goal: 'g', tasks, leaves: ['T1', 'T2'] }, { config: ProjectConfigSchema.parse({ index: { commit: true } }) });
    expect(committing.find((n) => n.id === INDEX_NODE_ID)).toMatchObject({ config: { args: { commit: true } }, title: 'update and commit INDEX.md, the project index' });
  });
  it('adds no index node to a plan without atomic tasks', () => {
    expect(rootPlanNodes({ id: 'p-1', goal: 'g', tasks: [], leaves: [] }, { config: ProjectConfigSchema.parse({}) })).toEqual([]);
  });
});

describe('baselineRoots / planGraph', () => {
  const config = (commands: Record<string, string>, baseline = 'strict') => ProjectConfigSchema.parse({ commands, policy: { baseline } });

  it('setup runs first and only in a new worktree; the baseline waits for it; the rest waits for the last root', () => {
    const full = baselineRoots({ config: config({ setup: 'npm ci', test: 'npm test' }), baseline: 'strict', worktree: true });
    expect(full.nodes).toEqual([
      { id: SETUP_NODE_ID, kind: 'setup', title: 'prepare the worktree (commands.setup)', config: {} },
      { id: BASELINE_NODE_ID, kind: 'verify', title: 'verify the base commit', config: { baseline: 'strict' }, needs: [SETUP_NODE_ID] },
    ]);
    expect(full.after).toEqual([BASELINE_NODE_ID]);
    expect(baselineRoots({ config: config({ setup: 'npm ci', test: 'npm test' }), baseline: 'strict', worktree: false }).nodes.map((n) => n.id)).toEqual([BASELINE_NODE_ID]);
    expect(baselineRoots({ config: config({ setup: 'npm ci', test: 'npm test' }), baseline: 'off', worktree: true })).toEqual({ nodes: [expect.objectContaining({ id: SETUP_NODE_ID })], after: [SETUP_NODE_ID] });
    expect(baselineRoots({ config: config({}), baseline: 'strict', worktree: true })).toEqual({ nodes: [], after: [] });
  });

  it("run PLAN: every task's first node waits for the baseline; with known-failures every verify takes its output as an input", () => {
    const plan = { id: 'p-1', goal: 'g', createdAt: '', tasks: [t('T1'), t('T2', ['T1'])], meta: { leaves: ['T1', 'T2'] } };
    const strict = buildGraph(planGraph(plan, { config: config({ setup: 'npm ci', test: 'npm test' }) }));
    expect(strict.order.slice(0, 2)).toEqual([SETUP_NODE_ID, BASELINE_NODE_ID]);
    expect(strict.preds.get('T1/context')).toEqual([BASELINE_NODE_ID]);
    expect(strict.nodes.get('T1/verify')!.inputs).toEqual({ applied: { $ref: 'T1/apply', path: 'tree' } });

    const known = buildGraph(planGraph(plan, { config: config({ test: 'npm test' }, 'known-failures') }));
    expect(known.nodes.get(BASELINE_NODE_ID)!.config).toEqual({ baseline: 'known-failures' });
    for (const id of ['T1/verify', 'T2/verify']) expect(known.nodes.get(id)!.inputs['baseline']).toEqual({ $ref: BASELINE_NODE_ID });

    // the flag wins over policy.baseline; off leaves the plan as it was
    const off = buildGraph(planGraph(plan, { config: config({ test: 'npm test' }, 'known-failures'), baseline: 'off' }));
    expect(off.nodes.has(BASELINE_NODE_ID)).toBe(false);
    expect(off.preds.get('T1/context')).toEqual([]);
    expect(off.nodes.get('T1/verify')!.inputs['baseline']).toBeUndefined();
  });
});

describe('commitMessage / planIdFor', () => {
  it('writes a conventional commit naming the task', () => {
    expect(commitMessage(t('T2.1', [], { title: 'Add divide.', tags: ['fix'] }))).toBe('fix(T2.1): add divide\n\nabout T2.1\n\nTaskgraph-Task: T2.1');
  });
  it('keeps the case of a subject that starts with an identifier or an acronym', () => {
    const subject = (title: string) => commitMessage(t('T1', [], { title })).split('\n')[0];
    expect(subject('BadData has a repr that shows the message')).toBe('feat(T1): BadData has a repr that shows the message');
    expect(subject('README: document divide')).toBe('feat(T1): README: document divide');
    expect(subject('URLSafeSerializer accepts bytes')).toBe('feat(T1): URLSafeSerializer accepts bytes');
    expect(subject('Signer.sign takes a salt')).toBe('feat(T1): Signer.sign takes a salt');
    expect(subject('Max_age defaults to None')).toBe('feat(T1): Max_age defaults to None');
    expect(subject('Don\'t crash on empty input')).toBe("feat(T1): don't crash on empty input");
    expect(subject('A helper for dates')).toBe('feat(T1): a helper for dates');
  });
  it('derives the plan id from content only', () => {
    expect(planIdFor('g', [t('T1')])).toBe(planIdFor('g', [{ ...t('T1'), planId: 'other' }]));
    expect(planIdFor('g', [t('T1')])).not.toBe(planIdFor('h', [t('T1')]));
  });
});

describe('subplanFor (ADaPT)', () => {
  it('places the planner tasks under the failed task, mapping ids and dependencies', async () => {
    const { subplanFor } = await import('./plan-graph.js');
    const parent = t('T2', ['T1'], { depth: 1 });
    const planned = [
      t('T1'),
      t('T2', ['T1'], { atomic: false }),
      t('T2.1', [], { parent: 'T2', depth: 1 }),
      t('T2.2', ['T2.1'], { parent: 'T2', depth: 1 }),
    ];
    const sub = subplanFor(parent, planned, ['T1', 'T2.1', 'T2.2']);
    expect(sub.leaves).toEqual(['T2.1', 'T2.2.1', 'T2.2.2']);
    expect(sub.tasks.map((x) => [x.id, x.parent, x.depth, x.dependencies])).toEqual([
      ['T2.1', 'T2', 2, ['T1']],
      ['T2.2', 'T2', 2, ['T2.1']],
      ['T2.2.1', 'T2.2', 3, ['T1']],
      ['T2.2.2', 'T2.2', 3, ['T2.2.1']],
    ]);
  });
});

describe('executedLeaves', () => {
  it('leaves out tasks set to skipped; planGraph runs the others, their dependency on it dropped', () => {
    const tasks = [t('T1'), t('T2', ['T1'], { status: 'skipped' }), t('T3', ['T2'])];
    const plan = { id: 'p-1', goal: 'g', createdAt: 'x', tasks, meta: { leaves: ['T1', 'T2', 'T3'] } };
    const spec = planGraph(plan, { config: ProjectConfigSchema.parse({}), baseline: 'off', worktree: false });
    const ids = spec.nodes.map((n) => n.id);
    expect(ids).toContain('T1/edit');
    expect(ids).toContain('T3/edit');
    expect(ids.some((id) => id.startsWith('T2/'))).toBe(false);
    expect(spec.nodes.find((n) => n.id === 'T3/context')!.inputs).toEqual({});
  });
});
