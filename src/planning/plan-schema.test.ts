import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PlanOutputSchema, TASK_TEXT_LIMITS, assertTaskText, parsePlanText, parsePlanValue } from './plan-schema.js';
import { thrownBy } from '../../test/support/expect-error.js';

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

  it('refuses control characters (but newline and tab) and over-long task text, as repairable issues', () => {
    const task = valid.tasks[0]!;
    const bad = parsePlanValue({
      tasks: [
        {
          ...task,
          title: 'Add x\u001b]0;pwned\u0007',
          description: 'line one\n\tindented\u0000',
          acceptance: ['ok', 'x'.repeat(TASK_TEXT_LIMITS.acceptance + 1)],
          files: ['src/a\rb.ts'],
        },
        { ...task, id: 'T2', title: 'multi\nline', description: 'd'.repeat(300_000) },
      ],
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    const byPath = Object.fromEntries(bad.issues.map((i) => [i.path, i.message]));
    expect(byPath['tasks[0].title']).toBe('contains the control character U+001B; write plain text on one line');
    expect(byPath['tasks[0].description']).toBe('contains the control character U+0000; only newlines and tabs are allowed');
    expect(byPath['tasks[0].acceptance[1]']).toMatch(/^is too long: 20,001 characters, at most 20,000 are allowed/);
    expect(byPath['tasks[0].files[0]']).toMatch(/U\+000D/);
    expect(byPath['tasks[1].title']).toMatch(/U\+000A; write plain text on one line/);
    expect(byPath['tasks[1].description']).toMatch(/^is too long/);
    // newlines and tabs in a description, and text at the limits, are fine
    const ok = parsePlanValue({ tasks: [{ ...task, title: 't'.repeat(200), description: `a\n\tb${'c'.repeat(TASK_TEXT_LIMITS.description - 4)}` }] });
    expect(ok.ok).toBe(true);
  });

  it('assertTaskText guards every path that saves tasks with the same limits', () => {
    const task = { ...valid.tasks[0]!, id: 'T7' };
    expect(() => assertTaskText([task])).not.toThrow();
    const error = thrownBy(() => assertTaskText([task, { ...task, id: 'T8', description: 'x\u0000y'.repeat(100_000) }]));
    expect(error.code).toBe('PLAN_INVALID');
    expect(error.message).toMatch(/T8\.description: is too long/);
    expect(error.message).toMatch(/T8\.description: contains the control character U\+0000/);
  });
});
