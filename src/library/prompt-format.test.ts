import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { parsePromptYaml, placeholdersOf } from './prompt-format.js';
import { renderPrompt } from './prompt-render.js';

const yaml = (variables: string, text: string) => `kind: prompt
name: code-review.system
version: 2
description: reviews a diff
tags: [code review, typescript]
variables: ${variables}
text: |
  ${text}
`;

function errorOf(fn: () => unknown): TaskgraphError {
  try {
    fn();
  } catch (error) {
    return error as TaskgraphError;
  }
  throw new Error('expected an error');
}

describe('prompt format', () => {
  it('parses a prompt and renders it with named variables (strings as is, JSON pretty-printed)', () => {
    const p = parsePromptYaml(yaml('[diff, task]', 'Review {{ diff }} for {{task}}; again {{diff}}'), 'p.yaml');
    expect(placeholdersOf(p.text)).toEqual(['diff', 'task']);
    expect(renderPrompt(p, { diff: '+a', task: { id: 'T1' } })).toBe('Review +a for {\n  "id": "T1"\n}; again +a\n');
  });

  it('a missing variable is a CONFIG_INVALID error naming it, never an empty string', () => {
    const p = parsePromptYaml(yaml('[diff, task]', '{{diff}} {{task}}'), 'p.yaml');
    const error = errorOf(() => renderPrompt(p, { diff: '' }));
    expect(error).toBeInstanceOf(TaskgraphError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('code-review.system@2 needs variable task');
    expect(error.details['missing']).toEqual(['task']);
    // an empty string given is a value, not a missing variable
    expect(renderPrompt(p, { diff: '', task: 'x' })).toBe(' x\n');
  });

  it('refuses declared-but-unused and used-but-undeclared variables when the prompt is read', () => {
    const unused = errorOf(() => parsePromptYaml(yaml('[diff, task, lang]', '{{diff}} {{task}}'), 'p.yaml'));
    expect(unused.code).toBe('CONFIG_INVALID');
    expect(unused.message).toContain('declared but not used: lang');
    const undeclared = errorOf(() => parsePromptYaml(yaml('[diff]', '{{diff}} {{task}}'), 'p.yaml'));
    expect(undeclared.message).toContain('used but not declared: task');
  });

  it('refuses a bad name, version or a multi-line description, naming the field', () => {
    const bad = errorOf(() => parsePromptYaml(yaml('[]', 'x').replace('name: code-review.system', 'name: Code Review').replace('version: 2', 'version: 0'), 'p.yaml'));
    expect(bad.code).toBe('CONFIG_INVALID');
    expect(bad.message).toContain('name:');
    expect(bad.message).toContain('version:');
    expect(errorOf(() => parsePromptYaml('kind: prompt\n: :', 'p.yaml')).message).toMatch(/p\.yaml/);
  });
});
