import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Issue 11 "Diff-scoped approval" through the CLI and the loopback fake model: an edit touching a
 * protected path (`.github/**`) or adding an API key suspends its task's `apply` node before
 * anything is written, with the diff and its risk; reject with a comment refines the task with the
 * comment as a note; approve applies exactly the diff shown.
 */
const GOAL = 'Add multiply to the calculator.';
const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]);
const CI = '.github/workflows/ci.yml';
const CI_YAML = 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n';
const withCi = udiff([
  ['src/calc.js', calc.src, calc.withMultiply('a * b')],
  [CI, null, CI_YAML],
]);
const onlyCalc = udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]);
const COMMENT = 'Do not add CI workflows in this task; change src/calc.js only.';

const audit = (dir: string, runId: string) =>
  queryStore<{ kind: string; who: string; subject: string; risk: number | null; reason: string; details: string }>(dir, 'SELECT kind, who, subject, risk, reason, details FROM audit WHERE run_id = ? ORDER BY id', runId);

async function suspendedRun(dir: string): Promise<string> {
  const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
  expect(r.code, describeResult(r)).toBe(3);
  const summary = JSON.parse(r.stdout);
  expect(summary.status).toBe('suspended');
  return summary.runId as string;
}

describe('diff-scoped approval: reject with a comment refines the task', () => {
  const model = scriptedModel({ planner: PLAN, coder: { T1: (req) => (req.attempt === 1 ? withCi : onlyCalc) } });
  const scripted = useScriptedProject(model);

  it('suspends an edit touching .github/ with its risk, and a rejection comment becomes the retry note', async () => {
    const { dir } = scripted;
    const runId = await suspendedRun(dir);

    // nothing was written, and the status shows why it waits and the risk
    const status = await runCli(['-C', dir, 'status', runId]);
    expect(status.stdout).toMatch(/suspended\s+T1\/apply\s+attempts 1\s+approval needed for the edit \(risk 40\/100, 2 files \+\d+ −0: touches protected \.github\/workflows\/ci\.yml \(\.github\/\*\*\)/);
    const pending = await cliJson(dir, ['approvals', '--run', runId, '--json']);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ runId, nodeId: 'T1/apply', risk: 40, stat: { files: 2, deleted: 0 } });
    expect(pending[0].diff).toContain(`+++ b/${CI}`);
    expect(pending[0].diff).toContain('+    runs-on: ubuntu-latest');
    const text = await runCli(['-C', dir, 'approvals', '--run', runId]);
    expect(text.stdout).toContain(`${runId} T1/apply: risk 40/100`);
    expect(text.stdout).toContain(`taskgraph reject ${runId} T1/apply --comment`);

    const no = await runCli(['-C', dir, 'reject', runId, 'T1/apply', '--by', 'bob', '--comment', COMMENT, '--json']);
    expect(no.code, describeResult(no)).toBe(0);
    const summary = JSON.parse(no.stdout);
    expect(summary).toMatchObject({ runId, status: 'succeeded' });

    // the retry prompt carries the comment; the new edit (src/calc.js only) needs no approval
    const t1 = model.coderRequests('T1');
    expect(t1).toHaveLength(2);
    expect(t1[0]!.user).not.toContain(COMMENT);
    expect(t1[1]!.user).toContain(COMMENT);
    expect(t1[1]!.user).toContain('Attempt 1 failed at T1/apply (EDIT_DECLINED)');
    const worktree: string = summary.worktree;
    expect(existsSync(join(worktree, CI))).toBe(false);
    expect(await readFile(join(worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.withMultiply('a * b'));

    // audited: the request with its risk, the rejection by bob with the same risk and diff hash
    const entries = audit(dir, runId).filter((e) => e.subject === 'T1/apply');
    expect(entries.map((e) => [e.kind, e.who, e.risk])).toEqual([
      ['approval-requested', 'taskgraph', 40],
      ['rejected', 'bob', 40],
    ]);
    expect(JSON.parse(entries[1]!.details).diffHash).toBe(JSON.parse(entries[0]!.details).diffHash);
    expect(entries[1]!.reason).toBe(COMMENT);
    expect(await cliJson(dir, ['approvals', '--run', runId, '--json'])).toEqual([]);
    // the report's audit section lists the request and the rejection with the risk
    const report = await runCli(['-C', dir, 'report', runId, '--print']);
    expect(report.stdout).toMatch(/\|\s*taskgraph\s*\|\s*approval-requested\s*\|\s*T1\/apply\s*\|\s*40\s*\|/);
    expect(report.stdout).toMatch(/\|\s*bob\s*\|\s*rejected\s*\|\s*T1\/apply\s*\|\s*40\s*\|/);
  });
});

describe('diff-scoped approval: approve applies the diff shown', () => {
  const model = scriptedModel({ planner: PLAN, coder: { T1: withCi } });
  const scripted = useScriptedProject(model);

  it('applies the approved edit (the protected file included) and the run succeeds', async () => {
    const { dir } = scripted;
    const runId = await suspendedRun(dir);
    const ok = await runCli(['-C', dir, 'approve', runId, 'T1/apply', '--by', 'alice', '--json']);
    expect(ok.code, describeResult(ok)).toBe(0);
    const summary = JSON.parse(ok.stdout);
    expect(summary).toMatchObject({ runId, status: 'succeeded' });
    expect(await readFile(join(summary.worktree, CI), 'utf8')).toBe(CI_YAML);
    expect(await git(dir, 'show', '--name-only', '--format=', summary.branch)).toContain(CI);
    expect(model.coderRequests('T1')).toHaveLength(1);
    const approved = audit(dir, runId).filter((e) => e.kind === 'approved');
    expect(approved).toHaveLength(1);
    expect(approved[0]).toMatchObject({ who: 'alice', subject: 'T1/apply', risk: 40 });

    // a decided approval cannot be decided again
    const again = await runCli(['-C', dir, 'reject', runId, 'T1/apply']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('not waiting for a decision');
  });
});

describe('diff-scoped approval: a decision binds to the diff it saw', () => {
  const CI_V2 = CI_YAML.replace('npm test', 'npm test -- --coverage');
  const second = udiff([
    ['src/calc.js', calc.src, calc.withMultiply('a * b')],
    [CI, null, CI_V2],
  ]);
  const model = scriptedModel({ planner: PLAN, coder: { T1: (req) => (req.attempt === 1 ? withCi : second) } });
  const scripted = useScriptedProject(model);

  it('asks again when the retried attempt brings a different diff, and applies the one approved', async () => {
    const { dir } = scripted;
    const runId = await suspendedRun(dir);
    const [first] = await cliJson(dir, ['approvals', '--run', runId, '--json']);
    const no = await runCli(['-C', dir, 'reject', runId, 'T1/apply', '--comment', 'Keep CI as it is, but run coverage.', '--json']);
    expect(no.code, describeResult(no)).toBe(3); // the retry's edit touches CI again: it waits
    const [again] = await cliJson(dir, ['approvals', '--run', runId, '--json']);
    expect(again.nodeId).toBe('T1/apply');
    expect(again.diffHash).not.toBe(first.diffHash);
    expect(again.diff).toContain('--coverage');

    const ok = await runCli(['-C', dir, 'approve', runId, 'T1/apply', '--by', 'carol', '--json']);
    expect(ok.code, describeResult(ok)).toBe(0);
    const summary = JSON.parse(ok.stdout);
    expect(summary.status).toBe('succeeded');
    expect(await readFile(join(summary.worktree, CI), 'utf8')).toBe(CI_V2);
    const decisions = audit(dir, runId).filter((e) => e.kind === 'rejected' || e.kind === 'approved');
    expect(decisions.map((e) => [e.kind, JSON.parse(e.details).diffHash])).toEqual([
      ['rejected', first.diffHash],
      ['approved', again.diffHash],
    ]);
  });
});

describe('diff-scoped approval: a secret in the diff', () => {
  const KEY = `sk-proj-${'Zq8Xw2Lm5Np7Rt4Vy1Bc3Df6Gh9Jk0'}`;
  const withKey = udiff([['src/calc.js', calc.src, `${calc.withMultiply('a * b')}\nexport const API_KEY = '${KEY}';\n`]]);
  const model = scriptedModel({ planner: PLAN, coder: { T1: withKey } });
  const scripted = useScriptedProject(model);

  it('flags an edit adding an sk-… key for approval, without showing the key', async () => {
    const { dir } = scripted;
    const runId = await suspendedRun(dir);
    const [pending] = await cliJson(dir, ['approvals', '--run', runId, '--json']);
    expect(pending.nodeId).toBe('T1/apply');
    expect(pending.risk).toBeGreaterThanOrEqual(50);
    expect(pending.reasons.join('\n')).toMatch(/adds what looks like a secret at src\/calc\.js:\d+ \(openai-anthropic-api-key\)/);
    const stored = JSON.stringify(audit(dir, runId));
    expect(stored).not.toContain(KEY);
    expect(pending.diff).toContain('[redacted]');

    // the store never keeps the key, so the resumed session's edit holds `[redacted]` in its place:
    // approving cannot write the secret into the repository
    const ok = await runCli(['-C', dir, 'approve', runId, 'T1/apply', '--json']);
    expect(ok.code, describeResult(ok)).toBe(0);
    const summary = JSON.parse(ok.stdout);
    const written = await readFile(join(summary.worktree, 'src', 'calc.js'), 'utf8');
    expect(written).not.toContain(KEY);
    expect(written).toContain("export const API_KEY = '[redacted]';");
  });
});
