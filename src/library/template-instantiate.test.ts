import { describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import { defaultRegistry } from '../nodes/index.js';
import { instantiateTemplate } from './template-instantiate.js';
import { parseParameterText, parsePairs } from './template-parameters.js';
import { TemplateDocumentSchema, type TemplateDocumentInput } from './template-schema.js';

const prompts: Record<string, string> = { 'demo.ask@1': 'Explain {{subject}} for {{audience}}.' };
const resolvePrompt = (ref: string) => {
  const text = prompts[ref];
  if (text === undefined) throw new TaskgraphError('NOT_FOUND', `no prompt "${ref}"`);
  return text;
};

const base: TemplateDocumentInput = {
  kind: 'template',
  name: 'demo',
  version: 3,
  parameters: {
    subject: { type: 'string', required: true },
    audience: { type: 'enum', values: ['novice', 'expert'], default: 'novice' },
    test_command: { type: 'string', default: 'npm test' },
    retries: { type: 'number', default: 1 },
    files: { type: 'string[]', default: [] },
  },
  variants: {
    language: {
      default: 'typescript',
      options: {
        typescript: {},
        python: {
          parameters: { test_command: 'pytest -q' },
          graph: { nodes: [{ id: 'test', config: { timeoutMs: 60000 } }] },
        },
      },
    },
    depth: {
      default: 'short',
      options: {
        short: {},
        deep: {
          graph: {
            title: 'deep {{subject}}',
            nodes: [
              { id: 'ask', config: { profile: 'planner' } },
              { id: 'test', needs: { $append: ['ask'] } },
              { id: 'extra', kind: 'script', config: { fn: 'noop' }, needs: ['ask'] },
            ],
          },
        },
        bare: { graph: { nodes: [{ id: 'test', $remove: true }] } },
      },
    },
  },
  graph: {
    title: 'explain {{subject}}',
    nodes: [
      { id: 'ask', kind: 'llm', config: { prompt: { $prompt: 'demo.ask@1' }, output: 'text' }, inputs: { subject: '{{subject}}' } },
      { id: 'test', kind: 'command', config: { run: '{{test_command}}', timeoutMs: 1000 }, needs: ['ask'] },
      { id: 'list', kind: 'script', config: { fn: 'echo', args: { files: '{{files}}', retries: '{{retries}}', text: 'files: {{files}}' } } },
    ],
  },
};

const doc = (over: Partial<TemplateDocumentInput> = {}) => TemplateDocumentSchema.parse({ ...base, ...over });
const { executors } = defaultRegistry();
const make = (choices: Parameters<typeof instantiateTemplate>[1], d = doc()) => instantiateTemplate(d, choices, { resolvePrompt, executors });
const field = (inst: ReturnType<typeof make>, path: string) => inst.fields.find((f) => f.path === path);
const node = (inst: ReturnType<typeof make>, id: string) => inst.graph.nodes.find((n) => n.id === id)!;

function codeOf(fn: () => unknown): { code: string; message: string; hint?: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof TaskgraphError) return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
    throw error;
  }
  throw new Error('expected a TaskgraphError');
}

