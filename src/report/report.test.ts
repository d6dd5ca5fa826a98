import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { resetSecretRedactor } from '../security/redact.js';
import { GraphSpecSchema } from '../core/graph.js';
import { keyIngredients } from '../core/hash.js';
import { TaskSchema } from '../core/task.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { RunRecord, Usage } from '../store/store.js';
import { buildRunReport, writeRunReport } from './report.js';
import { rejectionOf } from '../../test/support/expect-error.js';

const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-01T10:02:05.000Z';
const SECRET = 'sk-test-0123456789abcdef';

let store: SqliteStore;

function usage(inputTokens: number, outputTokens: number, costUsd: number, calls = 1): Usage {
  return { inputTokens, outputTokens, costUsd, calls, model: 'openai:gpt-4.1' };
}

function task(id: string, title: string, extra: Record<string, unknown> = {}) {
  return TaskSchema.parse({ planId: 'P1', id, title, ...extra });
}

const graph = GraphSpecSchema.parse({
  id: 'R1',
  nodes: [
    { id: 'auth.1/edit', kind: 'llm', task: 'auth.1' },
    { id: 'auth.1/verify', kind: 'verify', task: 'auth.1', needs: ['auth.1/edit'] },
    { id: 'auth.2/edit', kind: 'llm', task: 'auth.2', needs: ['auth.1/verify'] },
    { id: 'final', kind: 'command', needs: ['auth.2/edit'] },
  ],
});

function runRecord(patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'R1',
    status: 'running',
    graph,
    command: 'do',
    options: { goal: 'Add a login page' },
    planId: 'P1',
    projectDir: '/home/me/shop',
    worktree: '/home/me/shop/.taskgraph/worktrees/R1',
    branch: 'taskgraph/R1',
    baseCommit: 'a'.repeat(40),
    createdAt: T0,
    updatedAt: T0,
    ...patch,
  };
}

/** One attempt through the real store: start, then finish. */
async function attempt(nodeId: string, number: number, status: 'succeeded' | 'failed', u: Usage, durationMs: number, task?: string) {
  const ingredients = keyIngredients('llm', 1, {}, { n: number }, {});
  const started = await store.startAttempt({
    runId: 'R1',
    nodeId,
    number,
    cacheKey: `key-${nodeId}-${number}`,
    ingredients,
    usage: usage(0, 0, 0, 0),
    startedAt: T0,
  });
  await store.finishAttempt({
    seq: started.seq,
    status,
    usage: u,
    finishedAt: T1,
    durationMs,
    ...(status === 'failed'
      ? { error: { code: 'VERIFY_FAILED', message: 'npm test exited with 1 | 2 tests failed\nmore', retryable: false, details: {} } }
      : { output: 'ok', outputHash: 'h' }),
    node: { runId: 'R1', nodeId, status, attempts: number, ...(task ? { task } : {}) },
  });
}

async function seed(runPatch: Partial<RunRecord> = {}): Promise<void> {
  await store.savePlan({
    id: 'P1',
    goal: 'Add a login page',
    createdAt: T0,
    meta: {},
    tasks: [
      task('auth', 'Authentication', { atomic: false }),
      task('auth.1', 'Login form', { parent: 'auth', depth: 1 }),
      task('auth.2', 'Session cookie', { parent: 'auth', depth: 1, dependencies: ['auth.1'] }),
    ],
  });
  await store.createRun(runRecord(runPatch));

  await attempt('auth.1/edit', 1, 'succeeded', usage(1000, 200, 0.0123), 1500, 'auth.1');
  await store.recordCacheHit(
    {
      runId: 'R1',
      nodeId: 'auth.1/verify',
      number: 1,
      status: 'cached',
      cacheKey: 'key-verify',
      ingredients: keyIngredients('verify', 1, {}, {}, {}),
      usage: usage(0, 0, 0, 0),
      startedAt: T0,
      finishedAt: T0,
      durationMs: 2,
    },
    { runId: 'R1', nodeId: 'auth.1/verify', status: 'cached', attempts: 1, task: 'auth.1' },
  );
  await store.putRunTask({ runId: 'R1', taskId: 'auth.1', attempt: 1, status: 'done', startCommit: 'b'.repeat(40) });

  await attempt('auth.2/edit', 1, 'failed', usage(3000, 400, 0.05), 2500, 'auth.2');
  await store.appendTaskNote(
    'P1',
    'auth.2',
    `Attempt 1 failed at auth.2/verify (VERIFY_FAILED): tests failed\nCommand: npm test\nExit code: 1\nOutput:\n\`\`\`\nAuthorization: Bearer ${SECRET}\nexpected cookie "sid"\n\`\`\``,
  );
  await attempt('auth.2/edit', 2, 'failed', usage(3100, 450, 0.0511), 2600, 'auth.2');
  await store.appendTaskNote('P1', 'auth.2', 'Attempt 2 failed at auth.2/verify (VERIFY_FAILED): cookie missing\n```\nunterminated output');
  await store.putRunTask({ runId: 'R1', taskId: 'auth.2', attempt: 2, status: 'failed' });
  await store.putRunNodes([{ runId: 'R1', nodeId: 'final', status: 'skipped', attempts: 0 }]);
  await store.updateRun('R1', { status: 'failed', reason: 'task auth.2 failed after 2 attempts', updatedAt: T1, ...runPatch });
}

/** The cells of the table row whose first cell is `first`. */
function row(report: string, first: string): string[] {
  const line = report.split('\n').find((l) => l.startsWith(`| ${first} |`));
  if (!line) throw new Error(`no row ${first} in\n${report}`);
  return line.slice(2, -2).split(' | ');
}

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  await store.migrate();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await store.close();
});

