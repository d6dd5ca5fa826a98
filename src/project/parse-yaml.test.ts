import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_DEPTH } from '../core/document-depth.js';
import { thrownBy } from '../../test/support/expect-error.js';
import { parseProjectConfig } from './load-config.js';
import { parseYamlText } from './parse-yaml.js';
import { ALIAS_BOMB, nestedBrackets } from '../../test/support/hostile.js';

describe('parseYamlText: hostile YAML', () => {
  it('refuses an alias bomb with a clear error, and keeps ordinary anchors', () => {
    const error = thrownBy(() => parseYamlText(ALIAS_BOMB, 'graph.yaml', 'GRAPH_INVALID'));
    expect(error.code).toBe('GRAPH_INVALID');
    expect(error.message).toBe('graph.yaml expands its YAML aliases (*name) into more than 100 copies: an alias bomb, refused');
    expect(parseYamlText('p: &p { model: m }\nc: *p\n', 'x.yaml', 'CONFIG_INVALID')).toEqual({ p: { model: 'm' }, c: { model: 'm' } });
  });

  it('refuses nesting 20,000 deep (flow) and just past the limit (block), keeps nesting at the limit', () => {
    const flow = nestedBrackets(20_000);
    expect(thrownBy(() => parseYamlText(flow, 'g.yaml', 'GRAPH_INVALID')).message).toBe(`g.yaml is nested deeper than ${MAX_DOCUMENT_DEPTH} levels of lists and maps`);
    const block = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(thrownBy(() => parseYamlText(block(MAX_DOCUMENT_DEPTH + 1), 'c.yaml', 'CONFIG_INVALID')).code).toBe('CONFIG_INVALID');
    expect(parseYamlText(block(MAX_DOCUMENT_DEPTH), 'c.yaml', 'CONFIG_INVALID')).toBeTypeOf('object');
  });

  it('taskgraph.yaml: an alias bomb is CONFIG_INVALID, not a stack trace', () => {
    const error = thrownBy(() => parseProjectConfig(ALIAS_BOMB, '/p/taskgraph.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^\/p\/taskgraph\.yaml expands its YAML aliases/);
  });
});
