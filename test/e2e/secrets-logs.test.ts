import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeReply, FakeRequest } from '../../src/testing/fake-openai-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/testing/webhook-receiver.js';
import { describeResult, runCli, type CliResult } from '../support/cli.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Secrets (issue 13, "Tracing and logs"): with `OPENAI_API_KEY=sk-test-<random>` set and a model
 * profile naming it (`apiKeyEnv`), a real CLI `do` against the loopback fake model — whose first
 * answer is a 401 echoing the key, and whose plan writes the key into the task's description —
 * leaves the value nowhere: not in the run logs (`.taskgraph/logs/`, debug level), any table of
 * the store, the report, the cassette it records, the webhook bodies a loopback receiver gets,
 * or the terminal. (Span attributes: `src/observability/trace-observer.test.ts`.)
 */

const KEY = `sk-test-${randomBytes(16).toString('hex')}`;
const GOAL = 'Add a diagnostics check.';
const PLAN = planJson([{ id: 'T1', title: 'Add a diagnostics check', description: `Add test/diagnostics.test.mjs; the key is ${KEY}.`, files: ['test/diagnostics.test.mjs'] }]);
const CHECK = `check('diagnostics', () => {\n  if (typeof process.env !== 'object') throw new Error('no environment');\n});\n`;

describe('secrets stay out of logs, records, reports, cassettes and webhook bodies', () => {
  let receiver: WebhookReceiver;
  let failedOnce = false;
  const model = scriptedModel({ planner: PLAN, coder: { T1: () => udiff([['test/diagnostics.test.mjs', null, CHECK]]) } });
  const respond = (req: FakeRequest): FakeReply => {
    if (!failedOnce) {
      failedOnce = true;
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      return { status: 401, body: { error: { message: `Incorrect API key provided: ${key}.`, type: 'invalid_request_error', code: 'invalid_api_key' } } };
    }
    return model.respond(req);
  };
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });
  const scripted = useScriptedProject({ ...model, respond }, {
    files: { 'test/calc.test.mjs': calc.testWithoutMultiply },
    config: (yaml) =>
      `${yaml.replaceAll('    model: demo-model\n', '    model: demo-model\n    apiKeyEnv: OPENAI_API_KEY\n')}\nwebhooks:\n  - url: ${receiver.url}\n    secretEnv: TG_WEBHOOK_SECRET\n`,
  });

  it('the key reaches the model server and the failure, but no file, row, report, cassette, webhook body or output', async () => {
    const { dir } = scripted;
    const env = { OPENAI_API_KEY: KEY, TG_WEBHOOK_SECRET: 'whsec-logs-test-1234' };
    const outputs: CliResult[] = [];
    const cli = async (args: string[]) => {
      const r = await runCli(['-C', dir, '--log-level', 'debug', ...args], { env });
      outputs.push(r);
      return r;
    };
    const cassette = join(dir, 'run.cassette.json');
    const first = await cli(['do', GOAL, '--json', '--record', cassette]);
    expect(first.code, describeResult(first)).not.toBe(0);
    const [run] = JSON.parse((await cli(['runs', '--json'])).stdout) as Array<{ id: string }>;
    const resumed = await cli(['resume', run!.id, '--json', '--record', cassette]);
    expect(resumed.code, describeResult(resumed)).toBe(0);
    const report = await cli(['report', run!.id, '--print']);
    expect(report.code, describeResult(report)).toBe(0);

    // the key did reach each boundary, so its absence below means something
    expect(scripted.server.requests.length).toBeGreaterThan(1);
    expect(first.stderr + first.stdout).toMatch(/Incorrect API key provided: \[redacted\]/);
    const logDir = join(dir, '.taskgraph', 'logs');
    const logs = readdirSync(logDir).map((name) => readFileSync(join(logDir, name), 'utf8'));
    expect(readdirSync(logDir)).toContain(`${run!.id}.log`);
    const logText = logs.join('\n');
    const lines = logText.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; event: string; runId: string });
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['run-start', 'node-start', 'node-finish', 'run-finish']));
    expect(logText).toMatch(/Incorrect API key provided: \[redacted\]/); // the failed node's error, logged at warn
    expect(first.stderr).toMatch(/"level":40/); // --log-level debug: the log lines reach stderr too
    expect(existsSync(cassette)).toBe(true);
    const cassetteText = readFileSync(cassette, 'utf8');
    expect(cassetteText).toContain('[redacted]'); // the planner's description went into a recorded prompt
    const hooks = await receiver.waitFor(4, 20_000);
    const bodies = hooks.map((h) => h.body).join('\n');
    expect(bodies).toContain('run_finished');

    // every text of every table of the store
    const tables = queryStore<{ name: string }>(dir, "SELECT name FROM sqlite_master WHERE type = 'table'").map((t) => t.name);
    expect(tables.length).toBeGreaterThan(5);
    const rows = tables.map((t) => JSON.stringify(queryStore(dir, `SELECT * FROM "${t}"`)));
    expect(rows.join('\n')).toContain('[redacted]');

    const leaks: string[] = [];
    const look = (where: string, text: string) => {
      if (text.includes(KEY)) leaks.push(where);
    };
    logs.forEach((text, i) => look(`log file ${i}`, text));
    rows.forEach((text, i) => look(`table ${tables[i]}`, text));
    look('report', report.stdout);
    for (const name of readdirSync(join(dir, '.taskgraph'))) if (name.endsWith('.md') || name.endsWith('.html')) look(name, readFileSync(join(dir, '.taskgraph', name), 'utf8'));
    look('cassette', cassetteText);
    look('webhook bodies', bodies);
    outputs.forEach((r, i) => look(`output ${i}`, r.stdout + r.stderr));
    expect(leaks).toEqual([]);
  }, 240_000);
});
