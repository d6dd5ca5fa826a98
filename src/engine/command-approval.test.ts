import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { defaultRegistry } from '../nodes/index.js';
import { commandHash } from '../safety/command-approval.js';
import { pendingApprovals } from '../safety/pending-approval.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { decidedAfterRelease } from './decision-pickup.js';
import { Engine } from './engine.js';

/**
 * `policy.safety.commands.unlisted: ask` (the default) in the engine, with real processes and a
 * real SQLite store: a `command` node whose line is unlisted suspends with a pending approval of
 * that exact line; an approval bound to the line runs it on resume (audited with who approved),
 * a rejection fails the node with the comment; and a refused line's audit entry is written in
 * the transaction of the node's failure (a failure injected between them leaves neither).
 */
const root = mkdtempSync(join(tmpdir(), 'taskgraph-command-approval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh project directory and file store; `allowGraph: false` so graph lines are unlisted. */
async function setup(commands: Record<string, unknown> = { allowGraph: false }) {
  const dir = join(root, `p${n++}`);
  const path = join(dir, '.taskgraph', 'taskgraph.db');
  const store = SqliteStore.open(path);
  await store.migrate();
  const config = ProjectConfigSchema.parse({ policy: { safety: { sandbox: 'off', commands } } });
  const { executors, scripts } = defaultRegistry();
  const engine = () => new Engine({ store, executors, scripts, projectDir: dir, config });
  return { dir, path, store, engine };
}

const commandGraph = (run: string): GraphSpecInput => ({ nodes: [{ id: 'poke', kind: 'command', config: { run } }] });
const decision = (runId: string, line: string, over: { decision: 'approved' | 'rejected'; by: string; comment?: string }) =>
  [
    { runId, nodeId: 'poke', at: '2026-01-01T00:00:00.000Z', subject: commandHash(line), ...over },
    // as `taskgraph approve|reject` writes it (cli/decide-node.ts): the line's hash in details
    { runId, at: 1_767_000_000_000, who: over.by, kind: over.decision, subject: 'poke', reason: over.comment ?? 'no comment', details: { node: 'poke', command: line, commandHash: commandHash(line) } },
  ] as const;

describe('unlisted: ask in a run', () => {
  it('suspends on an unlisted line; approval of that line runs it on resume, audited with who approved', async () => {
    const { dir, store, engine } = await setup();
    const line = 'echo made > made.txt && echo printed';
    const first = await engine().start({ graph: commandGraph(line), command: 'test' });
    expect(first.status).toBe('suspended');
    expect(existsSync(join(dir, 'made.txt'))).toBe(false);
    const [attempt] = await store.listAttempts(first.runId, 'poke');
    expect(attempt).toMatchObject({ status: 'suspended', suspendReason: expect.stringContaining(`approval needed for the command \`${line}\``) });
    expect((await store.listRunNodes(first.runId)).find((x) => x.nodeId === 'poke')?.status).toBe('suspended');
    const [pending] = await pendingApprovals(store, [first.runId]);
    expect(pending).toMatchObject({ nodeId: 'poke', command: line, commandHash: commandHash(line), subject: commandHash(line) });
    expect(await store.listAudit(first.runId)).toEqual([expect.objectContaining({ kind: 'approval-requested', subject: 'poke', reason: 'command not in policy.safety.commands.allow' })]);

    // a second session before anyone decided asks again without a second request
    expect((await engine().resume(first.runId)).status).toBe('suspended');
    expect(await store.listAudit(first.runId)).toHaveLength(1);

    expect(await decidedAfterRelease(store, first.runId)).toBe(false);
    await store.decide(...decision(first.runId, line, { decision: 'approved', by: 'ada' }));
    expect(await decidedAfterRelease(store, first.runId)).toBe(true); // a live run would pick it up
    const resumed = await engine().resume(first.runId);
    expect(resumed.status).toBe('succeeded');
    expect(readFileSync(join(dir, 'made.txt'), 'utf8')).toBe('made\n');
    expect((await store.listAttempts(first.runId, 'poke')).at(-1)).toMatchObject({ status: 'succeeded', output: expect.objectContaining({ exitCode: 0, stdout: 'printed\n' }) });
    expect((await store.listAudit(first.runId)).map((e) => [e.kind, e.who])).toEqual([
      ['approval-requested', 'taskgraph'],
      ['approved', 'ada'],
      ['command-allowed-unlisted', 'ada'],
    ]);
  });

  it('a rejection fails the node with COMMAND_DECLINED and the comment as the reason; nothing runs', async () => {
    const { dir, store, engine } = await setup();
    const line = 'echo made > made.txt';
    const first = await engine().start({ graph: commandGraph(line), command: 'test' });
    expect(first.status).toBe('suspended');
    await store.decide(...decision(first.runId, line, { decision: 'rejected', by: 'bob', comment: 'writes into the checkout' }));
    const resumed = await engine().resume(first.runId);
    expect(resumed.status).toBe('failed');
    expect((await store.listAttempts(first.runId, 'poke')).at(-1)).toMatchObject({
      status: 'failed',
      error: { code: 'COMMAND_DECLINED', message: expect.stringContaining('writes into the checkout'), details: expect.objectContaining({ reason: 'rejected by bob: writes into the checkout' }) },
    });
    expect(existsSync(join(dir, 'made.txt'))).toBe(false);
  });

  it('an approval of one line does not approve another: the node asks again', async () => {
    const { dir, store, engine } = await setup();
    const first = await engine().start({ graph: commandGraph('echo a > made.txt'), command: 'test' });
    // approved: a different line (what the node would run had its config been another)
    await store.decide(...decision(first.runId, 'echo b > made.txt', { decision: 'approved', by: 'ada' }));
    expect(await decidedAfterRelease(store, first.runId)).toBe(false); // not about the line it waits on
    const again = await engine().resume(first.runId);
    expect(again.status).toBe('suspended');
    expect(existsSync(join(dir, 'made.txt'))).toBe(false);
    expect((await pendingApprovals(store, [first.runId]))[0]?.command).toBe('echo a > made.txt');
  });

  it('a node with two unlisted lines asks about each once: an earlier line approved stays approved', async () => {
    const { dir, store, engine } = await setup();
    const [one, two] = ['echo one >> lines.txt', 'echo two >> lines.txt'];
    const check: GraphSpecInput = { nodes: [{ id: 'poke', kind: 'verify', config: { commands: [one, two] } }] };
    const first = await engine().start({ graph: check, command: 'test' });
    expect((await pendingApprovals(store, [first.runId]))[0]?.command).toBe(one);
    await store.decide(...decision(first.runId, one, { decision: 'approved', by: 'ada' }));
    expect((await engine().resume(first.runId)).status).toBe('suspended');
    expect((await pendingApprovals(store, [first.runId]))[0]?.command).toBe(two);
    await store.decide(...decision(first.runId, two, { decision: 'approved', by: 'bob' }));
    expect((await engine().resume(first.runId)).status).toBe('succeeded');
    // `one` ran in both sessions after its approval (verify runs its lines from the start), `two` once
    expect(readFileSync(join(dir, 'lines.txt'), 'utf8')).toBe('one\none\ntwo\n');
    expect((await store.listAudit(first.runId)).map((e) => [e.kind, e.who])).toEqual([
      ['approval-requested', 'taskgraph'],
      ['approved', 'ada'],
      ['command-allowed-unlisted', 'ada'],
      ['approval-requested', 'taskgraph'],
      ['approved', 'bob'],
      ['command-allowed-unlisted', 'ada'],
      ['command-allowed-unlisted', 'bob'],
    ]);
  });

  it("the default policy does not ask about a graph's own lines (allowGraph): a command node's, a verify node's config.commands", async () => {
    const { dir, engine } = await setup({});
    expect((await engine().start({ graph: commandGraph('echo made > made.txt'), command: 'test' })).status).toBe('succeeded');
    expect(existsSync(join(dir, 'made.txt'))).toBe(true);
    const check: GraphSpecInput = { nodes: [{ id: 'check', kind: 'verify', config: { commands: ['test -f made.txt && echo checked'] } }] };
    expect((await engine().start({ graph: check, command: 'test' })).status).toBe('succeeded');
    // with allowGraph off, the same verify line waits for a person
    const strict = await setup({ allowGraph: false });
    expect((await strict.engine().start({ graph: check, command: 'test' })).status).toBe('suspended');
  });
});

describe("a refused command's audit entry and the node's failure: one transaction", () => {
  const count = (raw: Database.Database, sql: string) => (raw.prepare(sql).get() as { n: number }).n;

  it('both are written normally; a failure injected between the refusal and the failure record leaves neither', async () => {
    const { store, path, engine } = await setup({});
    const line = 'echo pushed > pushed.txt && git push origin HEAD';
    const raw = new Database(path);
    try {
      // "killed between the decision and the effect": the node's failure cannot be written
      raw.exec(`CREATE TRIGGER die_before_failure BEFORE UPDATE OF status ON attempts WHEN NEW.status = 'failed'
        BEGIN SELECT RAISE(ABORT, 'injected: killed before the failure was recorded'); END`);
      const broken = await engine().start({ graph: commandGraph(line), command: 'test' }).catch((e: unknown) => e as Error);
      expect(String((broken as { reason?: string }).reason ?? (broken as Error).message)).toMatch(/injected: killed before the failure was recorded/);
      expect(count(raw, `SELECT count(*) AS n FROM attempts WHERE status = 'failed'`)).toBe(0);
      expect(count(raw, 'SELECT count(*) AS n FROM audit')).toBe(0);

      // the other way round: the audit entry cannot be written once the failure row is there
      raw.exec('DROP TRIGGER die_before_failure');
      raw.exec(`CREATE TRIGGER die_at_audit BEFORE INSERT ON audit WHEN (SELECT count(*) FROM attempts WHERE status = 'failed') > 0
        BEGIN SELECT RAISE(ABORT, 'injected: killed before the audit entry was written'); END`);
      await engine().start({ graph: commandGraph(line), command: 'test' }).catch(() => undefined);
      expect(count(raw, `SELECT count(*) AS n FROM attempts WHERE status = 'failed'`)).toBe(0);
      expect(count(raw, 'SELECT count(*) AS n FROM audit')).toBe(0);

      raw.exec('DROP TRIGGER die_at_audit');
      const done = await engine().start({ graph: commandGraph(line), command: 'test' });
      expect(done.status).toBe('failed');
      const [failed] = (await store.listAttempts(done.runId, 'poke')).filter((a) => a.status === 'failed');
      expect(failed?.error).toMatchObject({ code: 'COMMAND_DENIED', details: { rule: 'git-push' } });
      expect(await store.listAudit(done.runId)).toEqual([expect.objectContaining({ kind: 'command-refused', subject: line, details: expect.objectContaining({ node: 'poke' }) })]);
      expect(count(raw, 'SELECT count(*) AS n FROM audit')).toBe(1);
    } finally {
      raw.close();
      await store.close();
    }
  });
});
