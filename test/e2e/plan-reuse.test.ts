import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { planJson, scriptedModel } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Reuse in planning (issue 14), through the built CLI and the loopback fake server: a goal
 * planned once is planned again after the project changed (so the `plan` node's cache key
 * differs): the same goal reuses the earlier plan with NO planner call; a similar goal costs ONE
 * customisation call, smaller than planning from scratch; `--no-reuse` plans from scratch. The
 * report's Planning section states the savings, and they equal the usage the store recorded.
 */
describe('reuse of earlier plans', () => {
  const GOAL = 'Add multiply to the calculator.';
  const SIMILAR = 'Add divide to the calculator.';
  const model = scriptedModel({
    planner: (req) =>
      req.system.includes('reuses an earlier plan')
        ? planJson([{ id: 'T1', title: 'Add divide', description: 'Add divide(a, b) to src/calc.js.', files: ['src/calc.js'] }])
        : planJson([
            { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] },
            { id: 'T2', title: 'Document multiply', description: 'List multiply in the README.', files: ['README.md'], dependencies: ['T1'] },
          ]),
  });
  const scripted = useScriptedProject(model);
  const tg = (...args: string[]) => runCli(['-C', scripted.dir, ...args]);
  /** usage of the run's executed `plan` attempt, as the store recorded it */
  const planUsage = (runId: string) =>
    queryStore<{ inputTokens: number; outputTokens: number; costUsd: number }>(scripted.dir, "SELECT input_tokens AS inputTokens, output_tokens AS outputTokens, cost_usd AS costUsd FROM attempts WHERE run_id = ? AND node_id = 'plan' AND status = 'succeeded'", runId)[0]!;
  const planners = () => model.requests.filter((r) => r.role === 'planner');
  const newestRun = async () => (await cliJson<{ id: string }[]>(scripted.dir, ['runs', '--json']))[0]!.id;
  const touch = async (name: string) => {
    await writeFile(join(scripted.dir, name), `${name}\n`);
    await git(scripted.dir, 'add', '-A');
    await git(scripted.dir, 'commit', '-qm', `add ${name}`);
  };

  it('reuses the same goal with no call, adapts a similar one with one, and --no-reuse plans anew', async () => {
    const first = await tg('plan', GOAL);
    expect(first.code, describeResult(first)).toBe(0);
    const firstRun = await newestRun();
    expect(planners()).toHaveLength(1);
    const fresh = planUsage(firstRun);
    expect(fresh.inputTokens).toBeGreaterThan(0);

    // the project changed: the plan node's key differs, the archive offers the earlier plan
    await touch('NOTES.md');
    const same = await tg('plan', GOAL);
    expect(same.code, describeResult(same)).toBe(0);
    expect(planners()).toHaveLength(1); // no planner call
    expect(same.stdout).toContain(`of run ${firstRun} (the same goal)`);
    const sameRun = await newestRun();
    const sameReport = (await tg('report', sameRun, '--print')).stdout;
    expect(sameReport).toContain('## Planning');
    expect(sameReport).toContain(`Reused plan`);
    expect(sameReport).toContain('taken as it was (the same goal): no planner call');
    expect(sameReport).toContain(`saved ${fresh.inputTokens.toLocaleString('en-US')} input + ${fresh.outputTokens.toLocaleString('en-US')} output tokens`);
    // the same plan id: the reuse gave exactly the earlier tasks
    expect(queryStore<{ n: number }>(scripted.dir, 'SELECT count(DISTINCT plan_id) AS n FROM runs WHERE id IN (?, ?)', firstRun, sameRun)[0]!.n).toBe(1);

    // a similar goal: one customisation call, cheaper than planning from scratch
    await touch('MORE.md');
    const similar = await tg('plan', SIMILAR, '--json');
    expect(similar.code, describeResult(similar)).toBe(0);
    expect(planners()).toHaveLength(2);
    const customise = planners()[1]!;
    expect(customise.system).toContain('reuses an earlier plan');
    expect(customise.user).toContain('# Earlier plan, to adapt to the goal above');
    expect(customise.user.indexOf('# Earlier plan')).toBeLessThan(customise.user.indexOf('# Your answer'));
    expect(customise.user).toContain('Add multiply');
    expect((JSON.parse(similar.stdout) as { tasks: { title: string }[] }).tasks.map((t) => t.title)).toStrictEqual(['Add divide']);
    const similarRun = await newestRun();
    const spent = planUsage(similarRun);
    expect(spent.inputTokens).toBeLessThan(fresh.inputTokens);
    const report = (await tg('report', similarRun, '--print')).stdout;
    expect(report).toContain('adapted to this goal by one planner call');
    expect(report).toContain(`saved ${(fresh.inputTokens - spent.inputTokens).toLocaleString('en-US')} input`);

    // --no-reuse: the planner plans from scratch
    await touch('LAST.md');
    const anew = await tg('plan', GOAL, '--no-reuse');
    expect(anew.code, describeResult(anew)).toBe(0);
    expect(planners()).toHaveLength(3);
    expect(planners()[2]!.system).not.toContain('reuses an earlier plan');
    expect((await tg('report', await newestRun(), '--print')).stdout).toContain('Planned from scratch');
  });
});
