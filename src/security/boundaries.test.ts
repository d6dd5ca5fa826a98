import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskgraphError, toErrorRecord } from '../core/errors.js';
import { failureNote } from '../engine/refine.js';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import { classifyProviderError } from '../llm/provider-errors.js';
import { runGated } from '../sandbox/gate.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { createRunWorkspace } from '../workspace/git-workspace.js';
import { REDACTED, resetSecretRedactor } from './redact.js';
import { redactWrites } from './redact-output.js';

/**
 * Each boundary where text leaves taskgraph's hands redacts it: command output (the gate),
 * error records, failure notes, provider errors, prompts sent to a model, commit messages and
 * the CLI's output streams. The secrets are planted in `process.env` (the process-wide redactor)
 * or in the model client's own environment.
 */

const TOKEN = 'planted-service-token-0042';
const ANTHROPIC = `sk-ant-api03-${'Pq7_Rs6-'.repeat(12)}AA`;

beforeEach(() => {
  vi.stubEnv('TG_BOUNDARY_SERVICE_TOKEN', TOKEN);
  resetSecretRedactor();
});
afterEach(() => {
  vi.unstubAllEnvs();
  resetSecretRedactor();
});

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'taskgraph-boundaries-'));
});
afterAll(() => rm(base, { recursive: true, force: true }));

describe('the gate', () => {
  it('returns command output with secrets redacted, whatever the command found', async () => {
    // a line run outside a run node: `unlisted: ask` (the default) would refuse it there
    const config = ProjectConfigSchema.parse({ policy: { safety: { commands: { unlisted: 'allow' } } } });
    // the command does not get the variable (scrubbed environment); it prints the value it "found"
    const result = await runGated(`echo "found ${TOKEN}"; echo "key ${ANTHROPIC}" >&2`, { kind: 'verify', cwd: base, config, projectDir: base });
    expect(result.exitCode).toBe(0);
    for (const text of [result.output, result.stdout, result.stderr]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('sk-ant-');
    }
    expect(result.stdout).toBe(`found ${REDACTED}\n`);
    expect(result.stderr).toBe(`key ${REDACTED}\n`);
  });
});

describe('error records and failure notes', () => {
  it('toErrorRecord redacts message, details and hint; failureNote redacts the output it quotes', () => {
    const error = new TaskgraphError('VERIFY_FAILED', `tests failed: ${TOKEN}`, {
      details: { command: 'npm test', exitCode: 1, output: `env: X=${TOKEN}\nAuthorization: Bearer ${ANTHROPIC}` },
      hint: `unset ${TOKEN}`,
    });
    const record = toErrorRecord(error);
    expect(JSON.stringify(record)).not.toContain(TOKEN);
    expect(JSON.stringify(record)).not.toContain('sk-ant-');
    expect(record.message).toBe(`tests failed: ${REDACTED}`);
    expect(record.details['output']).toBe(`env: X=${REDACTED}\nAuthorization: Bearer ${REDACTED}`);
    expect(toErrorRecord(new Error(`boom ${TOKEN}`)).message).toBe(`boom ${REDACTED}`);

    // a record that did not come through toErrorRecord is redacted by the note itself
    const raw = { code: 'COMMAND_FAILED' as const, message: `failed ${TOKEN}`, retryable: false, details: { command: `curl -H "Authorization: Bearer ${TOKEN}"`, exitCode: 1, output: ANTHROPIC } };
    const note = failureNote('T1/verify', 1, raw);
    expect(note).not.toContain(TOKEN);
    expect(note).not.toContain('sk-ant-');
    expect(note).toContain(`Attempt 1 failed at T1/verify (COMMAND_FAILED)`);
  });
});

