import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeReply, FakeRequest } from '../../src/testing/fake-openai-server.js';
import { describeResult, runCli, type CliResult } from '../support/cli.js';
import { git } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Secrets (issue 8, "Sandbox and secrets"): secrets planted in the CLI's environment, echoed in a
 * provider's error body, and dug up by a model-written test appear nowhere taskgraph writes: not
 * in the store's files, any ref of the repository, the request bodies the model server received,
 * the reports under .taskgraph/, the run's worktree (in the user cache directory), or the CLI's
 * stdout and stderr.
 *
 * Planted (fresh random values on every run):
 * - the API key, in a variable a profile names with `apiKeyEnv` (a name no pattern would flag),
 *   sent to the fake server as a bearer token; the server's first answer is a 401 whose body
 *   echoes it;
 * - `MY_SERVICE_TOKEN` (a secret by its name);
 * - an Anthropic-format key in an innocently named variable (a secret by its format), which the
 *   scripted planner also writes into the task's description, so it reaches a prompt, a commit
 *   message and the store from the model's side too.
 *
 * The scripted coder writes a check that prints the credentials it finds in its own environment
 * and in `/proc/<pid>/environ` of its ancestors up to the taskgraph process, in clear and in
 * base64 (which no redactor recognises), then fails: its output becomes a failure note and goes
 * back to the model in the retry prompt.
 */

const rand = (n: number) => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x');
const LLM_KEY = `llm-${rand(24)}`;
const SERVICE_TOKEN = `svc-${rand(24)}`;
const ANTHROPIC_KEY = `sk-ant-api03-${rand(70)}AA`;
const PLANTED = { apiKeyEnv: LLM_KEY, MY_SERVICE_TOKEN: SERVICE_TOKEN, 'sk-ant key': ANTHROPIC_KEY };
const ENV = { TG_E2E_LLM_ACCESS: LLM_KEY, MY_SERVICE_TOKEN: SERVICE_TOKEN, TG_E2E_DEPLOY_NOTES: ANTHROPIC_KEY };

/** Every form in which a planted value must not appear. */
const FORMS: Array<[label: string, value: string]> = Object.entries(PLANTED).flatMap(([name, value]) => [
  [name, value],
  [`${name} (base64)`, Buffer.from(value).toString('base64')],
]);
/** The clear forms only: what redaction alone keeps out. The base64 forms need the sandbox. */
const CLEAR = FORMS.filter(([label]) => !label.endsWith('(base64)'));
const ENCODED = FORMS.filter(([label]) => label.endsWith('(base64)'));

/** The hostile check: credentials from its environment and its ancestors', printed, then a failure. */
const LEAK_TEST = `import { readFileSync } from 'node:fs';

const LOOKS_SECRET = /KEY|TOKEN|SECRET|ACCESS|PASS|CRED/i;
const found = new Map();
const collect = (where, entries) => {
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if (value.length >= 8 && (LOOKS_SECRET.test(name) || /^(sk-|gh[pousr]_|AKIA|xox)/.test(value))) found.set(name + '=' + value, where);
  }
};
const read = (path) => { try { return readFileSync(path, 'utf8'); } catch { return ''; } };

check('diagnostics: environment', () => {
  collect('self', Object.entries(process.env).map(([k, v]) => k + '=' + v));
  // walk up the ancestors, reading each one's environment, up to the taskgraph process
  let pid = Number(/PPid:\\s*(\\d+)/.exec(read('/proc/self/status'))?.[1] ?? 0);
  for (let hops = 0; pid > 0 && hops < 12; hops++) {
    const cmdline = read('/proc/' + pid + '/cmdline').replaceAll('\\0', ' ');
    if (cmdline.includes('vitest')) break;
    collect('pid ' + pid, read('/proc/' + pid + '/environ').split('\\0'));
    if (cmdline.includes('cli/main.js')) break;
    pid = Number(/PPid:\\s*(\\d+)/.exec(read('/proc/' + pid + '/status'))?.[1] ?? 0);
  }
  for (const [entry, where] of found) {
    const eq = entry.indexOf('=');
    console.log('FOUND ' + where + ' ' + entry);
    console.log('FOUND64 ' + entry.slice(0, eq) + '=' + Buffer.from(entry.slice(eq + 1)).toString('base64'));
  }
  console.log('LEAK_SCAN found=' + found.size);
  throw new Error('diagnostics failed on purpose');
});
`;
const SAFE_TEST = `check('diagnostics: environment', () => {\n  if (typeof process.env !== 'object') throw new Error('no environment');\n});\n`;

