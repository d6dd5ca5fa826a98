import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Issue 13 "Agent CLI node kind" through `taskgraph do`, the loopback fake model as planner and
 * scripted stand-in agents (small node scripts run as the `coder` profile's CLI): the diff an
 * agent leaves is verified and committed like a model's edit; a diff touching a protected path
 * waits for approval; an agent past its timeout is killed and the task fails.
 */
const GOAL = 'Add multiply to the calculator.';
const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]);
const CI = '.github/workflows/x.yml';
const COST = 0.0123;

let scripts: string;
beforeAll(async () => {
  scripts = await mkdtemp(join(tmpdir(), 'taskgraph-agents-'));
});
afterAll(async () => {
  await rm(scripts, { recursive: true, force: true });
});

/** Writes a stand-in agent (an ES module run with this node) and returns its shell line. */
async function standIn(name: string, body: string): Promise<string> {
  const file = join(scripts, `${name}.mjs`);
  await writeFile(file, `import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';\n${body}\n`);
  return `${process.execPath} ${file}`;
}

/** The sample project's taskgraph.yaml with an agent profile as the coder. */
function withAgent(line: () => string, extra: { input?: string; timeoutMs?: number; maxAttempts?: number } = {}) {
  return (yaml: string) =>
    yaml
      .replace(
        '\npolicy:',
        `  claude-code:\n    provider: agent\n    command: ${JSON.stringify(line())}\n    input: ${extra.input ?? 'stdin'}\n` +
          (extra.timeoutMs ? `    timeoutMs: ${extra.timeoutMs}\n` : '') +
          `roles:\n  coder: claude-code\n\npolicy:`,
      )
      .replace('maxAttempts: 3', `maxAttempts: ${extra.maxAttempts ?? 3}`);
}

const MULTIPLY = JSON.stringify(calc.withMultiply('a * b'));

