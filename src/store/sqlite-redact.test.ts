import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keyIngredients } from '../core/hash.js';
import { REDACTED, resetSecretRedactor } from '../security/redact.js';
import { SqliteStore } from './sqlite-store.js';
import { graph as graphABC, node, plan } from './store-fixtures.case.js';
import { BLOB_THRESHOLD_BYTES, type Usage } from './store.js';

/**
 * The store's safety net: whatever a caller hands it, no planted secret reaches the database
 * file or its WAL, while ids, paths and the JSON shape of every value survive.
 */

const SECRET = 'planted-store-secret-4711';
const ANTHROPIC = `sk-ant-api03-${'Zx8_Yw7-'.repeat(12)}AA`;
const T = '2025-03-01T00:00:00.000Z';
const USAGE: Usage = { inputTokens: 1, outputTokens: 2, costUsd: 0.001, calls: 1 };

const root = mkdtempSync(join(tmpdir(), 'taskgraph-redact-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SqliteStore redacts every text and JSON value it writes', () => {
  let n = 0;
  let path: string;
  let store: SqliteStore;
  beforeEach(async () => {
    vi.stubEnv('TG_TEST_SERVICE_TOKEN', SECRET);
    resetSecretRedactor();
    path = join(root, `db${n++}`, 'taskgraph.db');
    store = SqliteStore.open(path);
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    vi.unstubAllEnvs();
    resetSecretRedactor();
  });

  /** Every byte of the database and its WAL, as latin1 text (SQLite stores UTF-8 text verbatim). */
  const fileBytes = () => [path, `${path}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('\n');

  it('plans, tasks, notes, runs, attempts (inline and blob outputs), cache entries, errors, decisions, audit entries and run events', async () => {
    const leak = (what: string) => `${what} ${SECRET} and ${ANTHROPIC}`;
    const p = plan('p1');
    p.goal = leak('goal');
    p.meta = { prompt: leak('meta') };
    p.tasks[1] = { ...p.tasks[1]!, title: leak('title'), description: leak('description'), acceptance: [leak('acceptance')], notes: [leak('note')], tags: [leak('tag')] };
    await store.savePlan(p);
    await store.appendTaskNote('p1', 'T1.1', leak('appended note'));

    const graph = graphABC();
    graph.nodes[0] = node('a', { task: 'T1', config: { run: leak('echo') } });
    await store.createRun({
      id: 'R1', status: 'running', graph, command: leak('do'), options: { goal: leak('options') }, planId: 'p1',
      projectDir: join(root, 'project'), reason: leak('reason'), createdAt: T, updatedAt: T,
    });
    await store.updateRun('R1', { reason: leak('updated reason'), options: { note: leak('patched options') }, updatedAt: T });
    await store.expandRunGraph('R1', { ...graph, nodes: [...graph.nodes, node('d', { config: { run: leak('expanded') } })] }, [
      { runId: 'R1', nodeId: 'd', status: 'pending', attempts: 0 },
    ]);

    const ingredients = keyIngredients('command', 1, { run: leak('ingredient') }, {}, {});
    const big = leak('x'.repeat(BLOB_THRESHOLD_BYTES));
    await store.recordFinishedAttempt(
      { runId: 'R1', nodeId: 'a', number: 1, status: 'succeeded', cacheKey: 'k1', ingredients, output: { stdout: leak('small output') }, outputHash: 'h1', usage: USAGE, startedAt: T, finishedAt: T, durationMs: 1 },
      { runId: 'R1', nodeId: 'a', status: 'succeeded', attempts: 1 },
      { cache: { key: 'k1', kind: 'command', nodeId: 'a', ingredients, output: { stdout: leak('small output') }, outputHash: 'h1', usage: USAGE, createdAt: T } },
    );
    await store.recordFinishedAttempt(
      { runId: 'R1', nodeId: 'b', number: 1, status: 'succeeded', cacheKey: 'k2', ingredients, output: { stdout: big }, outputHash: 'h2', usage: USAGE, startedAt: T, finishedAt: T, durationMs: 1 },
      { runId: 'R1', nodeId: 'b', status: 'succeeded', attempts: 1 },
      { cache: { key: 'k2', kind: 'command', nodeId: 'b', ingredients, output: { other: big }, outputHash: 'h3', usage: USAGE, createdAt: T } },
    );
    const started = await store.startAttempt({ runId: 'R1', nodeId: 'c', number: 1, cacheKey: 'k4', ingredients, usage: USAGE, startedAt: T });
    await store.finishAttempt({
      seq: started.seq, status: 'failed', output: { stderr: leak('stderr') },
      error: { code: 'VERIFY_FAILED', message: leak('message'), retryable: false, details: { output: leak('details') }, hint: leak('hint') },
      usage: USAGE, finishedAt: T, durationMs: 1, node: { runId: 'R1', nodeId: 'c', status: 'failed', attempts: 1 },
    });
    await store.recordFinishedAttempt(
      { runId: 'R1', nodeId: 'd', number: 1, status: 'suspended', cacheKey: 'k5', ingredients, suspendReason: leak('suspended'), usage: USAGE, startedAt: T },
      { runId: 'R1', nodeId: 'd', status: 'suspended', attempts: 1 },
    );
    await store.putDecision({ runId: 'R1', nodeId: 'd', decision: 'approved', by: 'me', at: T, comment: leak('comment') });
    await store.appendAudit({ runId: 'R1', at: 1, who: leak('who'), kind: 'command-refused', subject: leak('curl -H token:'), reason: leak('reason'), details: { matched: leak('matched') } });
    await store.appendRunEvents([{ runId: 'R1', at: 2, type: 'log', nodeId: 'a', data: { message: leak('log line'), error: { message: leak('event error') } } }]);

    const bytes = fileBytes();
    expect(bytes).not.toContain(SECRET);
    expect(bytes).not.toContain('sk-ant-api03');
    expect(bytes).toContain(REDACTED);

    // read back: redacted text in place, shapes, ids and paths intact
    const back = await store.getPlan('p1');
    expect(back?.goal).toBe(`goal ${REDACTED} and ${REDACTED}`);
    expect(back?.tasks[1]?.notes).toEqual([`note ${REDACTED} and ${REDACTED}`, `appended note ${REDACTED} and ${REDACTED}`]);
    const run = await store.getRun('R1');
    expect(run?.projectDir).toBe(join(root, 'project'));
    expect(run?.reason).toBe(`updated reason ${REDACTED} and ${REDACTED}`);
    expect(run?.graph.nodes.map((x) => x.id)).toEqual(['a', 'b', 'c', 'd']);
    const attempts = await store.listAttempts('R1');
    const byNode = Object.fromEntries(attempts.map((a) => [a.nodeId, a]));
    expect(byNode['a']?.output).toEqual({ stdout: `small output ${REDACTED} and ${REDACTED}` });
    expect(byNode['b']?.output).toEqual({ stdout: `${'x'.repeat(BLOB_THRESHOLD_BYTES)} ${REDACTED} and ${REDACTED}` });
    expect(byNode['c']?.error).toMatchObject({ code: 'VERIFY_FAILED', message: `message ${REDACTED} and ${REDACTED}`, hint: `hint ${REDACTED} and ${REDACTED}` });
    expect((await store.getCache('k1'))?.output).toEqual({ stdout: `small output ${REDACTED} and ${REDACTED}` });
    const [audit] = await store.listAudit('R1');
    expect(audit).toMatchObject({ subject: `curl -H token: ${REDACTED} and ${REDACTED}`, details: { matched: `matched ${REDACTED} and ${REDACTED}` } });
    const [event] = await store.listRunEvents('R1');
    expect(event).toMatchObject({ nodeId: 'a', data: { message: `log line ${REDACTED} and ${REDACTED}`, error: { message: `event error ${REDACTED} and ${REDACTED}` } } });
  });

  it('writes values without a secret unchanged', async () => {
    const p = plan('p2');
    await store.savePlan(p);
    expect(await store.getPlan('p2')).toEqual(p);
  });
});
