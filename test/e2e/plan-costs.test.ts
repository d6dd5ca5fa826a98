import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, type SeenRequest, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import type { FakeReply } from '../../src/testing/fake-openai-server.js';

/**
 * Plan then do, and the costs a run sees (issue 8 items 6, 7 and 14): `do` runs the plan that
 * `plan` saved for the same goal and project state, a plan's cost belongs to the run that
 * executes it, the planner is checked against the budget before each call, failed planner calls
 * count, and a server reporting negative usage fails the call.
 */

const CHANGELOG = { goal: 'Start a changelog.', plan: planJson([{ id: 'T1', title: 'Add a changelog', files: ['CHANGELOG.md'] }]) };
const LICENSE = { goal: 'Add a license file.', plan: planJson([{ id: 'T1', title: 'Add a license', files: ['LICENSE'] }]) };
const GUIDE = { goal: 'Add a contributing guide.', plan: planJson([{ id: 'T1', title: 'Write the guide', atomic: false }]) };
const HAIKU = 'Write a haiku file.';
const POLICY = 'Add a security policy.';
/** $0.15 at the sample's planner price (0.15 USD per million input tokens) */
const EXPENSIVE = { prompt_tokens: 1_000_000, completion_tokens: 0 };

const planner = (req: SeenRequest): string | FakeReply => {
  if (req.user.includes(CHANGELOG.goal)) return CHANGELOG.plan;
  if (req.user.includes(LICENSE.goal)) return { content: LICENSE.plan, usage: EXPENSIVE };
  if (req.user.includes(GUIDE.goal)) return { content: GUIDE.plan, usage: EXPENSIVE };
  if (req.user.includes(HAIKU)) return { content: 'I would rather write a haiku than JSON.', usage: { prompt_tokens: 1000, completion_tokens: 100 } };
  if (req.user.includes(POLICY)) return { content: CHANGELOG.plan, usage: { prompt_tokens: -1_000_000, completion_tokens: 10 } };
  return { status: 400, body: { error: { message: 'unexpected planner request' } } };
};

