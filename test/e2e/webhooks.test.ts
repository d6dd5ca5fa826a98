import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadGraphFile } from '../../src/cli/run-common.js';
import { openProject } from '../../src/cli/wiring.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/testing/webhook-receiver.js';
import { verifyWebhook } from '../../src/webhooks/signature.js';
import { ensureBuilt, ROOT } from '../support/build.js';
import { cliJson, describeResult, runCli, startCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';
import { queryStore } from '../support/store-db.js';
import { testTask } from '../support/task.js';

/**
 * Webhooks (issue 13): signed POSTs from a real CLI run to a loopback receiver; a receiver that
 * hangs does not hold the run up; a CLI killed with SIGKILL between an event and its delivery
 * loses nothing — the next CLI start delivers it.
 */

const SECRET = 'whsec-e2e-5f1c2a9b7d';
const env = { TG_WEBHOOK_SECRET: SECRET };
const SLOW_GRAPH = `id: slow
title: one slow command
nodes:
  - { id: nap, kind: command, config: { run: "sleep 20" } }
`;
const QUICK_GRAPH = `id: quick
title: two quick commands
nodes:
  - { id: a, kind: command, config: { run: "echo a" } }
  - { id: b, kind: command, config: { run: "echo b" }, needs: [a] }
`;

interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  body: string;
  lastError?: string;
}

describe('webhooks', () => {
  let receiver: WebhookReceiver | undefined;
  let repo: TempProject | undefined;
  const withHook = (url: string, extra = '') => (yaml: string) => `${yaml}\nwebhooks:\n  - url: ${url}\n    secretEnv: TG_WEBHOOK_SECRET\n${extra}`;

  beforeAll(async () => {
    await ensureBuilt();
  });
  afterEach(async () => {
    await receiver?.close();
    await repo?.cleanup();
    receiver = undefined;
    repo = undefined;
  });

  it('POSTs run and task events to a loopback receiver, each signed and with its delivery id; secrets are redacted', async () => {
    receiver = await startWebhookReceiver();
    repo = await createSampleRepo({ config: withHook(receiver.url), files: { 'quick.yaml': QUICK_GRAPH } });
    const run = await runCli(['-C', repo.dir, 'run', join(repo.dir, 'quick.yaml')], { env });
    expect(run.code, describeResult(run)).toBe(0);
    const project = await openProject(repo.dir);
    await project.store.savePlan({ id: 'p1', goal: 'g', createdAt: new Date().toISOString(), tasks: [testTask('T1', { planId: 'p1' })], meta: { leaves: ['T1'] } });
    await project.close();
    const leak = 'tok-e2e-9a8b7c6d5e4f';
    const add = await runCli(['-C', repo.dir, 'task', 'add', 'p1', '--title', `Rotate ${leak}`, '--acceptance', 'rotated'], { env: { ...env, TG_E2E_TOKEN: leak } });
    expect(add.code, describeResult(add)).toBe(0);

    const got = await receiver.waitFor(3);
    const events = got.map((r) => JSON.parse(r.body) as { id: string; event: string; data: Record<string, unknown> });
    expect(events.map((e) => e.event)).toEqual(['run_started', 'run_finished', 'task_created']);
    for (const [i, r] of got.entries()) {
      expect(verifyWebhook(SECRET, r.body, r.headers['x-taskgraph-signature'])).toBe(true);
      expect(verifyWebhook(SECRET, `${r.body} `, r.headers['x-taskgraph-signature'])).toBe(false);
      expect(r.headers['x-taskgraph-delivery']).toBe(events[i]!.id);
    }
    expect(events[1]!.data).toMatchObject({ status: 'succeeded' });
    expect(JSON.stringify(events[2])).not.toContain(leak);
    expect(events[2]!.data).toMatchObject({ planId: 'p1', task: { title: 'Rotate [redacted]' } });
    const rows = await cliJson<Delivery[]>(repo.dir, ['webhooks', 'deliveries', '--json'], { env });
    expect(rows.map((d) => [d.event, d.status, d.attempts])).toEqual([
      ['run_started', 'delivered', 1],
      ['run_finished', 'delivered', 1],
      ['task_created', 'delivered', 1],
    ]);
  }, 90_000);

  it('a receiver that never answers does not hold the run up: the run finishes while its deliveries are in flight', async () => {
    receiver = await startWebhookReceiver();
    receiver.reply = () => 'hang';
    repo = await createSampleRepo({ config: withHook(receiver.url, '    timeoutMs: 60000\n') });
    const project = await openProject(repo.dir, { env });
    try {
      const graph = await loadGraphFile(join(ROOT, 'examples', 'graphs', 'hello.yaml'));
      const t0 = Date.now();
      const summary = await project.engine({ signal: new AbortController().signal }).start({ graph, command: 'run', options: { target: 'hello.yaml' } });
      const wallMs = Date.now() - t0;
      expect(summary.status).toBe('suspended'); // hello.yaml ends at an approval
      await receiver.waitFor(1);
      const rows = await project.store.listWebhookDeliveries();
      expect(rows.map((d) => d.event)).toEqual(['run_started', 'approval_requested', 'run_finished']);
      expect(rows.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true); // nothing answered yet
      expect(wallMs).toBeLessThan(30_000); // the receiver would hold each request 60 s
    } finally {
      const t1 = Date.now();
      await project.close();
      expect(Date.now() - t1).toBeLessThan(15_000); // closing gives in-flight requests a short grace only
    }
    expect(queryStore(repo.dir, "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'")).toEqual([{ n: 3 }]);
  }, 90_000);

  it('kill -9 between an event and its delivery loses nothing: the next CLI start delivers it', async () => {
    receiver = await startWebhookReceiver();
    receiver.reply = () => 'hang'; // the run_started POST is in flight when the process dies
    repo = await createSampleRepo({ config: withHook(receiver.url), files: { 'slow.yaml': SLOW_GRAPH } });
    const cli = startCli(['-C', repo.dir, 'run', join(repo.dir, 'slow.yaml')], { env });
    const [first] = await receiver.waitFor(1);
    cli.child.kill('SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    await sleep(200);
    const before = queryStore<{ id: string; event: string; status: string; attempts: number }>(repo.dir, 'SELECT id, event, status, attempts FROM webhook_deliveries');
    expect(before).toEqual([{ id: first!.headers['x-taskgraph-delivery'], event: 'run_started', status: 'pending', attempts: 0 }]);

    receiver.reply = () => 204;
    const next = await runCli(['-C', repo.dir, 'webhooks', 'deliveries'], { env });
    expect(next.code, describeResult(next)).toBe(0);
    const again = await receiver.waitFor(2);
    expect(again[1]!.headers['x-taskgraph-delivery']).toBe(before[0]!.id); // the same delivery, retried
    expect(again[1]!.body).toBe(first!.body);
    expect(verifyWebhook(SECRET, again[1]!.body, again[1]!.headers['x-taskgraph-signature'])).toBe(true);
    const rows = await cliJson<Delivery[]>(repo.dir, ['webhooks', 'deliveries', '--json'], { env });
    expect(rows).toMatchObject([{ id: before[0]!.id, event: 'run_started', status: 'delivered', attempts: 1 }]);
  }, 90_000);
});