describe('provider errors and prompts', () => {
  let server: FakeOpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a 401 whose body echoes the bearer key becomes a PROVIDER_ERROR without the key (message, details, cause)', async () => {
    const key = 'llm-key-value-abcdef-123456';
    server = await startFakeOpenAIServer({
      respond: (req) => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${String(req.headers.authorization).replace(/^Bearer /, '')}`, type: 'invalid_request_error' } } }),
    });
    const client = new AiSdkModelClient({
      profiles: { coder: { provider: 'openai-compatible', model: 'm', baseURL: server.url, apiKeyEnv: 'LLM_ACCESS' } as never },
      env: { LLM_ACCESS: key },
      retries: 0,
    });
    const error = await client.generate({ profile: 'coder', prompt: 'hello' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TaskgraphError);
    const tg = error as TaskgraphError;
    expect(tg.code).toBe('PROVIDER_ERROR');
    expect(tg.details['status']).toBe(401);
    expect(tg.message).toContain(`Incorrect API key provided: ${REDACTED}`);
    const everything = [tg.message, tg.stack, JSON.stringify(tg.toJSON()), String((tg.cause as Error | undefined)?.stack), JSON.stringify(tg.cause)].join('\n');
    expect(everything).not.toContain(key);
  });

  it('classifyProviderError redacts a URL carrying a key and an existing TaskgraphError', () => {
    const fromUrl = classifyProviderError(new Error(`fetch failed for https://x.invalid/v1?key=${TOKEN}`), 'T1/edit', 'openai:m');
    expect(fromUrl.message).not.toContain(TOKEN);
    const existing = classifyProviderError(new TaskgraphError('PROVIDER_ERROR', `bad ${ANTHROPIC}`), 'T1/edit', 'openai:m');
    expect(existing.message).toBe(`bad ${REDACTED}`);
  });

  it('redacts the system and user text before it is sent', async () => {
    server = await startFakeOpenAIServer({ respond: () => ({ content: 'ok' }) });
    const client = new AiSdkModelClient({
      profiles: { coder: { provider: 'openai-compatible', model: 'm', baseURL: server.url, apiKeyEnv: 'LLM_ACCESS' } as never },
      env: { LLM_ACCESS: 'llm-key-value-abcdef-123456', MY_SERVICE_TOKEN: TOKEN },
    });
    await client.generate({ profile: 'coder', system: `system ${TOKEN}`, prompt: `notes: llm-key-value-abcdef-123456 and ${ANTHROPIC}` });
    const body = JSON.stringify(server.requests);
    expect(body).not.toContain(TOKEN);
    expect(body).not.toContain('llm-key-value-abcdef-123456');
    expect(body).not.toContain('sk-ant-');
    expect(server.requests[0].messages).toEqual([
      { role: 'system', content: `system ${REDACTED}` },
      { role: 'user', content: `notes: ${REDACTED} and ${REDACTED}` },
    ]);
  });
});

describe('commits and terminal output', () => {
  it('a commit message loses its secrets', async () => {
    const repo = join(base, 'repo');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    await writeFile(join(repo, 'a.txt'), 'a\n');
    git('add', '-A');
    git('-c', 'user.name=F', '-c', 'user.email=f@x.invalid', 'commit', '-q', '-m', 'init');
    const ws = await createRunWorkspace({ projectDir: repo, runId: 'r-redact' });
    await ws.writeFile('b.txt', 'b\n');
    await ws.commit(`feat(T1): use ${ANTHROPIC}\n\nset ${TOKEN}`);
    const log = git('log', '--all', '--format=%B');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain('sk-ant-');
    expect(log).toContain(`feat(T1): use ${REDACTED}`);
  });

  it('redactWrites filters string and byte chunks of a stream, once', async () => {
    const stream = new PassThrough();
    redactWrites(stream);
    redactWrites(stream);
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString('utf8')));
    stream.write(`line ${TOKEN}\n`);
    stream.write(Buffer.from(`bytes ${ANTHROPIC}\n`));
    await new Promise<void>((resolve) => stream.write('clean\n', 'utf8', () => resolve()));
    expect(out).toBe(`line ${REDACTED}\nbytes ${REDACTED}\nclean\n`);
  });
});
