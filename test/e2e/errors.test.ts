import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, createTempDir, git, readTree, type TempProject } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { readAttempts } from '../support/store-db.js';
import { ensureBuilt } from '../support/build.js';
import { useScriptedProject } from '../support/scripted-project.js';

/** Errors reach the user as `error [CODE]: message` plus a hint, and leave no half-made state behind. */

const CYCLE = `id: cyclic
nodes:
  - { id: a, kind: command, config: { run: "true" }, needs: [b] }
  - { id: b, kind: command, config: { run: "true" }, needs: [a] }
  - { id: c, kind: command, config: { run: "true" } }
`;
const UNKNOWN_REF = `id: dangling
nodes:
  - { id: a, kind: command, config: { run: "true" } }
  - { id: b, kind: script, config: { fn: echo }, inputs: { x: { $ref: nope } } }
`;
const OPENAI_CONFIG = `name: calculator
commands: { test: node test/run.mjs }
models:
  planner: { provider: openai, model: gpt-4o-mini }
  coder: { provider: openai, model: gpt-4o-mini }
# the sample's base is red on purpose (see examples/calculator/taskgraph.yaml)
policy: { baseline: off }
`;

describe('errors: clear messages, no corrupted state', () => {
  const temps: TempProject[] = [];
  let project: TempProject;

  beforeAll(async () => {
    await ensureBuilt();
    project = await createSampleRepo();
    temps.push(project);
    await writeFile(join(project.dir, 'cycle.yaml'), CYCLE);
    await writeFile(join(project.dir, 'dangling.yaml'), UNKNOWN_REF);
  });
  afterAll(async () => {
    for (const t of temps) await t.cleanup();
  });

  /** no run recorded and no run branch made */
  const expectNothingStarted = async (dir: string) => {
    expect(await cliJson(dir, ['runs', '--json'])).toEqual([]);
    expect(await git(dir, 'branch', '--list', 'taskgraph/*')).toBe('');
  };

  it('a graph file with a cycle: exit 1 with the cycle path', async () => {
    const r = await runCli(['-C', project.dir, 'run', join(project.dir, 'cycle.yaml')]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain('error [GRAPH_INVALID]');
    expect(r.stderr).toMatch(/cycle: (a -> b -> a|b -> a -> b)/);
    expect(r.stderr).toContain('hint:');
    expect(r.stdout).toBe('');
    await expectNothingStarted(project.dir);
    // `graph` on the same file reports the same problem
    const g = await runCli(['-C', project.dir, 'graph', join(project.dir, 'cycle.yaml')]);
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/cycle: (a -> b -> a|b -> a -> b)/);
  });

  it('an unknown $ref: exit 1 naming the input and the missing node', async () => {
    const r = await runCli(['-C', project.dir, 'run', join(project.dir, 'dangling.yaml')]);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain('error [GRAPH_INVALID]');
    expect(r.stderr).toContain('nodes[1].inputs.x: unknown node "nope"');
    await expectNothingStarted(project.dir);
  });

  it('no taskgraph.yaml: the hint says `taskgraph init`', async () => {
    const empty = await createTempDir();
    temps.push(empty);
    for (const args of [['runs'], ['do', 'Add multiply'], ['status']]) {
      const r = await runCli(['-C', empty.dir, ...args]);
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr).toContain('error [CONFIG_INVALID]: no taskgraph.yaml');
      expect(r.stderr).toContain('hint: run `taskgraph init`');
    }
  });

  it('`do` outside a git repository: the hint says `git init`; the directory is left alone', async () => {
    const plain = await createSampleRepo({ noGit: true });
    temps.push(plain);
    const before = await readTree(plain.dir);
    const r = await runCli(['-C', plain.dir, 'do', 'Add multiply']);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain('error [GIT_ERROR]');
    expect(r.stderr).toContain('is not a git repository');
    expect(r.stderr).toMatch(/hint: .*git init/);
    expect(await readTree(plain.dir)).toEqual(before);
    expect(await cliJson(plain.dir, ['runs', '--json'])).toEqual([]);
  });

  it('openai without OPENAI_API_KEY: MISSING_API_KEY naming the variable; the run is recorded as failed', async () => {
    const p = await createSampleRepo({ config: () => OPENAI_CONFIG });
    temps.push(p);
    const r = await runCli(['-C', p.dir, 'do', 'Add multiply', '--json'], { env: { OPENAI_API_KEY: undefined } });
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain('needs the environment variable OPENAI_API_KEY');
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: 'failed', reason: '1 node failed: plan' });
    const [run] = await cliJson(p.dir, ['runs', '--json']);
    expect(run).toMatchObject({ id: summary.runId, status: 'failed' });
    const status = await runCli(['-C', p.dir, 'status']);
    expect(status.stdout).toMatch(/failed\s+plan\s+attempts 1\s+model profile "planner" \(openai\) needs the environment variable OPENAI_API_KEY/);
    const report = await readFile(summary.report, 'utf8');
    expect(report).toContain('MISSING_API_KEY');
    expect(report).toContain('export OPENAI_API_KEY=');
    const attempts = readAttempts(p.dir, summary.runId);
    expect(attempts.map((a) => [a.node_id, a.status])).toEqual([['plan', 'failed']]);
  });

  it('--replay with a cassette that lacks the request: CASSETTE_MISS naming the node', async () => {
    const cassette = join(project.base, 'empty.cassette.json');
    await writeFile(cassette, JSON.stringify({ version: 1, entries: {} }));
    const r = await runCli(['-C', project.dir, 'do', 'Add multiply', '--replay', cassette, '--json']);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain('no recording for plan (profile "planner")');
    expect(r.stderr).toContain(cassette);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('failed');
    const report = await readFile(summary.report, 'utf8');
    expect(report).toContain('CASSETTE_MISS');
    // a missing cassette file is an error of its own
    const missing = await runCli(['-C', project.dir, 'do', 'Add multiply', '--replay', join(project.base, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.json');
  });
});

describe('a malformed plan from the planner is repaired', () => {
  const PLAN = planJson([{ id: 'T1', title: 'Add multiply', files: ['src/calc.js'] }]);
  const model = scriptedModel({
    planner: (_req, n) => (n === 1 ? 'Sure! Here is the plan: {"tasks": [ {"id": "T1", "title": ' : PLAN),
    coder: { T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]) },
  });
  const scripted = useScriptedProject(model);

  it('re-asks with the problem (invalid JSON), then carries out the valid plan', async () => {
    const r = await runCli(['-C', scripted.project.dir, 'do', 'Add multiply', '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const planner = model.requests.filter((q) => q.role === 'planner');
    expect(planner).toHaveLength(2);
    expect(planner[0]!.user).not.toContain('# Your previous answer');
    expect(planner[1]!.user).toContain('# Your previous answer');
    expect(planner[1]!.user).toContain('Sure! Here is the plan:');
    expect(planner[1]!.user).toContain('not valid JSON');
    const summary = JSON.parse(r.stdout);
    expect(summary.commits.map((c: { message: string }) => c.message)).toEqual(['feat(T1): add multiply']);
  });
});

