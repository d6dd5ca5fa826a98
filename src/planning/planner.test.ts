import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import type { ModelClient, ModelRequest, ModelResponse } from '../llm/model-client.js';
import type { PlanEvent } from './plan-level.js';
import { planGoal } from './planner.js';
import type { ProjectContext } from './project-context.js';

/**
 * The ModelClient boundary, scripted: each call takes the next answer text. Like the real client
 * with a `schema`, it decodes the text and checks it against the request's schema, returning
 * `object` on success and rejecting with MODEL_OUTPUT_INVALID (details.text, details.issues)
 * otherwise; with `structured: false` it returns only the text, as a model without structured
 * output support would. An Error in the script is thrown as is.
 */
class ScriptedClient implements ModelClient {
  readonly requests: ModelRequest[] = [];
  constructor(
    private readonly answers: Array<string | Error>,
    private readonly structured = true,
  ) {}

  async generate(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error(`scripted client: no answer left for request ${this.requests.length}`);
    if (answer instanceof Error) throw answer;
    const usage = { inputTokens: 1000, outputTokens: 200, costUsd: 0.01, calls: 1, model: 'scripted:planner' };
    if (!this.structured || !request.schema) return { text: answer, usage, model: 'scripted:planner' };
    let value: unknown;
    try {
      value = JSON.parse(answer);
    } catch (error) {
      throw new TaskgraphError('MODEL_OUTPUT_INVALID', 'model output is not valid JSON', {
        details: { text: answer, issues: [String(error)], usage },
      });
    }
    const parsed = request.schema.safeParse(value);
    if (!parsed.success) {
      throw new TaskgraphError('MODEL_OUTPUT_INVALID', 'model output does not match the schema', {
        details: { text: answer, issues: parsed.error.issues, usage },
      });
    }
    return { text: answer, object: parsed.data, usage, model: 'scripted:planner' };
  }
}

const project: ProjectContext = {
  name: 'todo-cli',
  vision: 'A small todo list CLI.',
  language: 'TypeScript',
  commands: { test: 'npm test', build: 'npm run build' },
  rules: ['no new dependencies'],
  styleGuide: 'two-space indent',
  readme: '# todo-cli\nManage todos from the terminal.',
  files: ['src/cli.ts', 'src/store.ts'],
};

interface T {
  id: string;
  title?: string;
  deps?: string[];
  atomic?: boolean;
  files?: string[];
}
const answer = (tasks: T[]): string =>
  JSON.stringify({
    tasks: tasks.map((t) => ({
      id: t.id,
      title: t.title ?? `Task ${t.id}`,
      description: `Do ${t.id}.`,
      acceptance: [`${t.id} is tested`],
      dependencies: t.deps ?? [],
      atomic: t.atomic ?? true,
      files: t.files ?? [],
    })),
  });

const base = { goal: 'Add a --json flag to every list command', project, profile: 'planner', planId: 'p1' };