describe('buildRunReport', () => {
  it('shows the run overview, tasks, notes, nodes, totals, commits and merge instructions', async () => {
    await seed();
    const report = await buildRunReport(store, 'R1', {
      commits: [{ sha: 'c'.repeat(40), message: 'feat(auth.1): login form\n\nbody' }],
    });

    expect(report.startsWith('# taskgraph run R1\n')).toBe(true);
    expect(row(report, 'status')).toEqual(['status', '**failed**']);
    expect(row(report, 'reason')).toEqual(['reason', 'task auth.2 failed after 2 attempts']);
    expect(row(report, 'goal')).toEqual(['goal', 'Add a login page']);
    expect(row(report, 'branch')).toEqual(['branch', 'taskgraph/R1']);
    expect(row(report, 'started')).toEqual(['started', T0]);
    expect(row(report, 'finished')).toEqual(['finished', T1]);
    expect(row(report, 'wall time')).toEqual(['wall time', '2m 05s']);

    // tasks: leaves only (the non-atomic parent is not executed)
    expect(report).not.toContain('| auth | Authentication');
    expect(row(report, 'auth.1')).toEqual(['auth.1', 'Login form', 'done', '1', '1200', '0.0123']);
    expect(row(report, 'auth.2')).toEqual(['auth.2', 'Session cookie', 'failed', '2', String(3000 + 400 + 3100 + 450), '0.1011']);

    // notes, with the open fence of the second note closed and the bearer token redacted
    expect(report).toContain('#### auth.2 — Session cookie (failed)');
    expect(report).toContain('Exit code: 1');
    expect(report).toContain('expected cookie "sid"');
    expect(report).toContain('unterminated output\n```\n');
    expect(report).not.toContain(SECRET);
    expect(report).toContain('Authorization: Bearer [redacted]');

    // nodes
    expect(row(report, 'auth.1/edit')).toEqual(['auth.1/edit', 'llm', 'auth.1', 'succeeded', '1', '0', '1000', '200', '0.0123', '1500']);
    expect(row(report, 'auth.1/verify')).toEqual(['auth.1/verify', 'verify', 'auth.1', 'cached', '1', '1', '0', '0', '0.0000', '2']);
    expect(row(report, 'auth.2/edit')).toEqual(['auth.2/edit', 'llm', 'auth.2', 'failed', '2', '0', '6100', '850', '0.1011', '5100']);
    expect(row(report, 'final')).toEqual(['final', 'command', '—', 'skipped', '0', '0', '0', '0', '0.0000', '0']);
    expect(report).toContain('- `auth.2/edit`: VERIFY_FAILED — npm test exited with 1 | 2 tests failed');

    // totals
    expect(report).toContain('- tokens: 8150 (7100 in, 1050 out)');
    expect(report).toContain('- cost: 0.1134 USD');
    expect(report).toContain('- model calls: 3');
    expect(report).toContain('- node attempts: 4 (3 executed, 1 cache hits)');

    // commits and merging
    expect(report).toContain(`- \`${'c'.repeat(12)}\` feat(auth.1): login form\n`);
    expect(report).toContain('git merge --ff-only taskgraph/R1');
    expect(report).toContain('git merge taskgraph/R1 ');
    expect(report).toContain('cd /home/me/shop\n');
    expect(report).toContain('git worktree remove /home/me/shop/.taskgraph/worktrees/R1');
    expect(report).toContain('review the branch before merging');
  });

  it('redacts secret values taken from the environment', async () => {
    vi.stubEnv('MY_SERVICE_API_KEY', 'zz-secret-value-42');
    resetSecretRedactor(); // the process-wide redactor read process.env before the stub
    try {
      await seed({ reason: 'failed with key zz-secret-value-42' });
      // the store already redacted the reason on its way in; the report redacts again
      expect((await store.getRun('R1'))?.reason).toBe('failed with key [redacted]');
      const report = await buildRunReport(store, 'R1');
      expect(report).not.toContain('zz-secret-value-42');
      expect(report).toContain('failed with key [redacted]');
    } finally {
      vi.unstubAllEnvs();
      resetSecretRedactor();
    }
  });

  it('tells a suspended run to resume, and a run without branch that there is nothing to merge', async () => {
    await seed({ status: 'suspended', reason: 'approval needed for migrations/' });
    const suspended = await buildRunReport(store, 'R1');
    expect(suspended).toContain('`taskgraph resume R1`');
    expect(row(suspended, 'wall time')).toEqual(['wall time', '2m 05s so far']);
    expect(row(suspended, 'finished')[1]).toContain('suspended');

    await store.createRun(runRecord({ id: 'R2', planId: undefined, branch: undefined, worktree: undefined, options: {} }));
    const plain = await buildRunReport(store, 'R2');
    expect(plain).toContain('nothing to merge');
    expect(plain).toContain('No commits.');
    expect(row(plain, 'auth.1/edit')).toEqual(['auth.1/edit', 'llm', 'auth.1', 'pending', '0', '0', '0', '0', '0.0000', '0']);
  });

  it('rejects an unknown run with NOT_FOUND', async () => {
    const error = await rejectionOf(buildRunReport(store, 'nope'));
    expect(error).toBeInstanceOf(TaskgraphError);
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('writeRunReport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes .taskgraph/reports/<run>.md and returns its path', async () => {
    await seed();
    const path = await writeRunReport(store, 'R1', dir);
    expect(path).toBe(join(dir, '.taskgraph', 'reports', 'R1.md'));
    expect(await readFile(path, 'utf8')).toBe(await buildRunReport(store, 'R1'));
  });
});
