import { describe, expect, it } from 'vitest';
import type { FakeReply, FakeRequest } from '../../src/testing/fake-openai-server.js';
import { readAttemptResults } from '../support/attempt-outputs.js';
import { describeResult, runCli } from '../support/cli.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Oversized context items are summarized by the `cheap` model profile (issue 4), through the real
 * provider code against the loopback server: the summary request goes to the cheap model, the
 * coder sees the summary, the manifest says `summarized`, the call is counted in the run's usage,
 * and an unchanged re-run makes no call at all.
 */

const GOAL = 'Add multiply to the calculator.';
const PLAN = planJson([{ id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js', 'docs/FEATURES.md'] }]);
const SUMMARY = 'SUMMARY: docs/FEATURES.md lists 400 calculator modules, one feature each.';
/** About 8,000 tokens: far over the per-item share of a 3,000-token budget. */
const BIG_DOC = `# Features\n\n${Array.from({ length: 400 }, (_, i) => `- \`src/mod${i}.js\`: module ${i} handles feature ${i} of the calculator.`).join('\n')}\n`;

describe('context: summaries with the cheap model profile', () => {
  const coder = scriptedModel({ planner: PLAN, coder: { T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]) } });
  const summaries: FakeRequest[] = [];
  const respond = (req: FakeRequest): FakeReply => {
    if (String(req.messages[0]?.content ?? '').startsWith('Summarize the text')) {
      summaries.push(req);
      return { content: SUMMARY };
    }
    return coder.respond(req);
  };
  const scripted = useScriptedProject(
    { ...coder, respond },
    {
      files: { 'docs/FEATURES.md': BIG_DOC },
      config: (yaml) =>
        `${yaml.replace(
          'models:\n',
          `models:\n  cheap:\n    provider: openai-compatible\n    baseURL: ${scripted.server.url}\n    model: cheap-model\n    price: { input: 0.05, output: 0.1 }\n`,
        )}\ncontextBudget: 3000\n`,
    },
  );

  it('summarizes a file the task names with the cheap profile, shows the summary to the coder and counts the call', async () => {
    const { dir } = scripted;
    const r = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const summary = JSON.parse(r.stdout);

    // the summary request: the cheap model, given the whole file
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    expect(summaries.every((s) => s.model === 'cheap-model')).toBe(true);
    expect(summaries.some((s) => String(s.messages.at(-1)?.content).includes('module 399 handles feature 399'))).toBe(true);

    // the coder sees the summary, not the 8,000-token file
    const prompt = coder.coderRequests('T1')[0]!.user;
    expect(prompt).toContain('# File docs/FEATURES.md');
    expect(prompt).toContain(SUMMARY);
    expect(prompt).not.toContain('module 399 handles');

    // the manifest says what happened; the context attempt carries the call
    const context = readAttemptResults(dir, summary.runId).find((a) => a.node_id === 'T1/context')!;
    const bundle = JSON.parse(context.output!);
    const doc = bundle.items.find((i: { title: string }) => i.title === 'docs/FEATURES.md');
    expect(doc.shortened).toMatchObject({ action: 'summarized' });
    expect(doc.cut).toMatch(/^summarized from \d+ to \d+ tokens$/);
    expect(bundle.tokens).toBeLessThanOrEqual(3000);
    expect(context.calls).toBe(summaries.length);
    // planner + coder + the summaries
    expect(summary.usage.calls).toBe(2 + summaries.length);

    // unchanged context: the re-run is served from the cache, with no model call of any kind
    const before = scripted.server.requests.length;
    const again = await runCli(['-C', dir, 'do', GOAL, '--json']);
    expect(again.code, describeResult(again)).toBe(0);
    expect(JSON.parse(again.stdout).counts).toMatchObject({ succeeded: 0, failed: 0 });
    expect(scripted.server.requests.length).toBe(before);
  });
});