describe('template composition', () => {
  it('fills parameters with their types, resolves prompts and keeps node-input placeholders for the llm node', () => {
    const inst = make({ parameters: { subject: 'the parser', files: ['a.ts', 'b.ts'] } });
    expect(inst.template).toBe('demo@3');
    expect(inst.variants).toEqual({ language: 'typescript', depth: 'short' });
    expect(inst.graph.title).toBe('explain the parser');
    // `{{subject}}` in the prompt is a parameter (filled); `{{audience}}` too
    expect(node(inst, 'ask').config['prompt']).toBe('Explain the parser for novice.');
    expect(node(inst, 'list').config['args']).toEqual({ files: ['a.ts', 'b.ts'], retries: 1, text: 'files: a.ts b.ts' });
    expect(inst.prompts).toEqual(['demo.ask@1']);
  });

  it('stronger layers win per field: template < variants in declared order < overrides, with provenance per field', () => {
    const inst = make({
      parameters: { subject: 'x' },
      variants: { depth: 'deep', language: 'python' },
      overrides: { nodes: [{ id: 'test', config: { timeoutMs: 5 } }, { id: 'ask', config: { profile: 'cheap' } }] },
    });
    expect(node(inst, 'test').config).toEqual({ run: 'pytest -q', timeoutMs: 5 });
    expect(node(inst, 'ask').config['profile']).toBe('cheap');
    expect(node(inst, 'test').needs).toEqual(['ask', 'ask']);
    expect(inst.graph.title).toBe('deep x');
    expect(field(inst, 'nodes[test].config.timeoutMs')).toMatchObject({ value: 5, layer: 'override' });
    expect(field(inst, 'nodes[test].config.run')).toMatchObject({ value: 'pytest -q', layer: 'template', parameters: ['test_command'] });
    expect(field(inst, 'nodes[test].needs')).toMatchObject({ layer: 'template + variant depth=deep' });
    expect(field(inst, 'nodes[extra].kind')).toMatchObject({ value: 'script', layer: 'variant depth=deep' });
    expect(field(inst, 'nodes[ask].config.output')).toMatchObject({ layer: 'template' });
    expect(field(inst, 'nodes[ask].config.prompt')).toMatchObject({ layer: 'template', parameters: ['subject', 'audience'] });
    expect(field(inst, 'title')).toMatchObject({ layer: 'variant depth=deep' });
    expect(inst.parameterOrigins).toEqual([
      { name: 'subject', value: 'x', source: 'override' },
      { name: 'audience', value: 'novice', source: 'template' },
      { name: 'test_command', value: 'pytest -q', source: 'variant language=python' },
      { name: 'retries', value: 1, source: 'template' },
      { name: 'files', value: [], source: 'template' },
    ]);
    // a given value beats the variant's default
    const given = make({ parameters: { subject: 'x', test_command: 'make check' }, variants: { language: 'python' } });
    expect(node(given, 'test').config['run']).toBe('make check');
  });

  it('a later variant set overrides an earlier one, and $remove deletes a node', () => {
    const d = doc({
      variants: {
        a: { default: 'on', options: { on: { graph: { nodes: [{ id: 'test', config: { timeoutMs: 2 } }] } } } },
        b: { default: 'on', options: { on: { graph: { nodes: [{ id: 'test', config: { timeoutMs: 3 } }] } }, drop: { graph: { nodes: [{ id: 'test', $remove: true }] } } } },
      },
    });
    const inst = make({ parameters: { subject: 'x' } }, d);
    expect(node(inst, 'test').config['timeoutMs']).toBe(3);
    expect(field(inst, 'nodes[test].config.timeoutMs')!.layer).toBe('variant b=on');
    const dropped = make({ parameters: { subject: 'x' }, variants: { b: 'drop' } }, d);
    expect(dropped.graph.nodes.map((n) => n.id)).toEqual(['ask', 'list']);
    expect(dropped.fields.some((f) => f.path.startsWith('nodes[test]'))).toBe(false);
  });

  it('rejects unknown variant sets and options, naming the known ones', () => {
    expect(codeOf(() => make({ parameters: { subject: 'x' }, variants: { lang: 'python' } }))).toMatchObject({ code: 'CONFIG_INVALID', hint: 'variant sets: language, depth' });
    expect(codeOf(() => make({ parameters: { subject: 'x' }, variants: { language: 'rust' } }))).toMatchObject({ code: 'CONFIG_INVALID', hint: 'options of language: typescript, python' });
  });

  it('validates parameters with the declared types and lists every problem', () => {
    const e = codeOf(() => make({ parameters: { audience: 'child', retries: 'two', nope: 1 } }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/subject/);
    expect(e.message).toMatch(/audience/);
    expect(e.message).toMatch(/retries/);
    expect(e.message).toMatch(/nope/);
    expect(e.hint).toMatch(/audience \(novice\|expert\)/);
    expect(parseParameterText(doc().parameters, 'retries', '3')).toBe(3);
    expect(parseParameterText(doc().parameters, 'files', 'a.ts, b.ts')).toEqual(['a.ts', 'b.ts']);
    expect(parseParameterText(doc().parameters, 'files', '["a,b"]')).toEqual(['a,b']);
    expect(() => parseParameterText(doc().parameters, 'retries', 'x')).toThrow(/not a number/);
    expect(parsePairs(['a=b=c', 'x='], '--set')).toEqual({ a: 'b=c', x: '' });
    expect(() => parsePairs(['oops'], '--set')).toThrow(/name=value/);
  });

  it('rejects a placeholder that names neither a parameter nor an input of its node', () => {
    const d = doc({ graph: { nodes: [{ id: 'a', kind: 'script', config: { fn: 'echo', args: '{{subjekt}}' } }] } });
    expect(codeOf(() => make({ parameters: { subject: 'x' } }, d))).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/nodes\[a\]\.config\.args: \{\{subjekt\}\} names no parameter/) });
    const bad = doc({ variants: { v: { default: 'x', options: { x: { parameters: { retries: 'many' } } } } } });
    expect(codeOf(() => make({ parameters: { subject: 'x' } }, bad)).message).toMatch(/variant v=x sets parameter "retries" to a value that is not a number/);
  });

  it('validates the composed graph: cycles with their path, dangling references, kind configs', () => {
    const cyc = make.bind(null, { parameters: { subject: 'x' }, overrides: { nodes: [{ id: 'ask', needs: ['test'] }] } });
    expect(codeOf(cyc)).toMatchObject({ code: 'GRAPH_INVALID', message: expect.stringMatching(/cycle: ask -> test -> ask|cycle: test -> ask -> test/) });
    const dangling = () => make({ parameters: { subject: 'x' }, variants: { depth: 'bare' }, overrides: { nodes: [{ id: 'list', needs: ['test'] }] } });
    expect(codeOf(dangling)).toMatchObject({ code: 'GRAPH_INVALID', message: expect.stringMatching(/unknown node "test"/) });
    const badConfig = () => make({ parameters: { subject: 'x' }, overrides: { nodes: [{ id: 'test', config: { run: 5 } }] } });
    expect(codeOf(badConfig)).toMatchObject({ code: 'GRAPH_INVALID', message: expect.stringMatching(/config\.run/) });
    expect(codeOf(() => make({ parameters: { subject: 'x' }, overrides: { nodes: [{ id: 'zzz', $remove: true }] } }))).toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('provenance of list items', () => {
  it('names the parameter that filled an item of a list field', () => {
    const d = TemplateDocumentSchema.parse({
      kind: 'template',
      name: 'lists',
      version: 1,
      parameters: { cmd: { type: 'string', default: 'make test' } },
      graph: { nodes: [{ id: 'v', kind: 'verify', config: { commands: ['make lint', '{{cmd}}'] } }] },
    });
    const inst = instantiateTemplate(d, {}, { resolvePrompt, executors });
    expect(inst.fields.find((f) => f.path === 'nodes[v].config.commands')).toMatchObject({ value: ['make lint', 'make test'], layer: 'template', parameters: ['cmd'] });
  });
});
