import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { run } from './store-fixtures.case.js';

/**
 * Issue 11 "diff-scoped approval": a decision about an `apply` node's edit binds to the diff's
 * hash (`DecisionRecord.subject`). A decision about the same diff is never overwritten; one about
 * an earlier attempt's diff is superseded by the decision about the new diff.
 */
const root = mkdtempSync(join(tmpdir(), 'taskgraph-subject-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Store.decide with a subject', () => {
  it('keeps the subject, refuses a second decision on it, and lets a decision on a new subject replace it', async () => {
    const store = SqliteStore.open(join(root, 'taskgraph.db'));
    await store.migrate();
    await store.createRun(run('R1'));
    const audit = (who: string, kind: 'approved' | 'rejected') => ({ runId: 'R1', at: 1_767_000_000_000, who, kind, subject: 'T1/apply', risk: 40, reason: 'r' });
    const first = { runId: 'R1', nodeId: 'T1/apply', decision: 'rejected' as const, by: 'bob', at: '2025-02-01T00:00:05.000Z', comment: 'no CI', subject: 'a'.repeat(64) };
    await store.decide(first, audit('bob', 'rejected'));
    expect(await store.getDecision('R1', 'T1/apply')).toEqual(first);

    // the same diff again: refused, nothing written
    await expect(store.decide({ ...first, decision: 'approved', by: 'eve' }, audit('eve', 'approved'))).rejects.toMatchObject({ code: 'RUN_STATE' });
    expect((await store.getDecision('R1', 'T1/apply'))?.by).toBe('bob');

    // the retry's diff: a new decision replaces the one about the old diff
    const second = { runId: 'R1', nodeId: 'T1/apply', decision: 'approved' as const, by: 'carol', at: '2025-02-01T00:01:00.000Z', subject: 'b'.repeat(64) };
    await store.decide(second, audit('carol', 'approved'));
    expect(await store.getDecision('R1', 'T1/apply')).toEqual(second);
    expect((await store.listAudit('R1')).map((e) => [e.kind, e.who, e.risk])).toEqual([
      ['rejected', 'bob', 40],
      ['approved', 'carol', 40],
    ]);

    // a node without a subject (an approval node) is decided once
    const gate = { runId: 'R1', nodeId: 'gate', decision: 'approved' as const, by: 'ada', at: '2025-02-01T00:02:00.000Z' };
    await store.decide(gate, { ...audit('ada', 'approved'), subject: 'gate' });
    await expect(store.decide(gate, { ...audit('ada', 'approved'), subject: 'gate' })).rejects.toMatchObject({ code: 'RUN_STATE' });
    expect(await store.getDecision('R1', 'gate')).toEqual(gate);
    store.close();
  });
});
