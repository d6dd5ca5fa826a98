import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { planJson, scriptedModel } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Issue 13, "Batch and sessions", through the built CLI: `import` of a Markdown task list with
 * nesting and checkboxes, an import with one bad row that writes nothing and names the row,
 * `export` → `import` round trip, `update --status --tasks` all or nothing, and `--session`
 * tagging a run (`do --approve-plan` stops after the planner, no coder call), its plan, and the
 * audit entries of edits, a note, a context pin and the plan's approval, listed by `ls --session`.
 */
describe('batch and sessions through the CLI', () => {
  const model = scriptedModel({
    planner: planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]),
    coder: {},
  });
  const scripted = useScriptedProject(model);
  const tg = (...args: string[]) => runCli(['-C', scripted.dir, ...args], { env: { USER: 'batch-bea' } });
  const planCount = () => queryStore<{ n: number }>(scripted.dir, 'SELECT count(*) AS n FROM plans')[0]?.n ?? 0;

  it('imports, exports, updates and lists a session', async () => {
    const md = join(scripted.dir, 'tasks.md');
    await writeFile(md, '# Calculator chores\n\n- [ ] Tidy\n  - [x] Rename add\n  - [ ] Sort exports\n    Requires: T1.1\n- [ ] Document it\n  Requires: T1\n  Acceptance: README lists every function\n');
    const imported = await tg('import', md, '--session', 'chores', '--json');
    expect(imported.code, describeResult(imported)).toBe(0);
    const { planId } = JSON.parse(imported.stdout) as { planId: string };
    const exported = await cliJson<{ goal: string; tasks: { id: string; parent?: string; status: string; dependencies: string[] }[] }>(scripted.dir, ['export', '--plan', planId]);
    expect(exported.goal).toBe('Calculator chores');
    expect(exported.tasks.map((t) => [t.id, t.parent ?? null, t.status])).toStrictEqual([
      ['T1', null, 'pending'],
      ['T1.1', 'T1', 'done'],
      ['T1.2', 'T1', 'pending'],
      ['T2', null, 'pending'],
    ]);

    // a bad row: nothing is imported, the row is named
    const bad = join(scripted.dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ tasks: [...exported.tasks, { id: 'T3', title: 'Broken', acceptance: ['x'], status: 'finished' }] }));
    const before = planCount();
    const refused = await tg('import', bad);
    expect(refused.code, describeResult(refused)).toBe(1);
    expect(refused.stderr).toContain('tasks[4].status');
    expect(planCount()).toBe(before);

    // round trip: export (json and md) → import → export gives the same tasks
    for (const format of ['json', 'md']) {
      const file = join(scripted.dir, `export.${format}`);
      expect((await tg('export', '--plan', planId, '--format', format, '--out', file)).code).toBe(0);
      const again = JSON.parse((await tg('import', file, '--json')).stdout) as { planId: string };
      expect((await cliJson(scripted.dir, ['export', '--plan', again.planId])).tasks, await readFile(file, 'utf8')).toStrictEqual(exported.tasks);
    }

    // update: an unknown id changes nothing; then all at once, tagged
    const unknown = await tg('update', '--plan', planId, '--status', 'skipped', '--tasks', 'T1.2,T7');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('T7');
    expect((await cliJson(scripted.dir, ['export', '--plan', planId])).tasks).toStrictEqual(exported.tasks);
    const updated = await tg('update', '--plan', planId, '--status', 'skipped', '--tasks', 'T1.2,T2', '--session', 'chores');
    expect(updated.code, describeResult(updated)).toBe(0);
    const after = await cliJson<typeof exported>(scripted.dir, ['export', '--plan', planId]);
    expect(after.tasks.map((t) => t.status)).toStrictEqual(['pending', 'done', 'skipped', 'skipped']);

    // a run started with the session is tagged too
    const started = await tg('do', 'Add multiply to the calculator.', '--approve-plan', '--session', 'chores');
    expect(started.code, describeResult(started)).toBe(3);
    const runId = /run (\S+): suspended/.exec(started.stdout)?.[1];
    const runPlan = (await cliJson<{ run: { planId: string } }>(scripted.dir, ['status', runId!, '--json'])).run.planId;
    // what a person then does in the session is tagged too: a note, a context pin, the approval
    for (const args of [
      ['note', 'T1', 'keep it small', '--plan', runPlan],
      ['context', 'preview', 'T1', '--plan', runPlan, '--pin', 'src/calc.js'],
      ['plan', 'approve', runPlan, '--no-resume'],
    ]) {
      const r = await tg(...args, '--session', 'chores', '--json');
      expect(r.code, describeResult(r)).toBe(0);
    }
    const listed = await cliJson<{ runs: { id: string }[]; audit: { kind: string; subject: string; who: string }[]; plans: { id: string }[] }>(scripted.dir, ['ls', '--session', 'chores', '--json']);
    expect(listed.runs.map((r) => r.id)).toStrictEqual([runId]);
    expect(listed.plans.map((p) => p.id).sort()).toStrictEqual([planId, runPlan].sort());
    expect(listed.audit.map((e) => [e.kind, e.subject])).toContainEqual(['plan-edit', planId]);
    expect(listed.audit.filter((e) => e.subject === 'T1' || e.subject === runPlan).map((e) => [e.kind, e.subject, e.who])).toStrictEqual([
      ['note-added', 'T1', 'batch-bea'],
      ['context-changed', 'T1', 'batch-bea'],
      ['plan-approved', runPlan, 'batch-bea'],
    ]);
    const other = await cliJson<{ runs: unknown[]; audit: unknown[]; plans: unknown[] }>(scripted.dir, ['ls', '--session', 'other', '--json']);
    expect(other).toMatchObject({ runs: [], audit: [], plans: [] });
  });
});
