import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { updateTask } from '../planning/plan-edit.js';
import { plan, run } from '../store/store-fixtures.case.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { exportTaskList, importTaskList, readTaskList, updateTaskStatuses } from './batch-commands.js';
import { listSession } from './session-ls.js';
import { applyPlanEdit } from './task-edit-commands.js';
import { parseTaskJson, parseTaskMarkdown, tasksToMarkdown } from './task-import-parse.js';

const row = (id: string, extra: Record<string, unknown> = {}) => ({ id, title: `Task ${id}`, acceptance: [`${id} works`], ...extra });
const fail = (fn: () => unknown): TaskgraphError => {
  try {
    fn();
  } catch (error) {
    return error as TaskgraphError;
  }
  throw new Error('expected a TaskgraphError');
};

describe('parseTaskJson', () => {
  it('reads rows with the store schema defaults', () => {
    const list = parseTaskJson({ goal: 'G', tasks: [row('A'), row('B', { dependencies: ['A'], status: 'done' })] });
    expect(list.goal).toBe('G');
    expect(list.tasks[1]).toMatchObject({ id: 'B', dependencies: ['A'], status: 'done', description: '', files: [], tags: [] });
  });

  it('names every bad row by index and field path', () => {
    const error = fail(() => parseTaskJson([row('A'), { id: 'B', title: '', acceptance: ['ok'] }, row('C', { status: 'finished' }), row('D', { acceptance: [] })]));
    expect(error.code).toBe('PLAN_INVALID');
    expect(error.details?.['rows']).toStrictEqual([1, 2, 3]);
    expect(error.message).toContain('tasks[1].title');
    expect(error.message).toContain('tasks[2].status');
    expect(error.message).toContain('tasks[3].acceptance');
    expect(error.message).not.toContain('tasks[0]');
  });

  it('names the row of a dangling dependency and of a cycle', () => {
    expect(fail(() => parseTaskJson([row('A'), row('B', { dependencies: ['Z'] })])).message).toContain('tasks[1] (B): B depends on unknown task "Z"');
    expect(fail(() => parseTaskJson([row('A', { dependencies: ['B'] }), row('B', { dependencies: ['A'] })])).message).toContain('cycle: ');
  });
});

describe('parseTaskMarkdown', () => {
  const md = `# Ship the parser

- [ ] Set up
  Create the skeleton.

  Acceptance: npm test passes
  - [x] Add package.json
  - [ ] Add tsconfig
    Requires: T1.1
- [x] T9: Write docs
  Requires: T1.2
  Files: README.md, docs/a.md
`;

  it('makes nested items subtasks, [x] done, field lines fields and the heading the goal', () => {
    const list = parseTaskMarkdown(md);
    expect(list.goal).toBe('Ship the parser');
    expect(list.tasks.map((t) => [t.id, t.parent ?? null, t.status])).toStrictEqual([
      ['T1', null, 'pending'],
      ['T1.1', 'T1', 'done'],
      ['T1.2', 'T1', 'pending'],
      ['T9', null, 'done'],
    ]);
    expect(list.tasks[0]).toMatchObject({ title: 'Set up', description: 'Create the skeleton.', acceptance: ['npm test passes'] });
    expect(list.tasks[1]).toMatchObject({ title: 'Add package.json', acceptance: ['Add package.json'] });
    expect(list.tasks[2]?.dependencies).toStrictEqual(['T1.1']);
    expect(list.tasks[3]).toMatchObject({ title: 'Write docs', dependencies: ['T1.2'], files: ['README.md', 'docs/a.md'] });
  });

  it('names the bad item by index', () => {
    const error = fail(() => parseTaskMarkdown('- [ ] A\n- [ ] B\n  Requires: T7\n'));
    expect(error.details?.['rows']).toStrictEqual([1]);
  });

  it('writes Markdown it reads back unchanged', () => {
    const list = parseTaskMarkdown(md);
    expect(parseTaskMarkdown(tasksToMarkdown(list.goal!, list.tasks))).toStrictEqual(list);
  });
});

