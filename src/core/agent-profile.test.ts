import { describe, expect, it } from 'vitest';
import { agentCommandLine } from './agent-profile.js';
import { ProjectConfigSchema } from './config.js';
import { judgeCommand } from '../sandbox/command-policy.js';
import { planToNodes } from '../planning/plan-graph.js';
import { reportedCostUsd } from '../nodes/agent-transcript.js';
import { testTask as task } from '../../test/support/task.js';

const llm = { provider: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', model: 'm' } as const;

describe('agent profiles in taskgraph.yaml', () => {
  it('keeps provider: agent entries of models: apart in agents, with defaults, and parses its own output again', () => {
    const config = ProjectConfigSchema.parse({ models: { planner: llm, 'claude-code': { provider: 'agent', command: 'claude -p --output-format json' } }, roles: { coder: 'claude-code' } });
    expect(Object.keys(config.models)).toEqual(['planner']);
    expect(config.agents).toEqual({ 'claude-code': { provider: 'agent', command: 'claude -p --output-format json', input: 'stdin', env: [], transcriptLimit: 20_000 } });
    expect(ProjectConfigSchema.parse(config)).toEqual(config);
  });

  it('refuses an agent profile as planner or reviewer, as a fallback, and unknown fields', () => {
    const agent = { provider: 'agent', command: 'codex exec' };
    const planner = ProjectConfigSchema.safeParse({ models: { a: agent }, roles: { planner: 'a' } });
    expect(planner.success).toBe(false);
    expect(planner.error?.issues[0]?.message).toContain('only roles.coder may be an agent CLI');
    const fallback = ProjectConfigSchema.safeParse({ models: { a: agent, coder: { ...llm, fallback: 'a' } } });
    expect(fallback.error?.issues[0]?.message).toContain('is an agent profile');
    expect(ProjectConfigSchema.safeParse({ models: { a: { ...agent, model: 'x' } } }).success).toBe(false);
    expect(ProjectConfigSchema.safeParse({ models: { a: { ...agent, input: 'pipe' } } }).success).toBe(false);
  });

  it('never puts the prompt into the line: placeholders become quoted variable references', () => {
    expect(agentCommandLine({ command: 'claude -p', input: 'stdin' })).toBe('claude -p');
    expect(agentCommandLine({ command: 'aider --yes --message {prompt}', input: 'arg' })).toBe('aider --yes --message "$TASKGRAPH_PROMPT"');
    expect(agentCommandLine({ command: 'codex exec', input: 'arg' })).toBe('codex exec "$TASKGRAPH_PROMPT"');
    expect(agentCommandLine({ command: 'goose run -i {prompt_file}', input: 'file' })).toBe('goose run -i "$TASKGRAPH_PROMPT_FILE"');
    expect(agentCommandLine({ command: 'goose run -i', input: 'file' })).toBe('goose run -i "$TASKGRAPH_PROMPT_FILE"');
  });

  it('makes the agent line a configured line of the command policy (allowed), and nothing else', () => {
    const config = ProjectConfigSchema.parse({ models: { c: { provider: 'agent', command: 'aider --message {prompt}', input: 'arg' } } });
    expect(judgeCommand('aider --message "$TASKGRAPH_PROMPT"', config, { cwd: '/tmp' })).toEqual({ verdict: 'allowed', why: 'configured' });
    expect(judgeCommand('aider --message hi', config, { cwd: '/tmp' }).verdict).toBe('unlisted');
  });

  it('makes every task edit an agent node when roles.coder names an agent profile', () => {
    const agentConfig = ProjectConfigSchema.parse({ models: { cc: { provider: 'agent', command: 'claude -p' } }, roles: { coder: 'cc' } });
    const edit = planToNodes([task('T1')], ['T1'], { config: agentConfig }).find((n) => n.id === 'T1/edit');
    expect(edit).toMatchObject({ kind: 'agent', config: { profile: 'cc' }, inputs: { context: { $ref: 'T1/context' } } });
    const llmEdit = planToNodes([task('T1')], ['T1'], { config: ProjectConfigSchema.parse({}) }).find((n) => n.id === 'T1/edit');
    expect(llmEdit).toMatchObject({ kind: 'llm', config: { profile: 'coder', template: 'edit' } });
  });
});

describe('reportedCostUsd', () => {
  it('reads the cost an agent CLI prints as JSON, the last one when there are several', () => {
    expect(reportedCostUsd('working\n{"type":"result","total_cost_usd":0.25,"result":"ok"}\n')).toBe(0.25);
    expect(reportedCostUsd('{"cost_usd": 0.1}\n{"cost_usd": 0.3}')).toBe(0.3);
    // a transcript trimmed in the middle: the key is still found
    expect(reportedCostUsd('{"type":"result","result":"long…\n[...]\n…end","total_cost_usd":1.5e-2}')).toBe(0.015);
  });

  it('is undefined (cost unknown) when nothing reports a cost', () => {
    expect(reportedCostUsd('done\n{"ok":true}')).toBeUndefined();
    expect(reportedCostUsd('')).toBeUndefined();
  });
});
