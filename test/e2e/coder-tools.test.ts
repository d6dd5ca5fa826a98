import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { describeResult, runCli } from '../support/cli.js';
import { createSampleRepo } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Issue 9 item 7 end to end: with `tools: true` on the coder profile, the model first calls
 * `read_file` and `search`, then answers with an edit that fails verification; the retry's bundle
 * pins the region it read ("asked for by the model in attempt 1"). The exchange is recorded to a
 * cassette and replayed in a fresh copy of the project with no server: the same result.
 */

const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] }]);
const TOOLS_CONFIG = (yaml: string) =>
  yaml.replace(/(  coder:\n(?:    .*\n)*?    price: \{ input: 0\.15, output: 0\.6 \}\n)/, '$1    tools: true\n    maxSteps: 4\n    toolTokens: 2000\n');

describe('taskgraph do: the coder asks for more with read-only tools', () => {
  // coder requests in order: 1 = tool calls, 2 = an edit that fails the multiply check, 3 = the retry's right edit
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      T1: (req) =>
        req.attempt === 1
          ? { toolCalls: [{ name: 'read_file', arguments: { path: 'src/calc.js', startLine: 1, endLine: 4 } }, { name: 'search', arguments: { query: 'subtract' } }] }
          : udiff([['src/calc.js', calc.src, calc.withMultiply(req.attempt === 2 ? 'Math.abs(a) * b' : 'a * b')]]),
    },
  });
  const scripted = useScriptedProject(model, { config: TOOLS_CONFIG });

  it('runs the tool loop, records the calls, pins what was read into the retry, and replays from a cassette', async () => {
    const { dir } = scripted.project;
    const cassette = join(scripted.project.base, 'tools.cassette.json');
    const r = await runCli(['-C', dir, 'do', 'Add multiply to the calculator.', '--record', cassette, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);

    // the second request of the loop carries the tool results as `tool` messages
    const coderBodies = scripted.server.requests.filter((b) => JSON.stringify(b.messages).includes('# Task T1:'));
    expect(coderBodies).toHaveLength(3);
    expect(coderBodies[0].tools.map((t: { function: { name: string } }) => t.function.name).sort()).toEqual(['list_files', 'read_file', 'search', 'symbol']);
    const toolMessages = coderBodies[1].messages.filter((m: { role: string }) => m.role === 'tool');
    expect(toolMessages).toHaveLength(2);
    expect(toolMessages[0].content).toContain('src/calc.js lines 1-4 of 9:\n1: /** Adds two numbers. */\n2: export function add(a, b) {');
    expect(toolMessages[1].content).toContain('src/calc.js lines 1-9:');

    // the attempt records each call with its result size; the loop's two steps are two model calls
    const attempts = readAttemptResults(dir, summary.runId);
    const edits = attempts.filter((a) => a.node_id === 'T1/edit');
    expect(edits.map((a) => a.calls)).toEqual([2, 1]);
    const first = JSON.parse(edits[0]!.output!) as { tools: { calls: Array<{ tool: string; args: unknown; resultTokens: number; status: string }>; reads: unknown[] } };
    expect(first.tools.calls.map((c) => [c.tool, c.status])).toEqual([
      ['read_file', 'ok'],
      ['search', 'ok'],
    ]);
    expect(first.tools.calls[0]!.args).toEqual({ path: 'src/calc.js', startLine: 1, endLine: 4 });
    expect(first.tools.calls.every((c) => c.resultTokens > 0)).toBe(true);
    expect(first.tools.reads).toEqual([{ path: 'src/calc.js', start: 1, end: 4, tool: 'read_file' }]);

    // the retry starts with what the model read, pinned whole, and the manifest says why
    const retry = model.coderRequests('T1')[2]!.user;
    expect(retry).toContain('#### Read by the model in attempt 1 (asked for with its tools):\n* src/calc.js lines 1-4 (read_file)');
    expect(retry).toContain('# Asked for by the model in attempt 1: src/calc.js lines 1-4\n```js\n/** Adds two numbers. */\nexport function add(a, b) {\n  return a + b;\n}\n```');
    const bundles = attempts.filter((a) => a.node_id === 'T1/context');
    const bundle = JSON.parse(bundles[bundles.length - 1]!.output!) as { items: Array<{ source: string; why: string; title: string }> };
    expect(bundle.items.find((i) => i.title === 'src/calc.js:1-4')?.why).toBe('tier 10: asked for by the model in attempt 1 (read_file)');
    expect(summary.status).toBe('succeeded');

    // replay: a fresh copy of the project; the cassette answers every step (the server sees no request)
    const copy = await createSampleRepo({ config: TOOLS_CONFIG, baseURL: scripted.server.url }); // same taskgraph.yaml: retrieval may show it
    try {
      const before = model.requests.length;
      const again = await runCli(['-C', copy.dir, 'do', 'Add multiply to the calculator.', '--replay', cassette, '--json']);
      expect(again.code, describeResult(again)).toBe(0);
      expect(model.requests.length).toBe(before);
      const replayed = readAttemptResults(copy.dir, JSON.parse(again.stdout).runId);
      const outputs = (rows: typeof attempts, node: string) => rows.filter((a) => a.node_id === node).map((a) => a.output);
      expect(outputs(replayed, 'T1/edit')).toEqual(outputs(attempts, 'T1/edit'));
      expect(outputs(replayed, 'T1/context')).toEqual(outputs(attempts, 'T1/context'));
      expect(replayed.filter((a) => a.node_id === 'T1/edit').map((a) => a.calls)).toEqual([2, 1]);
    } finally {
      await copy.cleanup();
    }
  });
});