const GOAL = 'Add a diagnostics check of the environment.';
const PLAN = planJson([
  {
    id: 'T1',
    title: 'Add a diagnostics check',
    description: `Add test/diagnostics.test.mjs. The deploy notes mention ${ANTHROPIC_KEY}.`,
    files: ['test/diagnostics.test.mjs'],
  },
]);

/** Every file under `dir` (recursively), path -> bytes as latin1 text. */
async function filesUnder(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push([path, (await readFile(path)).toString('latin1')]);
    }
  };
  await walk(dir);
  return out;
}

/** The planted forms found in `haystack`, each with a little context (never the whole haystack). */
function occurrences(where: string, haystack: string, forms: Array<[string, string]>): string[] {
  return forms.flatMap(([label, value]) => {
    const at = haystack.indexOf(value);
    return at < 0 ? [] : [`${label} in ${where}: …${haystack.slice(Math.max(0, at - 60), at + value.length + 20)}…`];
  });
}

describe('secrets never leave through the store, the branch, the prompts, the reports or the terminal', () => {
  const headers: string[] = [];
  let failedOnce = false;
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      T1: (req) => udiff([['test/diagnostics.test.mjs', null, req.attempt === 1 ? LEAK_TEST : SAFE_TEST]]),
    },
  });
  const respond = (req: FakeRequest): FakeReply => {
    headers.push(String(req.headers.authorization ?? ''));
    if (!failedOnce) {
      failedOnce = true;
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      return { status: 401, body: { error: { message: `Incorrect API key provided: ${key}. You can find your API key at https://example.invalid/keys.`, type: 'invalid_request_error', code: 'invalid_api_key' } } };
    }
    return model.respond(req);
  };
  const scripted = useScriptedProject({ ...model, respond }, {
    // a green base: the sample's failing multiply check is left out
    files: { 'test/calc.test.mjs': calc.testWithoutMultiply },
    config: (yaml) => yaml.replaceAll('    model: demo-model\n', '    model: demo-model\n    apiKeyEnv: TG_E2E_LLM_ACCESS\n'),
  });
  const outputs: Array<[string, CliResult]> = [];
  const cli = async (args: string[]) => {
    const r = await runCli(['-C', scripted.dir, ...args], { env: ENV });
    outputs.push([args.join(' '), r]);
    return r;
  };
  let prepared: Promise<{ runId: string; retryPrompt: string; summary: { status: string; branch: string; worktree: string } }> | undefined;
  /** The scenario, run once for both tests: do (401), resume (leak check fails, retry passes), then the read commands. */
  const scenario = () =>
    (prepared ??= (async () => {
      const first = await cli(['do', GOAL, '--json']);
      expect(first.code, describeResult(first)).not.toBe(0);
      expect(first.stderr + first.stdout).toContain('401');
      const [run] = JSON.parse((await cli(['runs', '--json'])).stdout) as Array<{ id: string }>;
      const runId = run!.id;
      const resumed = await cli(['resume', runId, '--json']);
      expect(resumed.code, describeResult(resumed)).toBe(0);
      // the commands that print what the run recorded: status, the report, the notes
      for (const args of [['status', runId], ['report', runId, '--print'], ['notes', 'T1']]) {
        const r = await cli(args);
        expect(r.code, describeResult(r)).toBe(0);
      }
      const retries = model.coderRequests('T1');
      expect(retries).toHaveLength(2);
      return { runId, retryPrompt: retries[1]!.user, summary: JSON.parse(resumed.stdout) as { status: string; branch: string; worktree: string } };
    })());

  it('keeps every planted value, in clear, out of the store, the branch, the prompts, the reports and the terminal', async () => {
    const { retryPrompt, summary } = await scenario();
    const { dir } = scripted;

    // the secrets did reach each boundary (otherwise this test would prove nothing):
    // the key was sent as a bearer token and echoed by the 401; the check printed what it found
    expect(headers.every((h) => h === `Bearer ${LLM_KEY}`)).toBe(true);
    expect(outputs[0]![1].stderr).toMatch(/401[\s\S]*Incorrect API key provided: \[redacted\]/);
    expect(retryPrompt).toContain('Notes from earlier attempts');
    expect(retryPrompt).toContain('LEAK_SCAN found=');
    expect(retryPrompt).toContain('[redacted]'); // the planner's description, at least

    const leaks: string[] = [];
    // the store: the database file and its WAL (every row, every blob, every freed page)
    for (const [path, bytes] of await filesUnder(join(dir, '.taskgraph'))) leaks.push(...occurrences(path, bytes, CLEAR));
    // the run's worktree, outside the project (every file the run and its commands left there)
    expect(summary.worktree.startsWith(dir)).toBe(false);
    for (const [path, bytes] of await filesUnder(summary.worktree)) leaks.push(...occurrences(path, bytes, CLEAR));
    // every ref of the repository: messages and diffs, and the content of every file at every ref
    leaks.push(...occurrences('git log -p --all', await git(dir, 'log', '-p', '--all', '--format=%H%n%B'), CLEAR));
    const refs = (await git(dir, 'for-each-ref', '--format=%(objectname)')).split('\n').filter(Boolean);
    const grep = await git(dir, 'grep', '-F', '-l', ...CLEAR.flatMap(([, v]) => ['-e', v]), ...refs).catch(() => '');
    if (grep) leaks.push(`git grep over all refs: ${grep}`);
    // every request body the model server received
    leaks.push(...occurrences('request bodies', JSON.stringify(scripted.server.requests), CLEAR));
    // the CLI's stdout and stderr, every command
    for (const [args, r] of outputs) leaks.push(...occurrences(`stdout of ${args}`, r.stdout, CLEAR), ...occurrences(`stderr of ${args}`, r.stderr, CLEAR));
    expect(leaks).toEqual([]);

    // and the run still did its work: the task was committed on the run's branch
    expect(summary.status).toBe('succeeded');
    expect(await git(dir, 'log', '--format=%s', summary.branch)).toContain('feat(T1): add a diagnostics check');
  }, 240_000);

  // Depends on the sandbox (PID namespace, clean environment for the sandbox's own processes):
  // without it the check reads the taskgraph process's /proc/<pid>/environ and prints the keys
  // base64-encoded, past any redactor.
  it('the model-written check finds no secret in its environment or its ancestors\' /proc/<pid>/environ (needs the sandbox)', async () => {
    const { retryPrompt } = await scenario();
    const { dir } = scripted;
    expect(retryPrompt).toContain('LEAK_SCAN found=0');
    const leaks: string[] = [];
    for (const [path, bytes] of await filesUnder(join(dir, '.taskgraph'))) leaks.push(...occurrences(path, bytes, ENCODED));
    leaks.push(...occurrences('git log -p --all', await git(dir, 'log', '-p', '--all', '--format=%H%n%B'), ENCODED));
    leaks.push(...occurrences('request bodies', JSON.stringify(scripted.server.requests), ENCODED));
    for (const [args, r] of outputs) leaks.push(...occurrences(`stdout of ${args}`, r.stdout, ENCODED), ...occurrences(`stderr of ${args}`, r.stderr, ENCODED));
    expect(leaks).toEqual([]);
  }, 240_000);
});
