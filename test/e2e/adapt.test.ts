import { describe, expect, it } from 'vitest';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';


describe('as-needed decomposition (ADaPT): a task that fails maxAttempts times is split', () => {
  const model = scriptedModel({
    planner: (req, n) =>
      n === 1
        ? planJson([{ id: 'T1', title: 'Add multiply with a check', files: ['src/calc.js', 'test/multiply.test.mjs'] }])
        : planJson([
            { id: 'T1', title: 'Add the multiply function', files: ['src/calc.js'] },
            { id: 'T2', title: 'Add the multiply check', files: ['test/multiply.test.mjs'], dependencies: ['T1'] },
          ]),
    coder: {
      // two different wrong attempts (no loop), then the task is split
      T1: (req) =>
        udiff([
          ['src/calc.js', calc.src, calc.withMultiply(req.attempt === 1 ? 'Math.abs(a) * b' : 'a * b + 1')],
          ['test/multiply.test.mjs', null, calc.multiplyTest],
        ]),
      'T1.1': udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      'T1.2': udiff([['test/multiply.test.mjs', null, calc.multiplyTest]]),
    },
  });
  const scripted = useScriptedProject(model, { config: (y) => y.replace('maxAttempts: 3', 'maxAttempts: 2'),
      files: { 'test/calc.test.mjs': calc.testWithoutMultiply },
    });

  it('gives the planner the failure notes, runs the subtasks and joins them under the task', async () => {
    const r = await runCli(['-C', scripted.project.dir, 'do', 'Add multiply.', '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('succeeded');
    const planners = model.requests.filter((q) => q.role === 'planner');
    expect(planners).toHaveLength(2);
    expect(planners[1]!.user).toContain('Notes from earlier attempts');
    expect(planners[1]!.user).toContain('expected -6, got -5');
    const status = await cliJson(scripted.project.dir, ['status', summary.runId, '--json']);
    const nodes = Object.fromEntries(status.nodes.map((n: { nodeId: string; status: string }) => [n.nodeId, n.status]));
    expect(nodes).toMatchObject({ 'T1/verify': 'skipped', 'T1/replan': 'succeeded', 'T1.1/commit': 'succeeded', 'T1.2/commit': 'succeeded', 'T1/commit': 'succeeded' });
    const tasks = Object.fromEntries(status.tasks.map((t: { taskId: string; status: string }) => [t.taskId, t.status]));
    expect(tasks).toMatchObject({ T1: 'done', 'T1.1': 'done', 'T1.2': 'done' });
    const planTasks = status.plan.tasks.map((t: { id: string; parent?: string }) => `${t.id}<${t.parent ?? ''}`);
    expect(planTasks).toEqual(expect.arrayContaining(['T1.1<T1', 'T1.2<T1']));
    const log = await git(scripted.project.dir, 'log', '--reverse', '--format=%s', `main..${summary.branch}`);
    expect(log.split('\n')).toEqual(['feat(T1.1): add the multiply function', 'feat(T1.2): add the multiply check']);
    // the root task's project index lists the split task as its subtasks
    const index = JSON.parse(readAttemptResults(scripted.project.dir, summary.runId).find((a) => a.node_id === 'index')!.output!);
    expect(index.goals[0]).toMatch(/ — T1\.1 [^;]+ \(done\); T1\.2 [^;]+ \(done\)/);
  });
});
