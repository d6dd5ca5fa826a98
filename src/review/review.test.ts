import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { TaskSchema } from '../core/task.js';
import { buildGraph } from '../core/validate.js';
import { outputTokensPerCall } from '../engine/estimate.js';
import { failureNote, failureSignature } from '../engine/refine.js';
import type { ModelClient, ModelRequest, ModelResponse } from '../llm/model-client.js';
import { INDEX_NODE_ID, PR_REVIEW_NODE_ID, rootPlanNodes } from '../planning/plan-graph.js';
import { askReviewer } from './ask-reviewer.js';
import { checksOf, renderPrDescription, renderPrReviewPrompt, renderTaskReviewPrompt, TASK_REVIEW_SYSTEM_PROMPT, withPrFooter } from './review-prompts.js';
import { findingsText, PrReviewSchema, TaskReviewSchema } from './review-schema.js';

const task = { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b).', acceptance: ['multiply returns the product', 'negative numbers work'] };
const DIFF = 'diff --git a/src/calc.js b/src/calc.js\n--- a/src/calc.js\n+++ b/src/calc.js\n@@ -1 +1,2 @@\n x\n+export function multiply(a, b) { return a * b; }\n';

describe('review schema', () => {
  it('accepts a verdict with findings and refuses an unknown severity or a negative line', () => {
    expect(TaskReviewSchema.parse({ verdict: 'pass', findings: [] })).toEqual({ verdict: 'pass', findings: [] });
    expect(TaskReviewSchema.safeParse({ verdict: 'fail', findings: [{ file: 'a.js', line: 1, severity: 'fatal', message: 'x' }] }).success).toBe(false);
    expect(TaskReviewSchema.safeParse({ verdict: 'fail', findings: [{ file: 'a.js', line: -1, severity: 'error', message: 'x' }] }).success).toBe(false);
    expect(TaskReviewSchema.safeParse({ verdict: 'maybe', findings: [] }).success).toBe(false);
    expect(PrReviewSchema.safeParse({ title: 't', summary: 's', risks: [], followUps: [] }).success).toBe(true);
  });

  it('lists findings one a line, errors first, without a line for 0 or a file for ""', () => {
    expect(
      findingsText([
        { file: '', line: 0, severity: 'info', message: 'fine overall' },
        { file: 'src/calc.js', line: 0, severity: 'warning', message: 'long\n function' },
        { file: 'src/calc.js', line: 7, severity: 'error', message: 'no test covers negative numbers' },
      ]),
    ).toBe('- error src/calc.js:7: no test covers negative numbers\n- warning src/calc.js: long function\n- info: fine overall');
  });
});

describe('review prompts', () => {
  it('a task review shows the task, numbered criteria, the verify result (no durations) and the diff, and asks for untested criteria', () => {
    const verify = { passed: true, checks: [{ command: 'npm test', exitCode: 0, durationMs: 1234 }, { command: 'npx eslint .', gate: 'eslint', exitCode: 0, durationMs: 99 }] };
    const prompt = renderTaskReviewPrompt({ task, diff: DIFF, checks: checksOf(verify) });
    expect(prompt.startsWith('# Review of task T1: Add multiply\n')).toBe(true);
    expect(prompt).toContain('1. multiply returns the product\n2. negative numbers work');
    expect(prompt).toContain('- `npm test`: exit 0 (passed)\n- gate eslint: `npx eslint .`: exit 0 (passed)');
    expect(prompt).not.toContain('1234');
    expect(prompt).toContain('```diff\ndiff --git a/src/calc.js');
    expect(TASK_REVIEW_SYSTEM_PROMPT).toContain('a criterion');
    expect(TASK_REVIEW_SYSTEM_PROMPT).toContain('no test covers');
  });

  it('fences a diff that holds backticks with a longer fence', () => {
    const prompt = renderTaskReviewPrompt({ task, diff: '+```js\n+x\n+```\n', checks: [] });
    expect(prompt).toContain('````diff\n+```js');
    expect(prompt).toContain('(no checks ran)');
  });

  it('the PR prompt and description list the tasks with their commits and evidence; the footer names the run', () => {
    const input = {
      goal: 'Add multiply',
      planId: 'p-1',
      diff: DIFF,
      tasks: [
        { id: 'T1', title: 'Add multiply', commit: { sha: 'a'.repeat(40), subject: 'feat(T1): add multiply' }, checks: [{ command: 'npm test', exitCode: 0 }], review: { verdict: 'pass' as const, findings: [] } },
        { id: 'T2', title: 'Split', checks: [] },
      ],
    };
    const prompt = renderPrReviewPrompt(input);
    expect(prompt).toContain('- T1 Add multiply: commit aaaaaaaaaaaa "feat(T1): add multiply"');
    expect(prompt).toContain('- T2 Split: no commit');
    const md = renderPrDescription({ title: 'Add  multiply', summary: 'Adds it.', risks: [], followUps: ['divide'] }, input);
    expect(md).toBe(
      [
        '# Add multiply',
        '',
        'Adds it.',
        '',
        '## Tasks',
        '- **T1** Add multiply — `aaaaaaaaaaaa` feat(T1): add multiply',
        '- **T2** Split — no commit',
        '',
        '## Test evidence',
        '- T1: `npm test`: exit 0 (passed)',
        '- T1: review pass',
        '- T2: no verify result (split into subtasks, or not verified)',
        '',
        '## Risks',
        '- none named',
        '',
        '## Follow-ups',
        '- divide',
        '',
      ].join('\n'),
    );
    expect(withPrFooter(md, { runId: 'r-1', planId: 'p-1', branch: 'taskgraph/r-1', base: 'b'.repeat(40) })).toMatch(/- divide\n\n---\ntaskgraph run `r-1` · plan `p-1` · branch `taskgraph\/r-1` · base `bbbbbbbbbbbb`\n$/);
  });
});

