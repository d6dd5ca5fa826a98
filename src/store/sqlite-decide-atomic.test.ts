import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { run } from './store-fixtures.case.js';

/**
 * Issue 11: "every audit entry is written with its effect, or not at all". A SQLite trigger
 * makes the audit INSERT fail after the decision row was inserted inside the same transaction —
 * the moment a process killed "between the decision and its audit entry" would die. Another
 * connection (another process's view) must then see neither row.
 */
const root = mkdtempSync(join(tmpdir(), 'taskgraph-decide-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Store.decide under an injected failure', () => {
  it('a failure after the decision insert leaves neither the decision nor the audit entry', async () => {
    const path = join(root, 'taskgraph.db');
    const store = SqliteStore.open(path);
    await store.migrate();
    await store.createRun(run('R1'));
    const raw = new Database(path);
    try {
      raw.exec(`CREATE TRIGGER die_between BEFORE INSERT ON audit
        WHEN (SELECT count(*) FROM decisions WHERE run_id = NEW.run_id AND node_id = NEW.subject) = 1
        BEGIN SELECT RAISE(ABORT, 'injected: killed between decision and audit'); END`);
      const decision = { runId: 'R1', nodeId: 'gate', decision: 'approved' as const, by: 'ada', at: '2025-02-01T00:00:05.000Z' };
      const entry = { runId: 'R1', at: 1_767_000_000_000, who: 'ada', kind: 'approved' as const, subject: 'gate', reason: 'ok' };
      // the trigger fires only when the decision row is already there: proof the failure comes after it
      await expect(store.decide(decision, entry)).rejects.toThrow(/injected: killed between decision and audit/);
      expect(raw.prepare('SELECT count(*) AS n FROM decisions').get()).toEqual({ n: 0 });
      expect(raw.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 0 });
      expect(await store.getDecision('R1', 'gate')).toBeUndefined();
      expect(await store.listAudit('R1')).toEqual([]);

      // the same call without the failure writes both
      raw.exec('DROP TRIGGER die_between');
      await store.decide(decision, entry);
      expect(raw.prepare('SELECT count(*) AS n FROM decisions').get()).toEqual({ n: 1 });
      expect(raw.prepare('SELECT kind FROM audit').all()).toEqual([{ kind: 'approved' }]);
    } finally {
      raw.close();
      await store.close();
    }
  });
});
