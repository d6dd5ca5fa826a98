import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Json } from '../core/json.js';
import { defaultRegistry } from '../nodes/index.js';
import { BUNDLED_LIBRARY_DIR, findItem, listItems, promptResolver, readTemplateFile } from './template-files.js';
import { instantiateTemplate } from './template-instantiate.js';
import type { ParameterDecl } from './template-schema.js';

/**
 * Every starter template (library/templates) instantiates and validates — kinds' configs
 * included — with its defaults and with each option of each variant set; every prompt it uses
 * exists and declares exactly the variables its text uses.
 */

const dirs = [BUNDLED_LIBRARY_DIR];
const templates = listItems(dirs, 'templates');
const { executors } = defaultRegistry();
const resolvePrompt = promptResolver(dirs);

/** A value of the declared type for each required parameter without a default. */
function sampleValues(decls: Record<string, ParameterDecl>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, d] of Object.entries(decls)) {
    if (!d.required || d.default !== undefined) continue;
    out[name] = d.type === 'number' ? 1 : d.type === 'boolean' ? true : d.type === 'enum' ? d.values![0]! : d.type === 'string[]' ? ['src/a.ts'] : `sample-${name}`;
  }
  return out;
}

describe('starter library', () => {
  it('ships at least 10 templates, the ten kinds of work of issue 14', () => {
    expect(templates.map((t) => t.name)).toEqual(
      expect.arrayContaining(['code-review', 'code-exploration', 'write-function', 'test-function', 'create-test-case', 'fix-failing-test', 'generate-docs', 'project-manifest', 'refactor-safe', 'upgrade-dependency']),
    );
  });

  const cases = templates.flatMap((item) => {
    const doc = readTemplateFile(item.path, item);
    const choices: Array<{ label: string; variants: Record<string, string> }> = [{ label: 'defaults', variants: {} }];
    for (const [set, v] of Object.entries(doc.variants)) for (const option of Object.keys(v.options)) choices.push({ label: `${set}=${option}`, variants: { [set]: option } });
    return choices.map((c) => ({ name: `${doc.name}@${doc.version} ${c.label}`, doc, variants: c.variants }));
  });

  it.each(cases)('$name instantiates into a valid graph', ({ doc, variants }) => {
    const inst = instantiateTemplate(doc, { parameters: sampleValues(doc.parameters), variants }, { resolvePrompt, executors });
    expect(inst.graph.nodes.length).toBeGreaterThan(0);
    expect(inst.fields.every((f) => f.layer !== 'unknown')).toBe(true);
    for (const ref of inst.prompts) expect(ref.startsWith(`${doc.name}.`) || ref.startsWith('starter.')).toBe(true);
    // no parameter placeholder survives; the ones left are llm inputs, filled at run time
    for (const node of inst.graph.nodes) {
      for (const m of JSON.stringify(node.config).matchAll(/\{\{\s*([A-Za-z0-9_:.-]+)\s*\}\}/g)) {
        expect(node.kind).toBe('llm');
        expect(Object.keys(node.inputs)).toContain(m[1]);
      }
    }
  });

  it('every prompt file is well formed and declares exactly the variables its text uses', () => {
    const files = readdirSync(join(BUNDLED_LIBRARY_DIR, 'prompts'));
    expect(files.length).toBeGreaterThanOrEqual(11);
    for (const file of files) {
      const doc = parse(readFileSync(join(BUNDLED_LIBRARY_DIR, 'prompts', file), 'utf8')) as { kind: string; name: string; version: number; description: string; tags: string[]; variables: string[]; text: string };
      expect(file).toBe(`${doc.name}@${doc.version}.yaml`);
      expect(doc.kind).toBe('prompt');
      expect(doc.description.length).toBeGreaterThan(0);
      expect(doc.tags.length).toBeGreaterThan(0);
      const used = [...new Set([...doc.text.matchAll(/\{\{\s*([A-Za-z0-9_:.-]+)\s*\}\}/g)].map((m) => m[1]!))].sort();
      expect([...doc.variables].sort(), file).toEqual(used);
      expect(findItem(dirs, 'prompts', doc.name).version).toBe(doc.version);
    }
  });
});