describe('a failed review as a refinement note', () => {
  const error = (findings: object[]) => ({
    code: 'REVIEW_FAILED' as const,
    message: 'review failed: 1 finding: no test covers negative numbers',
    retryable: false,
    details: { findings, output: findingsText(findings as never) },
  });
  const f = (line: number, message = 'no test covers negative numbers') => ({ file: 'src/calc.js', line, severity: 'error', message });

  it('the note quotes the findings', () => {
    const note = failureNote('T1/review', 1, error([f(7)]));
    expect(note).toMatch(/^Attempt 1 failed at T1\/review \(REVIEW_FAILED\) \[signature [0-9a-f]{12}\]: review failed/);
    expect(note).toContain('- error src/calc.js:7: no test covers negative numbers');
  });

  it('the same findings on other lines are the same failure (a loop); other findings are not', () => {
    expect(failureSignature(error([f(7)]))).toBe(failureSignature(error([f(9)])));
    expect(failureSignature(error([f(7)]))).not.toBe(failureSignature(error([f(7, 'multiply is not exported')])));
  });
});

describe('plan graph with review on', () => {
  const t = (id: string, deps: string[] = []) => TaskSchema.parse({ planId: 'p', id, title: `Do ${id}`, description: '', dependencies: deps });

  it('puts T/review between verify and commit, and the run review after the index', () => {
    const config = ProjectConfigSchema.parse({ review: { task: true, pr: true }, roles: { reviewer: 'cheap' } });
    const graph = buildGraph({ nodes: rootPlanNodes({ id: 'p', goal: 'g', tasks: [t('T1'), t('T2', ['T1'])], leaves: ['T1', 'T2'] }, { config }) });
    expect(graph.order.slice(0, 6)).toEqual(['T1/context', 'T1/edit', 'T1/apply', 'T1/verify', 'T1/review', 'T1/commit']);
    expect(graph.nodes.get('T1/review')).toMatchObject({ kind: 'review', task: 'T1', config: { scope: 'task', task: 'T1', profile: 'cheap' } });
    expect(graph.nodes.get('T1/commit')!.inputs['reviewed']).toEqual({ $ref: 'T1/review', path: 'verdict' });
    expect(graph.order.at(-1)).toBe(PR_REVIEW_NODE_ID);
    expect(graph.preds.get(PR_REVIEW_NODE_ID)).toEqual(expect.arrayContaining(['T1/commit', 'T2/commit', INDEX_NODE_ID]));
  });

  it('adds no review node by default', () => {
    const graph = buildGraph({ nodes: rootPlanNodes({ id: 'p', goal: 'g', tasks: [t('T1')], leaves: ['T1'] }, { config: ProjectConfigSchema.parse({}) }) });
    expect([...graph.nodes.values()].some((n) => n.kind === 'review')).toBe(false);
  });
});

/** A ModelClient answering from a list (the model boundary). */
function answering(answers: (string | Error)[]): ModelClient & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    async generate(request: ModelRequest): Promise<ModelResponse> {
      prompts.push(request.prompt);
      const a = answers.shift()!;
      if (a instanceof Error) throw a;
      return { text: a, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.001, calls: 1 }, model: 'fake:m' };
    },
  };
}

describe('askReviewer', () => {
  const base = { profile: 'reviewer', system: 's', prompt: 'review this', schema: TaskReviewSchema, schemaName: 'review', label: 'T1/review' };

  it('repairs an answer that fails the schema, naming the problem, and sums the usage', async () => {
    const client = answering([
      JSON.stringify({ verdict: 'ok', findings: [] }),
      new TaskgraphError('MODEL_OUTPUT_INVALID', 'bad', { details: { text: 'not json', usage: { inputTokens: 1, outputTokens: 1, costUsd: 0, calls: 1 } } }),
      '```json\n{"verdict":"pass","findings":[]}\n```',
    ]);
    const r = await askReviewer({ ...base, client, maxRepairs: 2 });
    expect(r.value).toEqual({ verdict: 'pass', findings: [] });
    expect(r.usage.calls).toBe(3);
    expect(client.prompts[1]).toContain('## Your previous answer was invalid\n- verdict:');
  });

  it('gives up with MODEL_OUTPUT_INVALID after maxRepairs', async () => {
    const client = answering(['{}', '{}']);
    await expect(askReviewer({ ...base, client, maxRepairs: 1 })).rejects.toMatchObject({ code: 'MODEL_OUTPUT_INVALID' });
  });
});

describe('review estimates', () => {
  it('a reviewer call without history is assumed to answer 600 tokens', () => {
    expect(outputTokensPerCall(undefined, 'reviewer')).toEqual({ tokens: 600, basis: 'output 600 tokens per call (reviewer default)' });
  });
});
