import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { addTask, updateTask } from '../planning/plan-edit.js';
import { plan, run } from '../store/store-fixtures.case.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { applyPlanEdit, idList } from './task-edit-commands.js';

describe('applyPlanEdit', () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    await store.migrate();
    await store.savePlan(plan('p1'));
  });
  afterEach(async () => {
    await store.close();
  });

  const rename = (title: string) => (tasks: Parameters<typeof updateTask>[0]) => updateTask(tasks, 'T2', { title });

  it('validates, stores the next version with its leaves and audits it under the editor', async () => {
    const v = await applyPlanEdit(store, 'p1', 'ada', (tasks, planId) => addTask(tasks, planId, { title: 'Docs', acceptance: ['documented'], dependencies: ['T2'] }));
    expect(v).toMatchObject({ version: 2, by: 'ada', summary: 'add T3 "Docs"', leaves: ['T1.1', 'T1.2', 'T2', 'T3'] });
    expect((await store.getTask('p1', 'T3'))?.dependencies).toStrictEqual(['T2']);
    expect(await store.listAudit()).toMatchObject([{ kind: 'plan-edit', who: 'ada', subject: 'p1' }]);
  });

  it('stores nothing when the edited plan is invalid', async () => {
    const error = await applyPlanEdit(store, 'p1', 'ada', (tasks, planId) => addTask(tasks, planId, { title: 'x', acceptance: ['y'], dependencies: ['T7'] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskgraphError);
    expect((error as TaskgraphError).message).toContain('depends on unknown task "T7"');
    expect(await store.listPlanVersions('p1')).toHaveLength(1);
    expect(await store.listAudit()).toStrictEqual([]);
  });

  it('refuses while a live process executes a run of the plan, not while the run waits or after its process died', async () => {
    const now = new Date().toISOString();
    await store.createRun(run('R1', now, { planId: 'p1' }));
    await store.acquireRunLease({ runId: 'R1', token: 'tok', pid: process.pid, host: hostname(), now, ttlMs: 30_000 });
    const error = await applyPlanEdit(store, 'p1', 'ada', rename('New')).catch((e: unknown) => e);
    expect((error as TaskgraphError).code).toBe('RUN_STATE');
    expect((error as TaskgraphError).message).toContain('run R1 is executing plan p1');
    expect(await store.listPlanVersions('p1')).toHaveLength(1);

    await store.updateRun('R1', { status: 'suspended' });
    expect((await applyPlanEdit(store, 'p1', 'ada', rename('New'))).version).toBe(2);
    await store.updateRun('R1', { status: 'running' });
    await store.releaseRunLease('R1', 'tok');
    expect((await applyPlanEdit(store, 'p1', 'ada', rename('Newer'))).version).toBe(3);
  });

  it('names an unknown plan', async () => {
    const error = await applyPlanEdit(store, 'p-nope', 'ada', rename('x')).catch((e: unknown) => e);
    expect((error as TaskgraphError).code).toBe('NOT_FOUND');
  });
});

describe('idList', () => {
  it('splits comma-separated ids and drops empty entries', () => {
    expect(idList('T1, T2,,T3 ')).toStrictEqual(['T1', 'T2', 'T3']);
    expect(idList(undefined)).toBeUndefined();
  });
});
