import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PlanOutputSchema, parsePlanText, parsePlanValue } from './plan-schema.js';

const valid = { tasks: [{ id: 'T1', title: 'Add x', description: 'd', acceptance: ['a'], dependencies: [], atomic: true, files: ['src/x.ts'] }] };

describe('plan schema', () => {
  it('sends a JSON Schema that documents every field and requires every property', () => {
    // the conversion the AI SDK applies to zod 4 schemas (provider-utils zod4Schema)
    const json = z.toJSONSchema(PlanOutputSchema, { target: 'draft-7', io: 'input' }) as Record<string, any>;
    const task = json.properties.tasks.items;
    expect(json.properties.tasks.maxItems).toBe(30);
    expect(Object.keys(task.properties).sort()).toEqual(['acceptance', 'atomic', 'dependencies', 'description', 'files', 'id', 'title']);
    expect([...task.required].sort()).toEqual(Object.keys(task.properties).sort());
    for (const [name, prop] of Object.entries<any>(task.properties)) expect(prop.description, name).toBeTruthy();
  });

  it('parses plain JSON, fenced JSON and JSON surrounded by prose', () => {
    const text = JSON.stringify(valid);
    for (const candidate of [text, `\`\`\`json\n${text}\n\`\`\``, `Here you go: ${text} Hope it helps.`]) {
      const result = parsePlanText(candidate);
      expect(result.ok, candidate).toBe(true);
      if (result.ok) expect(result.plan.tasks[0]!.files).toEqual(['src/x.ts']);
    }
  });

  it('reports undecodable text and schema problems with paths', () => {
    const broken = parsePlanText('{"tasks": [');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.issues[0]!.message).toMatch(/^not valid JSON/);
    const empty = parsePlanText('  ');
    expect(!empty.ok && empty.issues[0]!.message).toMatch(/empty/);
    const bad = parsePlanValue({ tasks: [{ ...valid.tasks[0], id: 'bad id', atomic: 'yes' }] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((i) => i.path).sort()).toEqual(['tasks[0].atomic', 'tasks[0].id']);
    const none = parsePlanValue({ tasks: [] });
    expect(!none.ok && none.issues[0]!.path).toBe('tasks');
  });
});
