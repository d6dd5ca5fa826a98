import { beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/core/task.js';
import { useApiOnSampleRepo } from '../support/api-server.js';
import { testTask } from '../support/task.js';

/**
 * Links and context over real HTTP on loopback (issue 12 "Links", "Context"), against the real
 * store of a copy of examples/calculator with a saved plan: each route goes through the function
 * `taskgraph link add|rm|ls` and `taskgraph context preview` use, and its effect is read back
 * from the store.
 */
const PLAN = 'p-ctx';
const planTasks = (): Task[] => [
  testTask('T1', { planId: PLAN, title: 'Add multiply', files: ['src/calc.js'] }),
  testTask('T2', { planId: PLAN, dependencies: ['T1'] }),
  testTask('T3', { planId: PLAN, dependencies: ['T1', 'T2'] }),
  testTask('T4', { planId: PLAN }),
];
const paths = (res: { body: { issues?: Array<{ path: string }> } }) => (res.body.issues ?? []).map((i) => i.path).sort();

describe('HTTP API: links and context', () => {
  const { state, call } = useApiOnSampleRepo();
  beforeAll(async () => {
    await state.project.store.savePlan({ id: PLAN, goal: 'Multiply', createdAt: new Date().toISOString(), tasks: planTasks(), meta: { leaves: ['T1', 'T2', 'T3', 'T4'] } });
  });

  it('adds, lists and removes links as `taskgraph link` does; a requires link is a versioned, audited plan edit', async () => {
    const store = state.project.store;
    const before = await call('GET', `/context/links/T3?plan=${PLAN}`);
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body).toEqual({
      planId: PLAN,
      links: [
        { planId: PLAN, from: 'T3', to: 'T1', type: 'requires' },
        { planId: PLAN, from: 'T3', to: 'T2', type: 'requires' },
      ],
    });

    const refers = await call('POST', '/context/links', { plan: PLAN, from: 'T1', type: 'refers', to: 'T4' });
    expect(refers.status, JSON.stringify(refers.body)).toBe(200);
    expect(refers.body).toEqual({ planId: PLAN, from: 'T1', to: 'T4', type: 'refers' });
    expect(await store.listLinks(PLAN, 'T4')).toEqual([{ planId: PLAN, from: 'T1', to: 'T4', type: 'refers' }]);
    // idempotent
    expect((await call('POST', '/context/links', { plan: PLAN, from: 'T1', type: 'refers', to: 'T4' })).status).toBe(200);
    expect(await store.listLinks(PLAN, 'T4')).toHaveLength(1);

    const versions = (await store.listPlanVersions(PLAN)).length;
    const requires = await call('POST', '/context/links', { plan: PLAN, from: 'T4', type: 'requires', to: 'T1', by: 'gail' });
    expect(requires.status, JSON.stringify(requires.body)).toBe(200);
    expect((await store.getTask(PLAN, 'T4'))?.dependencies).toEqual(['T1']);
    const afterAdd = await store.listPlanVersions(PLAN);
    expect(afterAdd).toHaveLength(versions + 1);
    expect(afterAdd.at(-1)?.by).toBe('gail');
    expect((await call('GET', `/context/links/T4?plan=${PLAN}`)).body.links).toEqual([
      { planId: PLAN, from: 'T1', to: 'T4', type: 'refers' },
      { planId: PLAN, from: 'T4', to: 'T1', type: 'requires' },
    ]);

    // a cycle is refused with its path, nothing written
    const cycle = await call('POST', '/context/links', { plan: PLAN, from: 'T1', type: 'requires', to: 'T3' });
    expect(cycle.status).toBe(400);
    expect(cycle.body.code).toBe('PLAN_INVALID');
    expect((await store.getTask(PLAN, 'T1'))?.dependencies).toEqual([]);

    const dropped = await call('DELETE', '/context/links', { plan: PLAN, from: 'T4', type: 'requires', to: 'T1', by: 'gail' });
    expect(dropped.status, JSON.stringify(dropped.body)).toBe(200);
    expect(dropped.body).toEqual({ planId: PLAN, from: 'T4', to: 'T1', type: 'requires' });
    expect((await store.getTask(PLAN, 'T4'))?.dependencies).toEqual([]);
    expect(await store.listPlanVersions(PLAN)).toHaveLength(versions + 2);
    expect((await call('DELETE', '/context/links', { plan: PLAN, from: 'T1', type: 'refers', to: 'T4' })).status).toBe(200);
    expect(await store.listLinks(PLAN, 'T4')).toEqual([]);

    const again = await call('DELETE', '/context/links', { plan: PLAN, from: 'T1', type: 'refers', to: 'T4' });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: 'NOT_FOUND', hint: 'T1 has no outgoing links (taskgraph link ls T1)' });
  });

  it('answers 400 with paths and 404 on unknown ids for the link routes', async () => {
    const bad = await call('POST', '/context/links', { plan: PLAN, from: 'T1', type: 'blocks' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION');
    expect(paths(bad)).toEqual(['body.to', 'body.type']);
    const badDelete = await call('DELETE', '/context/links', { from: 7, type: 'refers', to: 'T1' });
    expect(badDelete.status).toBe(400);
    expect(paths(badDelete)).toEqual(['body.from']);
    for (const [method, path, body] of [
      ['POST', '/context/links', { plan: PLAN, from: 'T9', type: 'refers', to: 'T1' }],
      ['POST', '/context/links', { plan: 'p-nope', from: 'T1', type: 'refers', to: 'T2' }],
      ['DELETE', '/context/links', { plan: PLAN, from: 'T1', type: 'refers', to: 'T99' }],
      ['GET', `/context/links/T9?plan=${PLAN}`, undefined],
      ['GET', '/context/links/T1?plan=p-nope', undefined],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect(await state.project.store.listLinks(PLAN, 'T9')).toEqual([]);
  });

  it("previews a task's bundle with its manifest without storing anything; approve stores pins and excludes that the next bundle honours", async () => {
    const store = state.project.store;
    const preview = await call('POST', '/tasks/T1/context/preview', { plan: PLAN });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const { bundle, manifest } = preview.body;
    expect(preview.body).toMatchObject({ planId: PLAN, task: 'T1', overrides: { pins: [], excludes: [] }, warnings: [] });
    expect(bundle.task).toBe('T1');
    expect(bundle.tokens).toBeLessThanOrEqual(bundle.budget);
    expect(bundle.items.find((i: { source: string }) => i.source === 'task').text).toContain('Add multiply');
    expect(bundle.items.some((i: { source: string; origin: { path?: string } }) => i.source === 'file' && i.origin.path === 'src/calc.js')).toBe(true);
    expect(manifest.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.items.map((i: { title: string }) => i.title)).toEqual(bundle.items.map((i: { title: string }) => i.title));
    expect(manifest.items.every((i: object) => !('text' in i) && 'why' in i && 'tier' in i && 'tokens' in i)).toBe(true);
    expect(await store.getContextOverrides(PLAN, 'T1')).toEqual({ pins: [], excludes: [] });
    // no body: the default plan (the newest) is this one
    expect((await call('POST', '/tasks/T1/context/preview')).body.manifest.hash).toBe(manifest.hash);

    const approved = await call('POST', '/tasks/T1/context/approve', { plan: PLAN, pin: ['README.md', 'T4'], exclude: ['src/calc.js'] });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.overrides).toEqual({ pins: ['README.md', 'T4'], excludes: ['src/calc.js'] });
    expect(await store.getContextOverrides(PLAN, 'T1')).toEqual({ pins: ['README.md', 'T4'], excludes: ['src/calc.js'] });
    const items = approved.body.bundle.items as Array<{ source: string; origin: { path?: string; taskId?: string } }>;
    expect(items.some((i) => i.source === 'pin' && i.origin.path === 'README.md')).toBe(true);
    expect(items.some((i) => i.source === 'pin' && i.origin.taskId === 'T4')).toBe(true);
    expect(items.some((i) => i.origin.path === 'src/calc.js')).toBe(false);
    expect(approved.body.manifest.cut).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'excluded', origin: expect.objectContaining({ path: 'src/calc.js' }) })]));
    expect(approved.body.manifest.hash).not.toBe(manifest.hash);
    // the stored overrides are what the next preview (and run) gets
    const next = await call('POST', '/tasks/T1/context/preview', { plan: PLAN });
    expect(next.body.overrides).toEqual({ pins: ['README.md', 'T4'], excludes: ['src/calc.js'] });
    expect(next.body.manifest.hash).toBe(approved.body.manifest.hash);

    const undone = await call('POST', '/tasks/T1/context/approve', { plan: PLAN, unpin: ['T4'], unexclude: ['src/calc.js', 'docs/'] });
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(undone.body.overrides).toEqual({ pins: ['README.md'], excludes: [] });
    expect(undone.body.warnings).toEqual(['docs/ (not excluded): nothing to remove']);
    expect(await store.getContextOverrides(PLAN, 'T1')).toEqual({ pins: ['README.md'], excludes: [] });
  });

  it('answers 400 with paths and 404 on unknown ids for the context routes, storing nothing', async () => {
    const store = state.project.store;
    const stored = await store.getContextOverrides(PLAN, 'T2');
    const notList = await call('POST', '/tasks/T2/context/approve', { plan: PLAN, pin: 'README.md', exclude: [3] });
    expect(notList.status).toBe(400);
    expect(notList.body.code).toBe('VALIDATION');
    expect(paths(notList)).toEqual(['body.exclude.0', 'body.pin']);
    const empty = await call('POST', '/tasks/T2/context/approve', { plan: PLAN });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ code: 'CONFIG_INVALID', details: { path: 'body' } });
    const both = await call('POST', '/tasks/T2/context/approve', { plan: PLAN, pin: ['README.md'], exclude: ['README.md'] });
    expect(both.status).toBe(400);
    expect(both.body.message).toContain('cannot be pinned and excluded at once');
    const outside = await call('POST', '/tasks/T2/context/approve', { plan: PLAN, pin: ['../secrets.txt'] });
    expect(outside.status).toBe(400);
    expect(outside.body.code).toBe('CONFIG_INVALID');
    const badPreview = await call('POST', '/tasks/T2/context/preview', { plan: 5 });
    expect(badPreview.status).toBe(400);
    expect(paths(badPreview)).toEqual(['body.plan']);
    expect(await store.getContextOverrides(PLAN, 'T2')).toEqual(stored);

    for (const [path, body] of [
      ['/tasks/T99/context/preview', { plan: PLAN }],
      ['/tasks/T1/context/preview', { plan: 'p-nope' }],
      ['/tasks/T99/context/approve', { plan: PLAN, pin: ['README.md'] }],
      ['/tasks/T1/context/approve', { plan: 'p-nope', pin: ['README.md'] }],
    ] as const) {
      const res = await call('POST', path, body);
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect(await store.getContextOverrides(PLAN, 'T1')).toEqual({ pins: ['README.md'], excludes: [] });
  });
});
