import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema, type ProjectConfig } from '../core/config.js';
import type { NodeSpec } from '../core/graph.js';
import { failureNote } from '../engine/refine.js';
import type { NodeContext } from '../engine/node-executor.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { run } from '../store/store-fixtures.case.js';
import { udiff } from '../testing/udiff.js';
import { makeRepo, useGitFixtures } from '../workspace/git-workspace-fixtures.case.js';
import { GitWorkspace } from '../workspace/git-workspace.js';
import { applyExecutor } from './apply.js';

/**
 * The `apply` node's diff-scoped approval (issue 11) against a real git repository and a real
 * SQLite store: an edit to a protected path suspends before anything is written; the decision
 * binds to the diff's hash; a rejection is a refinable EDIT_DECLINED carrying the comment;
 * `autoApproveBelow` applies and audits; protected configuration stays refused.
 */
useGitFixtures();

const CALC = 'export const add = (a, b) => a + b;\n';
const CI = 'name: ci\non: [push]\n';
const edit = udiff([
  ['src/calc.js', CALC, `${CALC}export const mul = (a, b) => a * b;\n`],
  ['.github/workflows/ci.yml', CI, `${CI}jobs: {}\n`],
]);

async function setup(policy: Record<string, unknown> = {}) {
  const dir = await makeRepo({ 'src/calc.js': CALC, '.github/workflows/ci.yml': CI, 'taskgraph.yaml': 'commands: {}\n' });
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  await store.createRun(run('R1'));
  const config: ProjectConfig = ProjectConfigSchema.parse({ policy: { safety: policy } });
  const node = { id: 'T1/apply', kind: 'apply', config: {}, task: 'T1' } as unknown as NodeSpec;
  const ctx: NodeContext = {
    runId: 'R1', node, attempt: 1, store, projectDir: dir, config, workspace: new GitWorkspace(dir, 'main'), models: undefined, planId: undefined,
    outputOf: () => undefined, scripts: new Map(), signal: new AbortController().signal, log: () => undefined,
  };
  const execute = (text = edit) => applyExecutor.execute({}, { edit: text }, ctx);
  const read = (rel: string) => readFile(path.join(dir, rel), 'utf8');
  return { dir, store, ctx, execute, read };
}

describe('apply: diff-scoped approval', () => {
  it('suspends an edit to a protected path before writing, records it once, and applies it once approved for that diff', async () => {
    const { store, execute, read } = await setup();
    const first = await execute();
    expect(first.status).toBe('suspended');
    expect(first.status === 'suspended' && first.reason).toMatch(/^approval needed for the edit \(risk 40\/100, 2 files \+2 −0: touches protected \.github\/workflows\/ci\.yml/);
    expect(await read('src/calc.js')).toBe(CALC); // nothing written, not even the unprotected file
    expect((await execute()).status).toBe('suspended');
    const requests = (await store.listAudit('R1')).filter((e) => e.kind === 'approval-requested');
    expect(requests).toHaveLength(1); // the same diff is recorded once
    expect(requests[0]).toMatchObject({ subject: 'T1/apply', risk: 40, who: 'taskgraph' });
    const diffHash = requests[0]!.details['diffHash'] as string;

    // an approval of another diff does not count
    await store.decide({ runId: 'R1', nodeId: 'T1/apply', decision: 'approved', by: 'eve', at: '2025-02-01T00:00:01.000Z', subject: 'f'.repeat(64) }, { runId: 'R1', at: 1, who: 'eve', kind: 'approved', subject: 'T1/apply', reason: 'r' });
    expect((await execute()).status).toBe('suspended');
    await store.decide({ runId: 'R1', nodeId: 'T1/apply', decision: 'approved', by: 'alice', at: '2025-02-01T00:00:02.000Z', subject: diffHash }, { runId: 'R1', at: 2, who: 'alice', kind: 'approved', subject: 'T1/apply', reason: 'r' });
    const done = await execute();
    expect(done.status).toBe('succeeded');
    expect(done.status === 'succeeded' && done.output).toMatchObject({ files: ['.github/workflows/ci.yml', 'src/calc.js'], approval: { by: 'alice', risk: 40, diffHash } });
    expect(await read('.github/workflows/ci.yml')).toBe(`${CI}jobs: {}\n`);
  });

  it('a rejection of the diff fails the node with EDIT_DECLINED, whose note carries the comment', async () => {
    const { store, execute, read } = await setup();
    await execute();
    const [request] = (await store.listAudit('R1')).filter((e) => e.kind === 'approval-requested');
    await store.decide(
      { runId: 'R1', nodeId: 'T1/apply', decision: 'rejected', by: 'bob', at: '2025-02-01T00:00:02.000Z', comment: 'leave CI alone', subject: request!.details['diffHash'] as string },
      { runId: 'R1', at: 2, who: 'bob', kind: 'rejected', subject: 'T1/apply', reason: 'leave CI alone' },
    );
    const out = await execute();
    expect(out.status).toBe('failed');
    if (out.status !== 'failed') return;
    expect(out.error).toMatchObject({ code: 'EDIT_DECLINED', details: { path: '.github/workflows/ci.yml', risk: 40 } });
    expect(failureNote('T1/apply', 1, out.error)).toContain('Reason: rejected by bob: leave CI alone');
    expect(await read('src/calc.js')).toBe(CALC);
    // a different diff (the retry's) is not covered by the rejection: it applies when it needs no approval
    const retry = await execute(udiff([['src/calc.js', CALC, `${CALC}export const mul = (a, b) => a * b;\n`]]));
    expect(retry.status).toBe('succeeded');
  });

  it('auto-approves below policy.safety.autoApproveBelow, audited with the risk; protected configuration stays refused', async () => {
    const { store, execute, read } = await setup({ autoApproveBelow: 50 });
    expect((await execute()).status).toBe('succeeded');
    expect(await read('.github/workflows/ci.yml')).toBe(`${CI}jobs: {}\n`);
    const auto = (await store.listAudit('R1')).filter((e) => e.kind === 'auto-approved');
    expect(auto).toHaveLength(1);
    expect(auto[0]).toMatchObject({ subject: 'T1/apply', risk: 40 });
    expect(auto[0]!.reason).toContain('below policy.safety.autoApproveBelow (50)');

    const refused = await execute(udiff([['taskgraph.yaml', 'commands: {}\n', 'commands: { test: "true" }\n']]));
    expect(refused.status === 'failed' && refused.error.code).toBe('EDIT_PROTECTED');
    expect(await read('taskgraph.yaml')).toBe('commands: {}\n');
  });
});
