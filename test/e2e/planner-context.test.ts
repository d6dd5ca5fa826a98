import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * The planner sees code (issue 9 item 6): the planner request carries the project's code ranked
 * against the goal (the repository map with symbols, retrieved passages), and the plan's cache key
 * holds that bundle's hash: an unchanged project reuses the plan, a changed relevant file re-plans.
 */

const GOAL = 'Make subtract in src/calc.js refuse non-numbers.';
const PLAN = planJson([{ id: 'T1', title: 'Validate the arguments of subtract', files: ['src/calc.js'] }]);

describe('the planner sees code', () => {
  const model = scriptedModel({ planner: PLAN });
  const scripted = useScriptedProject(model, { files: { 'test/calc.test.mjs': calc.testWithoutMultiply } });
  const plannerRequests = () => model.requests.filter((r) => r.role === 'planner');

  it('sends the code of the file the goal names, re-plans when it changes, and reuses the plan when nothing changed', async () => {
    const first = await cliJson(scripted.dir, ['plan', GOAL, '--json']);
    expect(plannerRequests()).toHaveLength(1);
    const user = plannerRequests()[0]!.user;
    expect(user).toContain("# Code (the project's files ranked by relevance to the goal)");
    // the repository map: src/calc.js first, with its symbols
    expect(user).toMatch(/# Repository map \(files by relevance to the goal[^\n]*\nsrc\/calc\.js\n( {2}\d+: .*\n)* {2}\d+: export function subtract\(a, b\)/);
    // the README excerpt is in the prompt once, not retrieved again
    expect(user.split('A tiny calculator library').length).toBe(2);
    // and its code, retrieved
    expect(user).toContain('return a - b;');
    expect(user).not.toContain('## Files (');

    // same goal, same project: the plan is reused, no planner call
    const again = await cliJson(scripted.dir, ['plan', GOAL, '--json']);
    expect(again.id).toBe(first.id);
    expect(plannerRequests()).toHaveLength(1);

    // the file the goal is about changes: the planner is asked again, and sees the new code
    // (--no-reuse: otherwise the same goal takes the earlier plan as it is; test/e2e/plan-reuse.test.ts)
    await writeFile(join(scripted.dir, 'src', 'calc.js'), calc.src.replace('return a - b;', 'return Number(a) - Number(b);'));
    await git(scripted.dir, 'commit', '-qam', 'subtract converts');
    await cliJson(scripted.dir, ['plan', GOAL, '--json', '--no-reuse']);
    expect(plannerRequests()).toHaveLength(2);
    expect(plannerRequests()[1]!.user).toContain('return Number(a) - Number(b);');
  });
});
