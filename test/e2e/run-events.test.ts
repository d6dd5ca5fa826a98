import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEventsRoute, type RunEventMessage } from '../../src/server/run-events.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../src/testing/fake-openai-server.js';
import { ensureBuilt } from '../support/build.js';
import { describeResult, runCli, startCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';
import { openSse, readUntil, serveApp, type ServedApp, type SseEvent } from '../support/sse-client.js';

/**
 * Issue 12, "one serve, many clients": a run driven by the real CLI in ANOTHER process (against
 * the loopback fake model) shows up, live, in the event stream of a server tailing the same
 * store — across the CLI's sessions (the run, then `approve` in yet another process).
 */
const graph = `id: live
nodes:
  - id: ask
    kind: llm
    config: { profile: coder, prompt: "Say hello" }
  - id: review
    kind: approval
    config: { question: "Publish the greeting?" }
    needs: [ask]
  - id: publish
    kind: script
    config: { fn: echo, args: published }
    inputs: { text: { $ref: ask, path: text } }
    needs: [review]
`;

describe('GET /runs/:id/events for a run the CLI drives in another process', () => {
  let model: FakeOpenAIServer;
  let project: TempProject;
  let store: SqliteStore | undefined;
  let served: ServedApp | undefined;
  let asked!: () => void;
  let release!: () => void;
  const modelAsked = new Promise<void>((r) => (asked = r));
  const released = new Promise<void>((r) => (release = r));

  beforeAll(async () => {
    await ensureBuilt();
    // the model call holds until the test lets it answer: the run is live meanwhile
    model = await startFakeOpenAIServer({
      respond: async () => {
        asked();
        await released;
        return { content: 'BONJOUR' };
      },
    });
    project = await createSampleRepo({ baseURL: model.url });
  });
  afterAll(async () => {
    release();
    await served?.close();
    await store?.close();
    await model?.close();
    await project?.cleanup();
  });

  const message = (e: SseEvent) => JSON.parse(e.data) as RunEventMessage;
  const line = (e: SseEvent) => {
    const m = message(e);
    return [m.type, m.nodeId, m.data['status']].filter((x) => x !== undefined).join(' ');
  };

  it('streams the CLI run live, follows it while suspended, and on through `approve` to the end', async () => {
    const file = join(project.base, 'live.yaml');
    await writeFile(file, graph);
    const cli = startCli(['-C', project.dir, 'run', file, '--no-worktree', '--json'], { cwd: project.dir });
    await modelAsked; // the CLI's run is in its model call now

    // the server: its own connection to the project's store, knowing nothing of the CLI
    store = SqliteStore.open(join(project.dir, '.taskgraph', 'taskgraph.db'));
    await store.migrate();
    const [run] = await store.listRuns(1);
    expect(run?.status).toBe('running');
    const app = new Hono();
    runEventsRoute(app, { store, pollMs: 50 });
    served = await serveApp(app);

    const stream = await openSse(`${served.url}/runs/${run!.id}/events`);
    expect(stream.status).toBe(200);
    const live = await readUntil(stream, (e) => e.event === 'node-start');
    expect(live.map(line)).toEqual(['run-start', 'node-start ask']);

    release(); // the model answers; the run goes on to the approval and the CLI exits 3
    const suspended = await readUntil(stream, (e) => e.event === 'run-finish');
    // the model's answer streamed (SSE chunks from the fake) before its node finished
    const deltas = suspended.filter((e) => e.event === 'model-delta');
    expect(deltas.map((e) => message(e).data['text']).join('')).toBe('BONJOUR');
    expect(deltas.every((e) => message(e).nodeId === 'ask')).toBe(true);
    expect(suspended.findIndex((e) => e.event === 'model-delta')).toBe(0);
    expect(suspended.filter((e) => e.event !== 'model-delta').map(line)).toEqual([
      'node-finish ask succeeded',
      'node-start review',
      'node-finish review suspended',
      'approval-requested review',
      'run-finish suspended',
    ]);
    expect(message(suspended.find((e) => e.event === 'approval-requested')!).data).toMatchObject({ kind: 'approval', reason: expect.stringContaining('Publish the greeting?') });
    const first = await cli.done;
    expect(first.code, describeResult(first)).toBe(3);

    // still open: a decision continues a suspended run. Approve it from yet another process
    const approve = await runCli(['-C', project.dir, 'approve', run!.id, 'review', '--by', 'ana', '--json'], { cwd: project.dir });
    expect(approve.code, describeResult(approve)).toBe(0);
    const resumed = await readUntil(stream); // ends by itself once the run succeeded and its lease is gone
    expect(resumed[0]).toMatchObject({ event: 'run-start' });
    expect(message(resumed[0]!).data).toMatchObject({ resumed: true });
    expect(resumed.filter((e) => e.event === 'node-finish').map(line)).toEqual(['node-finish review succeeded', 'node-finish publish succeeded']);
    expect(resumed.at(-1)).toMatchObject({ event: 'run-finish' });
    expect(message(resumed.at(-1)!).data).toMatchObject({ status: 'succeeded' });

    const all = [...live, ...suspended, ...resumed];
    const ids = all.map((e) => Number(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    expect(all.map(message)).toStrictEqual(await store.listRunEvents(run!.id));
  });
});
