import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { Cassette } from './cassette.js';
import { ensureBuilt, ROOT } from '../../test/support/build.js';

/** A child process that records CALLS model calls into one cassette through the built client. */
const CHILD = `
import { AiSdkModelClient } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'llm', 'ai-sdk-client.js')).href)};
const [url, file, name, calls] = process.argv.slice(2);
const client = new AiSdkModelClient({
  profiles: { coder: { provider: 'openai-compatible', model: 'm', baseURL: url } },
  env: {},
  record: file,
});
for (let i = 0; i < Number(calls); i++) await client.generate({ profile: 'coder', prompt: name + ' call ' + i });
`;

function runChild(script: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('cassette writes from two processes at once', () => {
  let dir: string;
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tg-cassette-race-'));
    // a little latency so the two recorders interleave their saves
    server = await startFakeOpenAIServer({ respond: ({ messages }) => ({ content: `answer to ${messages.at(-1)?.content}` }), latencyMs: 5 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges under a lock: every entry of both recorders is in the file', async () => {
    const script = join(dir, 'record.mjs');
    writeFileSync(script, CHILD);
    const file = join(dir, 'shared.cassette.json');
    const calls = 6;
    const [a, b] = await Promise.all([runChild(script, [server.url, file, 'A', String(calls)]), runChild(script, [server.url, file, 'B', String(calls)])]);
    expect(a, a.stderr).toMatchObject({ code: 0 });
    expect(b, b.stderr).toMatchObject({ code: 0 });
    expect(server.requests).toHaveLength(2 * calls);
    const cassette = Cassette.load(file);
    expect(cassette.size).toBe(2 * calls);
    // no lock or temporary file is left behind
    expect(readdirSync(dir).sort()).toEqual(['record.mjs', 'shared.cassette.json']);
  });
});
