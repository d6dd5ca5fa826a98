import { describe, expect, it } from 'vitest';
import { listSession } from '../cli/session-ls.js';
import type { AuditInput } from './audit.js';
import { sessionTaggedStore } from './session-tagged-store.js';
import { SqliteStore } from './sqlite-store.js';
import { attemptStart, finishedAttempt, nodeState, plan, run, usage } from './store-fixtures.case.js';

/**
 * `--session NAME` (issue 13): every record written through the tagged store carries the tag —
 * runs, plans and the audit entry of every kind of write that has one — and nothing written
 * around it does. A real SQLite store underneath; `ls --session`'s query reads the result.
 */
describe('sessionTaggedStore', () => {
  const entry = (over: Partial<AuditInput> = {}): AuditInput => ({ at: 1_767_000_000_000, who: 'ada', kind: 'note-added', subject: 'T1.1', reason: 'r', details: { task: 'T1.1' }, ...over });

  it('tags runs, plans and every audited write; untagged writes stay untagged', async () => {
    const raw = SqliteStore.open(':memory:');
    await raw.migrate();
    const tagged = sessionTaggedStore(raw, 'sprint-3');
    try {
      await tagged.savePlan(plan('p1'));
      await raw.savePlan(plan('p2'));
      await tagged.createRun(run('R1'));
      await raw.createRun(run('R2'));
      await tagged.appendAudit(entry({ runId: 'R2', kind: 'command-allowed-unlisted', subject: 'make' }));
      await tagged.appendTaskNoteAudited('p1', 'T1.1', 'Note from ada: x', entry());
      await tagged.putContextOverrides('p1', 'T1.1', { pins: ['src/a.ts'], excludes: [] }, entry({ kind: 'context-changed' }));
      await tagged.putContextOverrides('p1', 'T1.2', { pins: [], excludes: ['dist/'] }); // no entry asked for: none written
      const base = (await tagged.listPlanVersions('p1')).at(-1)!.version;
      const p = plan('p1');
      await tagged.editPlan({ planId: 'p1', tasks: p.tasks.map((t) => (t.id === 'T1.1' ? { ...t, title: 'renamed' } : t)), leaves: ['T1.1', 'T1.2', 'T2'], baseVersion: base, by: 'ada', at: 1_767_000_000_100, summary: 'rename T1.1' });
      await tagged.approvePlan({ planId: 'p1', version: base + 1, by: 'bo', at: 1_767_000_000_200 });
      await tagged.decide({ runId: 'R2', nodeId: 'gate', decision: 'approved', by: 'bo', at: '2026-01-01T00:00:00.000Z' }, entry({ runId: 'R2', kind: 'approved', subject: 'gate' }));
      await tagged.recordFinishedAttempt(finishedAttempt('R2', 'a', 'failed'), nodeState('R2', 'a', 'failed'), { audit: [entry({ runId: 'R2', kind: 'command-refused', subject: 'rm -rf /' })] });
      const started = await tagged.startAttempt(attemptStart('R2', 'b'));
      await tagged.finishAttempt({ seq: started.seq, status: 'failed', usage: usage(), finishedAt: '2026-01-01T00:00:01.000Z', durationMs: 1, node: nodeState('R2', 'b', 'failed'), audit: [entry({ runId: 'R2', kind: 'approval-requested', subject: 'b' })] });
      await tagged.appendAudit(entry({ kind: 'notified', details: { session: 'inner' } })); // an explicit tag is kept
      await raw.appendAudit(entry({ kind: 'notify-failed' }));

      await tagged.updateRun('R1', { options: { goal: "rewritten from the engine's copy" } });
      await tagged.updateRun('R1', { status: 'succeeded' });
      expect((await raw.getRun('R1'))?.options['session']).toBe('sprint-3');
      expect((await raw.getRun('R2'))?.options['session']).toBeUndefined();
      expect((await raw.getPlan('p1'))?.meta['session']).toBe('sprint-3');
      expect((await raw.getPlan('p2'))?.meta['session']).toBeUndefined();
      const audit = await raw.listAudit();
      expect(audit.map((e) => [e.kind, e.details['session'] ?? null])).toStrictEqual([
        ['command-allowed-unlisted', 'sprint-3'],
        ['note-added', 'sprint-3'],
        ['context-changed', 'sprint-3'],
        ['plan-edit', 'sprint-3'],
        ['plan-approved', 'sprint-3'],
        ['approved', 'sprint-3'],
        ['command-refused', 'sprint-3'],
        ['approval-requested', 'sprint-3'],
        ['notified', 'inner'],
        ['notify-failed', null],
      ]);
      // the overrides and the note were written with their entries
      expect(await raw.getContextOverrides('p1', 'T1.1')).toStrictEqual({ pins: ['src/a.ts'], excludes: [] });
      expect(await raw.getContextOverrides('p1', 'T1.2')).toStrictEqual({ pins: [], excludes: ['dist/'] });

      const listed = await listSession(raw, 'sprint-3');
      expect(listed.runs.map((r) => r.id)).toStrictEqual(['R1']);
      expect(listed.plans.map((x) => x.id)).toStrictEqual(['p1']);
      expect(listed.audit).toHaveLength(8);
      expect((await listSession(raw, 'inner')).audit.map((e) => e.kind)).toStrictEqual(['notified']);
    } finally {
      await raw.close();
    }
  });

  it('passes reads and failures through unchanged', async () => {
    const raw = SqliteStore.open(':memory:');
    await raw.migrate();
    const tagged = sessionTaggedStore(raw, 's');
    try {
      await expect(tagged.appendTaskNoteAudited('nope', 'T1', 'x', entry())).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await raw.listAudit()).toStrictEqual([]);
      await tagged.savePlan(plan('p1'));
      expect(await tagged.getPlan('p1')).toStrictEqual(await raw.getPlan('p1'));
      expect(await tagged.listTasks('p1')).toHaveLength(4);
    } finally {
      await tagged.close();
    }
  });
});