describe('import, export and update against the store', () => {
  let store: SqliteStore;
  let dir: string;
  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    await store.migrate();
    dir = await mkdtemp(join(tmpdir(), 'tg-batch-'));
  });
  afterEach(async () => {
    await store.close();
  });

  it('imports a Markdown file as a new plan with shape and leaves derived from the tree', async () => {
    const file = join(dir, 'tasks.md');
    await writeFile(file, '# Goal\n\n- [ ] Parent\n  - [ ] Child one\n  - [x] Child two\n    Requires: T1.1\n- [ ] Other\n  Requires: T1\n');
    const result = await importTaskList(store, await readTaskList(file), { by: 'ada', fallbackGoal: 'x' });
    expect(result).toMatchObject({ version: 1, tasks: 4, created: true });
    const saved = (await store.getPlan(result.planId))!;
    expect(saved.goal).toBe('Goal');
    expect(saved.tasks.map((t) => [t.id, t.atomic, t.depth])).toStrictEqual([['T1', false, 0], ['T1.1', true, 1], ['T1.2', true, 1], ['T2', true, 0]]);
    expect(saved.tasks.find((t) => t.id === 'T2')?.dependencies).toStrictEqual(['T1.1', 'T1.2']); // a composite dependency means its leaves
    expect(saved.meta['leaves']).toStrictEqual(['T1.1', 'T1.2', 'T2']);
  });

  it('an import with one bad row writes nothing and names the row', async () => {
    const file = join(dir, 'tasks.json');
    await writeFile(file, JSON.stringify({ tasks: [row('A'), row('B'), { id: 'C', title: 'no acceptance' }] }));
    const error = await readTaskList(file).then((list) => importTaskList(store, list, { by: 'ada', fallbackGoal: 'x' })).then(() => undefined, (e: unknown) => e as TaskgraphError);
    if (!error) throw new Error('expected the import to fail');
    expect(error.message).toContain('tasks[2].acceptance');
    expect(error.details?.['rows']).toStrictEqual([2]);
    expect(await store.listPlans()).toStrictEqual([]);
  });

  it('into an existing plan: a plan-level problem leaves it unchanged; a good list is a new audited version', async () => {
    await store.savePlan(plan('p1'));
    const before = await store.listTasks('p1');
    // every row is valid alone, but the list nests a task under an unknown parent
    const bad = { tasks: [{ id: 'X', title: 'X', acceptance: ['x'], parent: 'nope', description: '', dependencies: [], files: [], tags: [], status: 'pending' as const }] };
    await expect(importTaskList(store, bad, { plan: 'p1', by: 'ada', fallbackGoal: 'x' })).rejects.toMatchObject({ code: 'PLAN_INVALID' });
    expect(await store.listTasks('p1')).toStrictEqual(before);
    expect(await store.listAudit()).toStrictEqual([]);

    const result = await importTaskList(store, parseTaskJson([row('A'), row('B', { dependencies: ['A'] })]), { plan: 'p1', by: 'ada', session: 's1', fallbackGoal: 'x' });
    expect(result).toMatchObject({ planId: 'p1', version: 2, tasks: 2, created: false });
    expect((await store.listTasks('p1')).map((t) => t.id)).toStrictEqual(['A', 'B']);
    expect(await store.listAudit()).toMatchObject([{ kind: 'plan-edit', who: 'ada', details: { planId: 'p1', version: 2, session: 's1' } }]);
  });

  it('export then import gives the same tasks (JSON and Markdown)', async () => {
    await store.savePlan(plan('p1'));
    // the fixture's composite T1 has no acceptance criterion, which planner output and imports need
    await applyPlanEdit(store, 'p1', 'ada', (tasks) => updateTask(tasks, 'T1', { acceptance: ['both parts work'], description: 'two lines\n\nand a paragraph' }));
    await updateTaskStatuses(store, 'p1', ['T1.1'], 'done', 'ada');
    const exported = await exportTaskList(store, 'p1');
    const json = JSON.parse(JSON.stringify(exported)) as unknown;
    const viaJson = await importTaskList(store, parseTaskJson(json), { by: 'ada', fallbackGoal: 'x' });
    const again = await exportTaskList(store, viaJson.planId);
    expect(again.goal).toBe(exported.goal);
    expect(again.tasks).toStrictEqual(exported.tasks);
    expect((await store.getPlan(viaJson.planId))!.tasks.map((t) => [t.atomic, t.depth])).toStrictEqual((await store.getPlan('p1'))!.tasks.map((t) => [t.atomic, t.depth]));

    const viaMd = await importTaskList(store, parseTaskMarkdown(tasksToMarkdown(exported.goal, exported.tasks)), { by: 'ada', fallbackGoal: 'x' });
    expect((await exportTaskList(store, viaMd.planId)).tasks).toStrictEqual(exported.tasks);
  });

  it('update sets every status in one version, or none when an id is unknown', async () => {
    await store.savePlan(plan('p1'));
    const before = await store.listTasks('p1');
    const error = await updateTaskStatuses(store, 'p1', ['T1.1', 'T8', 'T2', 'T9'], 'failed', 'ada').then(() => undefined, (e: unknown) => e as TaskgraphError);
    if (!error) throw new Error('expected the update to fail');
    expect(error.code).toBe('NOT_FOUND');
    expect(error.details?.['unknown']).toStrictEqual(['T8', 'T9']);
    expect(await store.listTasks('p1')).toStrictEqual(before);
    expect(await store.listPlanVersions('p1')).toHaveLength(1);
    await expect(updateTaskStatuses(store, 'p1', ['T2'], 'finished', 'ada')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });

    const v = await updateTaskStatuses(store, 'p1', ['T1.1', 'T2'], 'failed', 'ada', 's2');
    expect(v).toMatchObject({ version: 2, summary: 'status failed: T1.1, T2' });
    expect((await store.listTasks('p1')).filter((t) => t.status === 'failed').map((t) => t.id)).toStrictEqual(['T1.1', 'T2']);
    expect((await store.listAudit()).at(-1)?.details).toMatchObject({ session: 's2' });
  });

  it('ls --session finds the runs, audit entries and imported plans of a session, and nothing of another', async () => {
    const now = new Date().toISOString();
    await store.savePlan(plan('p1'));
    await store.createRun({ ...run('R1', now, { planId: 'p1' }), options: { session: 'alpha' } });
    await store.createRun({ ...run('R2', now), options: { session: 'beta' } });
    await store.appendAudit({ runId: 'R1', at: Date.now(), who: 'taskgraph', kind: 'auto-approved', subject: 'T1/apply', reason: 'low risk' });
    await store.appendAudit({ runId: 'R2', at: Date.now(), who: 'taskgraph', kind: 'auto-approved', subject: 'T2/apply', reason: 'low risk' });
    await updateTaskStatuses(store, 'p1', ['T2'], 'skipped', 'ada', 'alpha');
    await updateTaskStatuses(store, 'p1', ['T2'], 'pending', 'ada');
    const imported = await importTaskList(store, parseTaskJson([row('A')]), { by: 'ada', session: 'alpha', fallbackGoal: 'x' });

    const found = await listSession(store, 'alpha');
    expect(found.runs.map((r) => r.id)).toStrictEqual(['R1']);
    expect(found.audit.map((e) => [e.kind, e.subject])).toStrictEqual([['auto-approved', 'T1/apply'], ['plan-edit', 'p1']]);
    expect(found.plans.map((p) => p.id)).toStrictEqual([imported.planId]);
    expect(await listSession(store, 'gamma')).toMatchObject({ runs: [], audit: [], plans: [] });
  });
});
