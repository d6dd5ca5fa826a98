import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../src/testing/fake-openai-server.js';
import { ensureBuilt } from '../support/build.js';
import { describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

const graph = (prompt: string) => `id: forecast
nodes:
  - { id: fetch, kind: script, config: { fn: echo, args: { city: Lyon } } }
  - id: ask
    kind: llm
    config: { profile: coder, prompt: "${prompt} {{city}}" }
    inputs: { city: { $ref: fetch, path: city } }
  - { id: shout, kind: script, config: { fn: noop }, inputs: { text: { $ref: ask, path: text } } }
  - { id: other, kind: script, config: { fn: echo, args: 1 } }
`;

describe('why, run --dry-run and budget flags from the command line', () => {
  let server: FakeOpenAIServer;
  let project: TempProject;
  let file: string;

  beforeAll(async () => {
    await ensureBuilt();
    server = await startFakeOpenAIServer({ respond: () => ({ content: 'BONJOUR', usage: { prompt_tokens: 500_000, completion_tokens: 500_000 } }) });
    project = await createSampleRepo({ baseURL: server.url });
    file = join(project.base, 'forecast.yaml');
  });
  afterAll(async () => {
    await server?.close();
    await project?.cleanup();
  });

  it('forecasts, explains why a node is dirty, and stops at a cost budget until it is raised', async () => {
    await writeFile(file, graph('Say hello to'));
    const dry = await runCli(['-C', project.dir, 'run', file, '--dry-run', '--json']);
    expect(dry.code, describeResult(dry)).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dirty: 4, cached: 0 });

    const first = await runCli(['-C', project.dir, 'run', file, '--json']);
    expect(first.code, describeResult(first)).toBe(0);
    expect(server.requests).toHaveLength(1);

    // change the prompt: ask is dirty because of its template, shout waits for it, the rest is cached
    await writeFile(file, graph('Greet'));
    const why = await runCli(['-C', project.dir, 'why', file, 'ask', '--json']);
    expect(why.code, describeResult(why)).toBe(0);
    expect(JSON.parse(why.stdout)).toMatchObject({ willRun: true, changed: ['config', 'extra:template'] });
    const plain = await runCli(['-C', project.dir, 'why', file, 'shout']);
    expect(plain.stdout).toContain('after ask, which will run');
    const forecast = JSON.parse((await runCli(['-C', project.dir, 'run', file, '--dry-run', '--json'])).stdout);
    expect(forecast).toMatchObject({ dirty: 2, cached: 2 });
    // sample price: $0.15 / $0.6 per million tokens in / out. Input is counted from the prompt
    // (a few tokens), output is taken from the last attempt (500,000 tokens)
    expect(forecast.estimatedCostUsd).toBeGreaterThan(0.5 * 0.6);
    expect(forecast.estimatedCostUsd).toBeLessThan(0.5 * 0.6 + 0.0001);

    const capped = await runCli(['-C', project.dir, 'run', file, '--max-cost', '0.1', '--json']);
    expect(capped.code, describeResult(capped)).toBe(3);
    const s = JSON.parse(capped.stdout);
    expect(s.status).toBe('suspended');
    expect(s.reason).toMatch(/run budget reached: \$0\.3750 of \$0\.1/);
    const resumed = await runCli(['-C', project.dir, 'resume', s.runId, '--max-cost', '5', '--json']);
    expect(resumed.code, describeResult(resumed)).toBe(0);
    expect(JSON.parse(resumed.stdout).status).toBe('succeeded');
    expect(server.requests).toHaveLength(2);
  });

  it('rejects a malformed budget flag', async () => {
    const r = await runCli(['-C', project.dir, 'run', file, '--max-time', 'soon']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--max-time needs a duration like 90s, 30m or 2h');
  });
});