describe('agent node: the stand-in agent’s diff is verified and committed', () => {
  let line = '';
  const model = scriptedModel({ planner: PLAN });
  beforeAll(async () => {
    line = await standIn(
      'edits',
      `const prompt = readFileSync(0, 'utf8');
writeFileSync('src/calc.js', ${MULTIPLY});
mkdirSync('docs', { recursive: true });
writeFileSync('docs/multiply.md', 'multiply(a, b) returns a * b\\n');
console.error('stand-in agent: prompt of ' + prompt.length + ' characters, task line: ' + prompt.split('\\n').find((l) => l.startsWith('# Task')));
console.log(JSON.stringify({ type: 'result', subtype: 'success', result: 'done', total_cost_usd: ${COST} }));`,
    );
  });
  const scripted = useScriptedProject(model, { config: withAgent(() => line) });

  it('runs the agent in the worktree, applies its diff, verifies and commits it, with the transcript and cost recorded', async () => {
    const { dir } = scripted;
    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('succeeded');
    expect(model.coderRequests('T1')).toHaveLength(0);
    const files = await git(dir, 'show', '--name-only', '--format=%s', summary.branch);
    expect(files).toContain('feat(T1): add multiply');
    expect(files).toContain('src/calc.js');
    expect(files).toContain('docs/multiply.md');
    expect(await git(dir, 'show', `${summary.branch}:src/calc.js`)).toBe(calc.withMultiply('a * b').trimEnd());

    const attempts = readAttemptResults(dir, summary.runId);
    const edit = attempts.filter((a) => a.node_id === 'T1/edit');
    expect(edit.map((a) => a.status)).toEqual(['succeeded']);
    const output = JSON.parse(edit[0]!.output!);
    expect(output.format).toBe('udiff');
    expect(output.text).toContain('+++ b/src/calc.js');
    expect(output.text).toContain('+++ b/docs/multiply.md');
    expect(output.agent).toMatchObject({ profile: 'claude-code', exitCode: 0, timedOut: false, cost: 'reported', costUsd: COST });
    expect(output.agent.transcript.stdout).toContain('"total_cost_usd"');
    // the prompt (instructions + the task's context bundle) came on stdin
    expect(output.agent.transcript.stderr).toMatch(/stand-in agent: prompt of \d+ characters, task line: # Task T1/);
    expect(attempts.find((a) => a.node_id === 'T1/apply')?.status).toBe('succeeded');
    expect(attempts.find((a) => a.node_id === 'T1/verify')?.status).toBe('succeeded');
    // the cost is the attempt's usage, counted in the run's spend
    const usage = queryStore<{ cost_usd: number; model: string; calls: number }>(dir, "SELECT cost_usd, model, calls FROM attempts WHERE run_id = ? AND node_id = 'T1/edit'", summary.runId);
    expect(usage).toEqual([{ cost_usd: COST, model: 'agent:claude-code', calls: 1 }]);
  });
});

describe('agent node: a diff touching a protected path waits for approval', () => {
  let line = '';
  beforeAll(async () => {
    line = await standIn(
      'protected',
      `const prompt = readFileSync(process.env.TASKGRAPH_PROMPT_FILE, 'utf8');
if (!prompt.includes('# Task T1')) process.exit(7);
writeFileSync('src/calc.js', ${MULTIPLY});
mkdirSync('.github/workflows', { recursive: true });
writeFileSync(${JSON.stringify(CI)}, 'name: x\\non: [push]\\n');
console.log('edited; no cost reported');`,
    );
  });
  const scripted = useScriptedProject(scriptedModel({ planner: PLAN }), { config: withAgent(() => line, { input: 'file' }) });

  it('suspends the apply with the agent’s diff, nothing written; approving commits it; the cost is unknown', async () => {
    const { dir } = scripted;
    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(3);
    const runId = JSON.parse(r.stdout).runId as string;
    const pending = await cliJson(dir, ['approvals', '--run', runId, '--json']);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ runId, nodeId: 'T1/apply' });
    expect(pending[0].diff).toContain(`+++ b/${CI}`);
    const worktree = JSON.parse(r.stdout).worktree as string;
    expect(existsSync(join(worktree, CI))).toBe(false);
    expect(existsSync(join(worktree, '.taskgraph-agent-prompt.md'))).toBe(false);
    expect(await readFile(join(worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.src);
    const edit = JSON.parse(readAttemptResults(dir, runId).find((a) => a.node_id === 'T1/edit')!.output!);
    expect(edit.agent).toMatchObject({ cost: 'unknown', costUsd: null });
    expect(edit.text).not.toContain('.taskgraph-agent-prompt.md');

    const ok = await runCli(['-C', dir, 'approve', runId, 'T1/apply', '--by', 'alice', '--json']);
    expect(ok.code, describeResult(ok)).toBe(0);
    const summary = JSON.parse(ok.stdout);
    expect(summary.status).toBe('succeeded');
    expect(await git(dir, 'show', '--name-only', '--format=', summary.branch)).toContain(CI);
  });
});

describe('agent node: an agent past its timeout is killed', () => {
  let line = '';
  beforeAll(async () => {
    line = await standIn(
      'slow',
      `readFileSync(0, 'utf8');
writeFileSync('src/calc.js', 'half-written\\n');
console.log('working...');
setInterval(() => appendFileSync(${JSON.stringify(join(scripts, 'slow.log'))}, 'tick\\n'), 200);`,
    );
  });
  const scripted = useScriptedProject(scriptedModel({ planner: PLAN }), { config: withAgent(() => line, { timeoutMs: 1500, maxAttempts: 1 }) });

  it('fails the edit with a timeout, kills the process and leaves the worktree as it was', async () => {
    const { dir } = scripted;
    const started = Date.now();
    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('failed');
    const edit = readAttemptResults(dir, summary.runId).filter((a) => a.node_id === 'T1/edit');
    expect(edit.map((a) => a.status)).toEqual(['failed']);
    const output = JSON.parse(edit[0]!.output!);
    expect(output.agent).toMatchObject({ timedOut: true, cost: 'unknown' });
    expect(output.agent.transcript.stdout).toContain('working...');
    // killed: it ticked while it ran and ticks no more (its pid may be a sandbox namespace's)
    const ticks = (await readFile(join(scripts, 'slow.log'), 'utf8')).length;
    expect(ticks).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 800));
    expect((await readFile(join(scripts, 'slow.log'), 'utf8')).length).toBe(ticks);
    expect(await readFile(join(summary.worktree, 'src', 'calc.js'), 'utf8')).toBe(calc.src);
    const status = await runCli(['-C', dir, 'status', summary.runId]);
    expect(status.stdout).toMatch(/timed out after 1500 ms/);
  });
});

