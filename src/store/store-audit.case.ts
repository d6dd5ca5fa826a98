import { describe, expect, it } from 'vitest';
import type { AuditInput } from './audit.js';
import { attemptStart, expectCode, plan, run, type StoreHolder } from './store-fixtures.case.js';

/** Conformance cases for the audit log (`audit.ts`; see `store.case.ts`). */
export function auditCases(h: StoreHolder): void {
  describe('audit log', () => {
    const entry = (over: Partial<AuditInput> = {}): AuditInput => ({
      at: 1_767_000_000_123,
      who: 'ada',
      kind: 'command-refused',
      subject: 'git push origin "main" — ünïcode ✓',
      reason: 'rule git-push: git push publishes commits',
      details: { rule: 'git-push', matched: ['git', 'push'], nested: { n: 1, ok: true, none: null } },
      ...over,
    });

    it('is empty in a new store', async () => {
      expect(await h.store.listAudit()).toEqual([]);
      expect(await h.store.listAudit('R1')).toEqual([]);
    });

    it('appends entries with ascending ids and lists them in order, per run or all', async () => {
      await h.store.createRun(run('R1'));
      await h.store.createRun(run('R2'));
      const a = await h.store.appendAudit(entry({ runId: 'R1' }));
      const b = await h.store.appendAudit(entry({ runId: 'R2', kind: 'command-allowed-unlisted', risk: 40, subject: 'make docs', reason: '--yes-commands' }));
      const c = await h.store.appendAudit(entry({ details: {} }));
      const d = await h.store.appendAudit(entry({ runId: 'R1', risk: 0 }));
      expect(a.id).toBeLessThan(b.id);
      expect(b.id).toBeLessThan(c.id);
      expect(c.id).toBeLessThan(d.id);
      expect(a).toStrictEqual({ id: a.id, ...entry({ runId: 'R1' }) });
      expect(c).toStrictEqual({ id: c.id, ...entry({ details: {} }) });
      expect('runId' in c).toBe(false);
      expect('risk' in a).toBe(false);
      expect(await h.store.listAudit('R1')).toStrictEqual([a, d]);
      expect(await h.store.listAudit('R2')).toStrictEqual([b]);
      expect(await h.store.listAudit()).toStrictEqual([a, b, c, d]);
      expect(await h.store.listAudit('nope')).toEqual([]);
    });

    it('defaults details to {}', async () => {
      const { details: _omit, ...rest } = entry();
      const stored = await h.store.appendAudit(rest);
      expect(stored.details).toStrictEqual({});
      expect((await h.store.listAudit())[0]?.details).toStrictEqual({});
    });

    it('refuses an unknown kind, a risk outside 0–100 and a fractional time, writing nothing', async () => {
      await expectCode(h.store.appendAudit(entry({ kind: 'no-such-kind' as never })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ risk: 101 })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ risk: -1 })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ risk: 2.5 })), 'CONFIG_INVALID');
      await expectCode(h.store.appendAudit(entry({ at: 1.5 })), 'CONFIG_INVALID');
      expect(await h.store.listAudit()).toEqual([]);
    });

    it('appendTaskNoteAudited writes the note and the entry together, or neither', async () => {
      await h.store.savePlan(plan('p1'));
      const answered = entry({ kind: 'answered', subject: 'T1.2', reason: 'answered', details: { task: 'T1.2' } });
      const task = await h.store.appendTaskNoteAudited('p1', 'T1.2', 'Answer from ada: use integers', answered);
      expect(task.notes).toEqual(['earlier note', 'Answer from ada: use integers']);
      expect(await h.store.listAudit()).toMatchObject([{ kind: 'answered', subject: 'T1.2' }]);
      await expectCode(h.store.appendTaskNoteAudited('p1', 'nope', 'x', answered), 'NOT_FOUND');
      await expectCode(h.store.appendTaskNoteAudited('p1', 'T1.2', 'never stored', entry({ risk: 101 })), 'CONFIG_INVALID');
      expect((await h.store.getTask('p1', 'T1.2'))?.notes).toEqual(['earlier note', 'Answer from ada: use integers']);
      expect(await h.store.listAudit()).toHaveLength(1);
    });

    describe('decide: a decision and its audit entry, atomically', () => {
      const at = '2025-02-01T00:00:05.000Z';
      const approved = { runId: 'R1', nodeId: 'gate', decision: 'approved' as const, by: 'ada', at, comment: 'ship it' };
      const audited = (over: Partial<AuditInput> = {}): AuditInput =>
        entry({ runId: 'R1', kind: 'approved', subject: 'gate', reason: 'ship it', details: { node: 'gate' }, ...over });

      it('writes both rows; the entry comes back as stored', async () => {
        await h.store.createRun(run('R1'));
        const stored = await h.store.decide(approved, audited());
        expect(stored).toStrictEqual({ id: stored.id, ...audited() });
        expect(await h.store.getDecision('R1', 'gate')).toStrictEqual(approved);
        expect(await h.store.listAudit('R1')).toStrictEqual([stored]);
      });

      it('keeps a JSON answer of an `answered` decision exactly', async () => {
        await h.store.createRun(run('R1'));
        const answer = { size: 3, tags: ['a', 'ü'], nested: { ok: true, none: null } };
        await h.store.decide({ runId: 'R1', nodeId: 'ask', decision: 'answered', by: 'bo', at, answer }, audited({ kind: 'answered', subject: 'ask' }));
        expect(await h.store.getDecision('R1', 'ask')).toStrictEqual({ runId: 'R1', nodeId: 'ask', decision: 'answered', by: 'bo', at, answer });
        await h.store.decide({ runId: 'R1', nodeId: 'plain', decision: 'answered', by: 'bo', at, answer: 'yes' }, audited({ kind: 'answered', subject: 'plain' }));
        expect((await h.store.getDecision('R1', 'plain'))?.answer).toBe('yes');
      });

      it('refuses a node decided already (RUN_STATE), an unknown run (NOT_FOUND) and an invalid entry (CONFIG_INVALID), writing neither row', async () => {
        await h.store.createRun(run('R1'));
        await h.store.decide(approved, audited());
        await expectCode(h.store.decide({ ...approved, decision: 'rejected', by: 'eve' }, audited({ kind: 'rejected', who: 'eve' })), 'RUN_STATE');
        expect(await h.store.getDecision('R1', 'gate')).toStrictEqual(approved);
        await expectCode(h.store.decide({ ...approved, runId: 'nope' }, audited({ runId: 'nope' })), 'NOT_FOUND');
        await expectCode(h.store.decide({ ...approved, nodeId: 'other' }, audited({ risk: 101 })), 'CONFIG_INVALID');
        expect(await h.store.getDecision('R1', 'other')).toBeUndefined();
        expect(await h.store.getDecision('nope', 'gate')).toBeUndefined();
        expect((await h.store.listAudit()).map((e) => e.kind)).toEqual(['approved']);
      });
    });

    describe("an attempt's outcome and the audit entries travelling with it, atomically", () => {
      const failed = { code: 'COMMAND_DENIED' as const, message: 'command refused', retryable: false, details: {} };
      const refused = (over: Partial<AuditInput> = {}) => entry({ runId: 'R1', details: { node: 'a' }, ...over });
      const node = (nodeId: string, status: 'failed' | 'suspended') => ({ runId: 'R1', nodeId, status, attempts: 1 });

      it('finishAttempt writes the failed attempt, the node and the entries together', async () => {
        await h.store.createRun(run('R1'));
        const started = await h.store.startAttempt(attemptStart('R1', 'a'));
        const finish = { seq: started.seq, status: 'failed' as const, error: failed, usage: started.usage, finishedAt: '2025-02-01T00:00:02.000Z', durationMs: 1000, node: node('a', 'failed') };
        await h.store.finishAttempt({ ...finish, audit: [refused(), refused({ kind: 'command-allowed-unlisted' })] });
        expect((await h.store.listAttempts('R1', 'a')).map((x) => x.status)).toEqual(['failed']);
        expect((await h.store.listAudit('R1')).map((e) => e.kind)).toEqual(['command-refused', 'command-allowed-unlisted']);
      });

      it('finishAttempt with an invalid entry writes nothing: the attempt stays running, no entry', async () => {
        await h.store.createRun(run('R1'));
        const started = await h.store.startAttempt(attemptStart('R1', 'a'));
        const finish = { seq: started.seq, status: 'failed' as const, error: failed, usage: started.usage, finishedAt: '2025-02-01T00:00:02.000Z', durationMs: 1000, node: node('a', 'failed') };
        await expectCode(h.store.finishAttempt({ ...finish, audit: [refused(), refused({ risk: 101 })] }), 'CONFIG_INVALID');
        expect((await h.store.listAttempts('R1', 'a')).map((x) => x.status)).toEqual(['running']);
        expect((await h.store.listRunNodes('R1')).find((n) => n.nodeId === 'a')?.status).toBe('running');
        expect(await h.store.listAudit()).toEqual([]);
      });

      it('recordFinishedAttempt(s) write the entries with the attempt, or neither', async () => {
        await h.store.createRun(run('R1'));
        const attempt = (nodeId: string) => ({ ...attemptStart('R1', nodeId), status: 'suspended' as const, suspendReason: 'approval needed', finishedAt: '2025-02-01T00:00:02.000Z', durationMs: 5 });
        const asked = refused({ kind: 'approval-requested', subject: 'a', risk: 10 });
        await h.store.recordFinishedAttempt(attempt('a'), node('a', 'suspended'), { audit: [asked] });
        expect((await h.store.listAttempts('R1', 'a')).map((x) => x.status)).toEqual(['suspended']);
        expect(await h.store.listAudit('R1')).toMatchObject([{ kind: 'approval-requested', subject: 'a', risk: 10 }]);
        await expectCode(h.store.recordFinishedAttempt(attempt('b'), node('b', 'suspended'), { audit: [refused({ kind: 'nope' as never })] }), 'CONFIG_INVALID');
        await expectCode(
          h.store.recordFinishedAttempts([
            { attempt: attempt('c'), node: node('c', 'suspended'), extras: { audit: [asked] } },
            { attempt: attempt('d'), node: node('d', 'suspended'), extras: { audit: [refused({ at: 1.5 })] } },
          ]),
          'CONFIG_INVALID',
        );
        expect(await h.store.listAttempts('R1', 'b')).toEqual([]);
        expect(await h.store.listAttempts('R1', 'c')).toEqual([]);
        expect(await h.store.listAudit('R1')).toHaveLength(1);
      });
    });
  });
}