describe('planGoal', () => {
  it('plans one level, orders leaves dependencies first with ties by plan order, and sums usage', async () => {
    const client = new ScriptedClient([
      answer([{ id: 'T1', deps: ['T2'], files: ['src/cli.ts'] }, { id: 'T2', title: 'Add JSON output helper' }, { id: 'T3' }]),
    ]);
    const plan = await planGoal({ ...base, client });
    expect(plan.tasks.map((t) => [t.id, t.dependencies, t.depth, t.atomic, t.status])).toEqual([
      ['T1', ['T2'], 0, true, 'pending'],
      ['T2', [], 0, true, 'pending'],
      ['T3', [], 0, true, 'pending'],
    ]);
    expect(plan.tasks[0]).toMatchObject({ planId: 'p1', notes: [], tags: [], files: ['src/cli.ts'], acceptance: ['T1 is tested'] });
    expect(plan.tasks[0]!.parent).toBeUndefined();
    expect(plan.leaves).toEqual(['T2', 'T1', 'T3']);
    expect(plan).toMatchObject({ planId: 'p1', calls: 1, repairs: 0 });
    expect(plan.usage).toEqual({ inputTokens: 1000, outputTokens: 200, costUsd: 0.01, calls: 1, model: 'scripted:planner' });
    expect(plan.meta).toMatchObject({ profile: 'planner', maxDepth: 3, forcedAtomic: [], model: 'scripted:planner' });

    const request = client.requests[0]!;
    expect(request.profile).toBe('planner');
    expect(request.schema).toBeDefined();
    expect(request.system).toContain('ONE coherent code change');
    expect(request.prompt).toContain('Add a --json flag to every list command');
    expect(request.prompt).toContain('# Project: todo-cli');
    expect(request.prompt).toContain('- test: `npm test`');
    expect(request.prompt).toContain('Manage todos from the terminal.');
    expect(request.prompt).toContain('- src/store.ts');
  });

  it('decomposes a non-atomic task and rewires dependencies to its leaves', async () => {
    const client = new ScriptedClient([
      answer([
        { id: 'T1', title: 'Add a JSON formatter' },
        { id: 'T2', title: 'Use it in the list commands', deps: ['T1'], atomic: false },
        { id: 'T3', title: 'Document the flag', deps: ['T2'] },
      ]),
      answer([{ id: '1', title: 'list todos' }, { id: '2', title: 'list tags', deps: ['1'] }, { id: '3', title: 'list projects' }]),
    ]);
    const plan = await planGoal({ ...base, client });
    const byId = new Map(plan.tasks.map((t) => [t.id, t]));
    expect(plan.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T2.1', 'T2.2', 'T2.3', 'T3']);
    expect(byId.get('T2')).toMatchObject({ atomic: false, depth: 0, dependencies: ['T1'] });
    expect(byId.get('T2.1')).toMatchObject({ parent: 'T2', depth: 1, atomic: true, dependencies: ['T1'] });
    expect(byId.get('T2.2')!.dependencies).toEqual(['T2.1']);
    expect(byId.get('T2.3')!.dependencies).toEqual(['T1']);
    expect(byId.get('T3')!.dependencies).toEqual(['T2.1', 'T2.2', 'T2.3']);
    expect(plan.leaves).toEqual(['T1', 'T2.1', 'T2.2', 'T2.3', 'T3']);
    expect(plan.calls).toBe(2);
    expect(plan.usage.calls).toBe(2);
    expect(plan.usage.inputTokens).toBe(2000);

    const second = client.requests[1]!.prompt;
    expect(second).toContain('Decompose task T2');
    expect(second).toContain('## T2: Use it in the list commands');
    expect(second).toContain('- T1: Add a JSON formatter');
    expect(second).toContain('- T3: Document the flag');
    expect(second).toContain('T2.1, T2.2');
  });

  it('inherits dependencies through two levels and strips a repeated parent prefix from subtask ids', async () => {
    const client = new ScriptedClient([
      answer([{ id: 'T1' }, { id: 'T2', deps: ['T1'], atomic: false }]),
      // the model repeats the parent prefix: T2.1 / T2.2 must not become T2.T2.1
      answer([{ id: 'T2.1', atomic: false }, { id: 'T2.2', deps: ['T2.1'] }]),
      answer([{ id: 'a' }, { id: 'b' }]),
    ]);
    const plan = await planGoal({ ...base, client });
    const deps = Object.fromEntries(plan.tasks.map((t) => [t.id, t.dependencies]));
    expect(plan.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T2.1', 'T2.1.a', 'T2.1.b', 'T2.2']);
    expect(deps['T2.1.a']).toEqual(['T1']);
    expect(deps['T2.1.b']).toEqual(['T1']);
    expect(deps['T2.2']).toEqual(['T2.1.a', 'T2.1.b']);
    expect(plan.tasks.find((t) => t.id === 'T2.1.a')).toMatchObject({ depth: 2, parent: 'T2.1' });
    expect(plan.leaves).toEqual(['T1', 'T2.1.a', 'T2.1.b', 'T2.2']);
    expect(client.requests[2]!.prompt).toContain('It is part of: "Task T2"');
  });

  it('stops decomposing at maxDepth and keeps the task as atomic', async () => {
    const client = new ScriptedClient([
      answer([{ id: 'T1', atomic: false }, { id: 'T2', deps: ['T1'] }]),
      answer([{ id: '1', atomic: false }, { id: '2' }]),
    ]);
    const events: PlanEvent[] = [];
    const plan = await planGoal({ ...base, client, maxDepth: 1, onEvent: (e) => events.push(e) });
    expect(client.requests).toHaveLength(2);
    expect(client.requests[1]!.prompt).toContain('will not be decomposed again');
    expect(plan.tasks.find((t) => t.id === 'T1.1')).toMatchObject({ atomic: true, depth: 1 });
    expect(plan.meta.forcedAtomic).toEqual(['T1.1']);
    expect(plan.tasks.find((t) => t.id === 'T2')!.dependencies).toEqual(['T1.1', 'T1.2']);
    expect(events).toContainEqual({ type: 'plan:depth-limit', taskId: 'T1.1', depth: 1 });

    const flat = new ScriptedClient([answer([{ id: 'T1', atomic: false }])]);
    const zero = await planGoal({ ...base, client: flat, maxDepth: 0 });
    expect(flat.requests).toHaveLength(1);
    expect(zero.tasks).toMatchObject([{ id: 'T1', atomic: true }]);
    expect(zero.meta.forcedAtomic).toEqual(['T1']);
  });

  it('repairs an answer the client rejected as invalid JSON and sends the errors back', async () => {
    const bad = 'Here is the plan: {"tasks": [{"id": "T1", "title": "x"';
    const client = new ScriptedClient([bad, answer([{ id: 'T1' }])]);
    const events: PlanEvent[] = [];
    const plan = await planGoal({ ...base, client, onEvent: (e) => events.push(e) });
    expect(plan.tasks.map((t) => t.id)).toEqual(['T1']);
    expect(plan).toMatchObject({ calls: 2, repairs: 1 });
    expect(plan.usage.calls).toBe(2);
    const retry = client.requests[1]!.prompt;
    expect(retry.startsWith(client.requests[0]!.prompt)).toBe(true);
    expect(retry).toContain(bad);
    expect(retry).toContain('Your previous answer had these problems:');
    expect(retry).toMatch(/- \(root\): not valid JSON/);
    expect(retry).toContain('Return the corrected JSON.');
    expect(events.map((e) => e.type)).toEqual(['plan:request', 'plan:repair', 'plan:request', 'plan:level']);
  });

  it('repairs a schema violation reported by the client with the field path', async () => {
    const noAcceptance = JSON.stringify({ tasks: [{ id: 'T1', title: 'x', description: '', acceptance: [], dependencies: [], atomic: true, files: [] }] });
    const client = new ScriptedClient([noAcceptance, answer([{ id: 'T1' }])]);
    await planGoal({ ...base, client });
    expect(client.requests[1]!.prompt).toContain('- tasks[0].acceptance:');
  });

  it('repairs an unknown dependency', async () => {
    const client = new ScriptedClient([answer([{ id: 'T1', deps: ['T9'] }]), answer([{ id: 'T1' }])]);
    const plan = await planGoal({ ...base, client });
    expect(plan.repairs).toBe(1);
    expect(client.requests[1]!.prompt).toContain('- tasks[0].dependencies[0]: task "T1" depends on unknown task "T9"');
  });

  it('repairs a cycle and lists its path', async () => {
    const client = new ScriptedClient([answer([{ id: 'A', deps: ['B'] }, { id: 'B', deps: ['A'] }]), answer([{ id: 'A' }, { id: 'B', deps: ['A'] }])]);
    const plan = await planGoal({ ...base, client });
    expect(plan.leaves).toEqual(['A', 'B']);
    expect(client.requests[1]!.prompt).toContain('cycle: A -> B -> A');
  });

  it('repairs a subtask that names a task outside its level', async () => {
    const client = new ScriptedClient([
      answer([{ id: 'T1' }, { id: 'T2', atomic: false }]),
      answer([{ id: '1', deps: ['T1'] }]),
      answer([{ id: '1' }]),
    ]);
    const plan = await planGoal({ ...base, client });
    expect(client.requests[2]!.prompt).toContain('depends on unknown task "T1"');
    expect(plan.tasks.map((t) => t.id)).toEqual(['T1', 'T2', 'T2.1']);
  });

  it('accepts fenced JSON from a client without structured output', async () => {
    const client = new ScriptedClient(['Sure.\n```json\n' + answer([{ id: 'T1' }]) + '\n```\n'], false);
    const plan = await planGoal({ ...base, client });
    expect(plan).toMatchObject({ calls: 1, repairs: 0 });
  });

  it('gives up after maxRepairs with PLAN_INVALID showing the last answer and its problems', async () => {
    const client = new ScriptedClient([
      'not json at all',
      answer([{ id: 'T1', deps: ['T1'] }]),
      answer([{ id: 'T1', deps: ['T7'] }, { id: 'T1' }]),
    ]);
    const error = await planGoal({ ...base, client, maxRepairs: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskgraphError);
    const e = error as TaskgraphError;
    expect(e.code).toBe('PLAN_INVALID');
    expect(client.requests).toHaveLength(3);
    expect(e.message).toContain('still invalid after 2 repairs');
    expect(e.message).toContain('"T7"');
    expect(e.message).toContain('duplicate id "T1"');
    expect(e.message).toContain('depends on unknown task "T7"');
    expect(e.message).not.toContain('not json at all');
    expect(e.details['issues']).toHaveLength(2);
    expect(client.requests[2]!.prompt).toContain('depends on itself');
  });

  it('does not repair provider failures', async () => {
    const client = new ScriptedClient([new TaskgraphError('PROVIDER_ERROR', 'HTTP 503', { retryable: true }), answer([{ id: 'T1' }])]);
    await expect(planGoal({ ...base, client })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(client.requests).toHaveLength(1);
  });

  it('rejects an empty goal and bad limits before calling the model', async () => {
    const client = new ScriptedClient([]);
    await expect(planGoal({ ...base, goal: '  ', client })).rejects.toMatchObject({ code: 'PLAN_INVALID' });
    await expect(planGoal({ ...base, client, maxDepth: -1 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(client.requests).toHaveLength(0);
  });
});