describe('plan then do, and the costs a run sees', () => {
  const model = scriptedModel({
    planner,
    coder: {
      T1: (req) =>
        req.user.includes('Add a license')
          ? udiff([['LICENSE', null, 'MIT License\n']])
          : udiff([['CHANGELOG.md', null, '# Changelog\n']]),
    },
  });
  // the sample's multiply check fails at the base commit; without it the base is green
  const scripted = useScriptedProject(model, { files: { 'test/calc.test.mjs': calc.testWithoutMultiply } });
  const plannerCalls = (goal: string) => model.requests.filter((r) => r.role === 'planner' && r.user.includes(goal)).length;
  const tg = (...args: string[]) => runCli(['-C', scripted.dir, ...args]);

  it('do runs the plan saved by plan (no planner call, saying so) and is charged its cost; --replan plans again', async () => {
    const planned = await cliJson(scripted.dir, ['plan', CHANGELOG.goal, '--json']);
    expect(planned.id).toMatch(/^p-[0-9a-f]{10}$/);
    expect(plannerCalls(CHANGELOG.goal)).toBe(1);
    // the plan run's temporary worktree and branch are gone
    expect(await git(scripted.dir, 'worktree', 'list', '--porcelain')).not.toContain('taskgraph/');
    expect(await git(scripted.dir, 'branch', '--list', 'taskgraph/*')).toBe('');

    const done = await tg('do', CHANGELOG.goal, '--json');
    expect(done.code, describeResult(done)).toBe(0);
    expect(plannerCalls(CHANGELOG.goal)).toBe(1); // no new planner request
    expect(done.stderr).toContain(`reusing plan ${planned.id}`);
    const summary = JSON.parse(done.stdout);
    expect(summary.status).toBe('succeeded');
    expect(summary.planning).toMatchObject({ planId: planned.id, chargedTo: summary.runId, usage: { calls: 1 } });
    expect(summary.usage.calls).toBe(2); // the planner's call and the coder's
    expect(summary.budget).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'maxModelCalls', spent: 2, limit: 300, isDefault: true })]));
    expect(model.coderRequests('T1')).toHaveLength(1);

    const again = await tg('do', CHANGELOG.goal, '--replan', '--json');
    expect(again.code, describeResult(again)).toBe(0);
    expect(plannerCalls(CHANGELOG.goal)).toBe(2);
    expect(again.stderr).not.toContain('reusing plan');
    const replanned = JSON.parse(again.stdout);
    // the same plan came back: its `taskgraph plan` cost was paid by the first run that executed it
    expect(replanned.planning).toMatchObject({ planId: planned.id, chargedTo: summary.runId, usage: { calls: 0 } });
  }, 180_000);

  it('plan then run PLAN: the planning cost is in the run totals, its budget and its report', async () => {
    const planned = await cliJson(scripted.dir, ['plan', LICENSE.goal, '--json']);
    const capped = await tg('run', planned.id, '--max-cost', '0.1', '--json');
    expect(capped.code, describeResult(capped)).toBe(3);
    const stopped = JSON.parse(capped.stdout);
    expect(stopped.reason).toMatch(/^run budget reached: \$0\.1500 of \$0\.1/);
    expect(model.requests.filter((r) => r.role === 'coder' && r.user.includes('Add a license'))).toHaveLength(0);
    expect(stopped.usage).toMatchObject({ calls: 1, inputTokens: 1_000_000 });

    const plain = await tg('resume', stopped.runId, '--max-cost', '5');
    expect(plain.code, describeResult(plain)).toBe(0);
    expect(plain.stdout).toMatch(/model calls: 2, tokens: \d+ in \+ \d+ out, cost: \$0\.15\d\d/);
    expect(plain.stdout).toMatch(/planning: 1 model call\(s\), \$0\.1500 by `taskgraph plan` \(r-[0-9-a-f]+\), counted in this run/);
    expect(plain.stdout).toMatch(/budget: cost \$0\.15\d\d of \$5\.0000 \(headroom \$4\.84\d\d\); model calls 2 of 300 \(default; headroom 298\)/);

    // the report the resume wrote
    const report = await readFile(/report: (.+)/.exec(plain.stdout)![1]!.trim(), 'utf8');
    expect(report).toContain('## Budget');
    expect(report).toMatch(/\| cost \(USD\) \| 0\.15\d\d \| 5\.0000 \| 4\.84\d\d \|/);
    expect(report).toMatch(/planning of plan `p-[0-9a-f]+` by `taskgraph plan` .*: 0\.1500 USD in 1 model call\(s\), charged to this run/);
    // the Totals say what the run's own nodes spent, and the cost with the planning it pays for
    expect(report).toMatch(/- planning charged to this run \(plan `p-[0-9a-f]+` by `taskgraph plan`\): 0\.1500 USD in 1 model call\(s\)\n- cost with planning: 0\.15\d\d USD in 2 model call\(s\)/);
  }, 180_000);

  it('do --max-cost stops during planning, before the planner call that would overspend', async () => {
    const r = await tg('do', GUIDE.goal, '--max-cost', '0.05', '--json');
    expect(r.code, describeResult(r)).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.reason).toMatch(/^run budget reached: \$0\.1500 of \$0\.05/);
    expect(plannerCalls(GUIDE.goal)).toBe(1); // T1's decomposition was not sent
    expect(summary.usage).toMatchObject({ calls: 1 });
  });

  it('counts failed planner calls, and fails a call whose server reports negative usage', async () => {
    const invalid = await tg('do', HAIKU, '--json');
    expect(invalid.code, describeResult(invalid)).toBe(1);
    const failed = JSON.parse(invalid.stdout);
    expect(plannerCalls(HAIKU)).toBe(3); // the answer and 2 repairs
    expect(failed.usage).toMatchObject({ calls: 3, inputTokens: 3000, outputTokens: 300 });
    expect(failed.usage.costUsd).toBeGreaterThan(0);

    const negative = await tg('do', POLICY, '--json');
    expect(negative.code, describeResult(negative)).toBe(1);
    expect(plannerCalls(POLICY)).toBe(1); // not retried
    const s = JSON.parse(negative.stdout);
    expect(s.usage).toMatchObject({ calls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(await readFile(s.report, 'utf8')).toMatch(/`plan`: PROVIDER_ERROR — model call plan .*the server reported invalid usage: input tokens -1000000 is negative/);
  });
});
