import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { createLanguageModel } from './providers.js';

function thrown(fn: () => unknown): TaskgraphError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TaskgraphError);
    return error as TaskgraphError;
  }
  throw new Error('expected a throw');
}

describe('createLanguageModel', () => {
  it('uses the Chat Completions API for openai and the Messages API for anthropic', () => {
    const openai = createLanguageModel('coder', { provider: 'openai', model: 'gpt-4o-mini' }, { OPENAI_API_KEY: 'k' });
    expect(openai.provider).toBe('openai.chat');
    expect(openai.modelId).toBe('gpt-4o-mini');
    const anthropic = createLanguageModel('planner', { provider: 'anthropic', model: 'claude-x' }, { ANTHROPIC_API_KEY: 'k' });
    expect(anthropic.provider).toBe('anthropic.messages');
    const local = createLanguageModel('cheap', { provider: 'openai-compatible', model: 'llama3', baseURL: 'http://localhost:11434/v1' }, {});
    expect(local.provider).toBe('openai-compatible.chat');
  });

  it('names the missing key variable per provider and honours apiKeyEnv', () => {
    expect(thrown(() => createLanguageModel('planner', { provider: 'anthropic', model: 'c' }, {})).message).toBe(
      'model profile "planner" (anthropic) needs the environment variable ANTHROPIC_API_KEY',
    );
    const empty = thrown(() => createLanguageModel('coder', { provider: 'openai', model: 'g' }, { OPENAI_API_KEY: '  ' }));
    expect(empty.code).toBe('MISSING_API_KEY');
    const local = thrown(() =>
      createLanguageModel('cheap', { provider: 'openai-compatible', model: 'm', baseURL: 'http://x/v1', apiKeyEnv: 'VLLM_KEY' }, {}),
    );
    expect(local.code).toBe('MISSING_API_KEY');
    expect(local.details.variable).toBe('VLLM_KEY');
  });

  it('requires baseURL for openai-compatible', () => {
    const err = thrown(() => createLanguageModel('cheap', { provider: 'openai-compatible', model: 'm' }, {}));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.hint).toContain('models.cheap.baseURL');
  });
});
