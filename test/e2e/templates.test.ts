import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FakeReply, FakeRequest } from '../../src/testing/fake-openai-server.js';
import { describeResult, runCli } from '../support/cli.js';
import { seen, type ScriptedModel, type SeenRequest } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';
import { queryStore } from '../support/store-db.js';

/**
 * Templates through the built CLI (issue 14): a starter template instantiated with a variant and
 * run against the sample project (its command nodes read the repository, its llm node answers
 * with a report). `template save|show|explain` and their errors are tested in-process
 * (src/cli/template-commands.test.ts), which is much faster than a CLI process per command.
 */
describe('templates through the CLI', () => {
  const requests: SeenRequest[] = [];
  const model: ScriptedModel = {
    requests,
    coderRequests: () => [],
    reviewerRequests: () => [],
    respond: (req: FakeRequest): FakeReply => {
      const s = { ...seen(req), attempt: 1 };
      requests.push(s);
      if (s.system.startsWith('You explain code')) return { content: '## Purpose\nadd returns the sum of a and b.' };
      return { status: 400, body: { error: { message: 'unexpected request' } } };
    },
  };
  const scripted = useScriptedProject(model);
  const tg = (...args: string[]) => runCli(['-C', scripted.dir, ...args]);

  it('instantiates a starter template into a graph that taskgraph run executes', async () => {
    const made = await tg('template', 'instantiate', 'code-exploration', '--set', 'symbol=add', '--set', 'file=src/calc.js', '--variant', 'depth=detailed', '--out', 'explore.yaml');
    expect(made.code, describeResult(made)).toBe(0);
    const graph = parse(readFileSync(join(scripted.dir, 'explore.yaml'), 'utf8')) as { nodes: Array<{ id: string; config: Record<string, unknown> }> };
    expect(graph.nodes.map((n) => n.id)).toEqual(['read', 'usages', 'explain']);
    expect(graph.nodes[1]!.config['run']).toContain('-C 3'); // the detailed variant's search

    const ran = await tg('run', join(scripted.dir, 'explore.yaml'), '--json');
    expect(ran.code, describeResult(ran)).toBe(0);
    const asked = requests.find((r) => r.system.startsWith('You explain code'))!;
    expect(asked.user).toContain('What does `add` in src/calc.js do?');
    expect(asked.user).toContain('export function add'); // the file, read by the command node
    const report = queryStore<{ output: string }>(scripted.dir, "SELECT output FROM attempts WHERE node_id = 'explain' AND status = 'succeeded'");
    expect(report[0]!.output).toContain('add returns the sum');
  });
});
