import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * `policy.safety.commands.unlisted: ask` (the default) through the CLI (README "Safety and
 * approvals"): a node whose command line is unlisted suspends (exit 3) with the line in
 * `taskgraph approvals`; `taskgraph approve RUN NODE` runs exactly that line, audited with who
 * approved; `taskgraph reject RUN NODE --comment` fails the node with the comment, which for a
 * task's verify becomes the task's note.
 */

const graph = (run: string) => `id: asks
nodes:
  - id: poke
    kind: command
    config:
      run: ${JSON.stringify(run)}
`;
const LINE = 'echo made > made.txt && echo printed';

const audit = (dir: string, runId: string) =>
  queryStore<{ kind: string; who: string; subject: string; reason: string; details: string }>(dir, 'SELECT kind, who, subject, reason, details FROM audit WHERE run_id = ? ORDER BY id', runId);

describe('unlisted: ask for a command node', () => {
  const projects: TempProject[] = [];
  const project = async () => {
    // allowGraph: false, so the graph's own line is unlisted (by default it would be allowed)
    const p = await createSampleRepo({ config: (y) => y.replace(/^policy:\n/m, 'policy:\n  safety: { commands: { allowGraph: false } }\n') });
    projects.push(p);
    return p;
  };
  const suspended = async (p: TempProject) => {
    const file = join(p.base, 'asks.yaml');
    await writeFile(file, graph(LINE));
    const r = await runCli(['-C', p.dir, 'run', file, '--json']);
    expect(r.code, describeResult(r)).toBe(3);
    const summary = JSON.parse(r.stdout) as { runId: string; status: string; worktree: string };
    expect(summary.status).toBe('suspended');
    expect(existsSync(join(summary.worktree, 'made.txt'))).toBe(false);
    return summary;
  };

  beforeAll(async () => {
    await ensureBuilt();
  });
  afterAll(async () => {
    for (const p of projects) await p.cleanup();
  });

  it('suspends with the line in `taskgraph approvals`; approve runs it and audits who approved', async () => {
    const p = await project();
    const { runId, worktree } = await suspended(p);
    const pending = await cliJson(p.dir, ['approvals', '--run', runId, '--json']);
    expect(pending).toEqual([expect.objectContaining({ runId, nodeId: 'poke', command: LINE })]);
    const text = await runCli(['-C', p.dir, 'approvals', '--run', runId]);
    expect(text.stdout).toContain(`${runId} poke: command, risk 0/100: ${LINE}`);
    expect(text.stdout).toContain(`taskgraph approve ${runId} poke`);

    const ok = await runCli(['-C', p.dir, 'approve', runId, 'poke', '--by', 'ada', '--json']);
    expect(ok.code, describeResult(ok)).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ runId, status: 'succeeded' });
    expect(await readFile(join(worktree, 'made.txt'), 'utf8')).toBe('made\n');
    const out = queryStore<{ output: string }>(p.dir, "SELECT output FROM attempts WHERE run_id = ? AND node_id = 'poke' AND status = 'succeeded'", runId);
    expect(JSON.parse(out[0]!.output)).toMatchObject({ exitCode: 0, stdout: 'printed\n' });
    const entries = audit(p.dir, runId);
    expect(entries.map((e) => [e.kind, e.who])).toEqual([
      ['approval-requested', 'taskgraph'],
      ['approved', 'ada'],
      ['command-allowed-unlisted', 'ada'],
    ]);
    expect(entries[0]!.reason).toBe('command not in policy.safety.commands.allow');
    expect(JSON.parse(entries[1]!.details)).toMatchObject({ command: LINE, commandHash: JSON.parse(entries[0]!.details).commandHash });
    expect(entries[2]!.subject).toBe(LINE);
    expect(await cliJson(p.dir, ['approvals', '--run', runId, '--json'])).toEqual([]);
  });

  it('reject --comment fails the node with the comment; the line never runs', async () => {
    const p = await project();
    const { runId, worktree } = await suspended(p);
    const no = await runCli(['-C', p.dir, 'reject', runId, 'poke', '--by', 'bob', '--comment', 'not in this repository', '--json']);
    expect(no.code, describeResult(no)).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({ runId, status: 'failed' });
    expect(existsSync(join(worktree, 'made.txt'))).toBe(false);
    const failed = queryStore<{ error: string }>(p.dir, "SELECT error FROM attempts WHERE run_id = ? AND node_id = 'poke' AND status = 'failed'", runId);
    expect(JSON.parse(failed[0]!.error)).toMatchObject({ code: 'COMMAND_DECLINED', details: { reason: 'rejected by bob: not in this repository' } });
    expect(audit(p.dir, runId).map((e) => e.kind)).toEqual(['approval-requested', 'rejected']);
  });
});

describe("unlisted: ask for a task's verify: a rejection becomes the task's note", () => {
  const COMMENT = 'Do not run the test script here.';
  const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]);
  const edit = udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]);
  const model = scriptedModel({ planner: PLAN, coder: { T1: edit } });
  // allowConfigured: false, so commands.test (the verify line) is unlisted
  const scripted = useScriptedProject(model, { config: (y) => y.replace(/^policy:\n/m, 'policy:\n  safety: { commands: { allowConfigured: false } }\n') });

  it('suspends T1/verify on the test command; reject --comment fails it, the comment the note of the retry', async () => {
    const { dir } = scripted;
    const r = await runCli(['-C', dir, 'do', 'Add multiply to the calculator.', '--json']);
    expect(r.code, describeResult(r)).toBe(3);
    const { runId } = JSON.parse(r.stdout) as { runId: string };
    const [pending] = await cliJson(dir, ['approvals', '--run', runId, '--json']);
    expect(pending).toMatchObject({ nodeId: 'T1/verify', command: 'node test/run.mjs' });

    const no = await runCli(['-C', dir, 'reject', runId, 'T1/verify', '--by', 'bob', '--comment', COMMENT, '--json']);
    // the retry meets the same rejection (the line is the project's): the loop stops and the task waits for a person
    expect(no.code, describeResult(no)).toBe(3);
    expect(JSON.parse(no.stdout).reason).toMatch(/^T1 needs a person: the same failure twice/);
    const t1 = model.coderRequests('T1');
    expect(t1).toHaveLength(2);
    expect(t1[0]!.user).not.toContain(COMMENT);
    expect(t1[1]!.user).toContain(`Reason: rejected by bob: ${COMMENT}`);
    const notes = queryStore<{ notes: string }>(dir, "SELECT notes FROM tasks WHERE id = 'T1'");
    expect(notes[0]!.notes).toContain('Attempt 1 failed at T1/verify (COMMAND_DECLINED)');
    expect(notes[0]!.notes).toContain(`Reason: rejected by bob: ${COMMENT}`);
  });
});
