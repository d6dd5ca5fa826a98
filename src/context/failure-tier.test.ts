import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema, type Task } from '../core/task.js';
import { assembleContext } from './assemble.js';
import { attemptEditSection } from './attempt-edit.js';
import { RANK_OF, type AssembleInput } from './types.js';

const t = (id: string, title: string, extra: Partial<Task> = {}): Task => TaskSchema.parse({ planId: 'p', id, title, ...extra });

/** A test file whose failing test sits deep inside: a bundle that trims the file would hide it. */
function testFile(): string {
  const filler = (from: number) => Array.from({ length: 150 }, (_, i) => `  it('case ${from + i}', () => {\n    expect(mul(${from + i}, 1)).toBe(${from + i});\n  });`).join('\n');
  return `import { mul } from '../src/calc.js';\n\ndescribe('mul', () => {\n${filler(0)}\n  it('keeps the sign', () => {\n    const r = mul(-2, 3);\n    expect(r).toBe(-6);\n  });\n${filler(150)}\n});\n`;
}

const files = new Map<string, string>([
  ['src/calc.js', 'export function mul(a, b) {\n  return Math.abs(a) * b;\n}\n'],
  ['test/calc.test.js', testFile()],
]);
const failingLine = testFile().split('\n').findIndex((l) => l.includes('expect(r).toBe(-6)')) + 1;
const note = `Attempt 1 failed at T1/verify (VERIFY_FAILED) [signature 0123456789ab]: verification failed\nCommand: npm test\nOutput:\n\`\`\`\n FAIL  test/calc.test.js > mul > keeps the sign\nAssertionError: expected 6 to be -6\n ❯ test/calc.test.js:${failingLine}:15\n\`\`\`${attemptEditSection({ attempt: 1, status: 'applied', failedAt: 'T1/verify', text: '--- a/src/calc.js\n+++ b/src/calc.js\n@@ -1 +1 @@\n-x\n+y' })}`;

function input(over: Partial<AssembleInput> = {}): AssembleInput {
  return {
    config: ProjectConfigSchema.parse({ name: 'calc', commands: { test: 'npm test' } }),
    task: t('T1', 'Add mul', { description: 'mul keeps the sign', files: ['src/calc.js', 'test/calc.test.js'], notes: [note] }),
    requires: [],
    siblings: [],
    refers: [],
    files: [],
    repoFiles: [...files.keys()],
    readFile: async (p) => files.get(p) ?? Promise.reject(new Error(`ENOENT ${p}`)),
    earlierOutputs: [],
    docs: [],
    pins: [],
    excludes: [],
    budget: 4000,
    family: 'cl100k_base',
    ...over,
  };
}

describe('tier 10: code named by the failure', () => {
  it('pins the failing test block whole, right after the task, while the test file itself is trimmed', async () => {
    const b = await assembleContext(input());
    const sources = b.items.map((i) => i.source);
    expect(sources.slice(0, 3)).toEqual(['project', 'task', 'failure']);
    const pinned = b.items.filter((i) => i.source === 'failure');
    expect(pinned.map((i) => i.title)).toEqual([`test/calc.test.js:${failingLine - 2}-${failingLine + 1}`]);
    expect(pinned[0]!.text).toContain("it('keeps the sign', () => {\n    const r = mul(-2, 3);\n    expect(r).toBe(-6);\n  });");
    expect(pinned[0]!.text.startsWith(`# Named by the failure of attempt 1: test/calc.test.js lines ${failingLine - 2}-${failingLine + 1}`)).toBe(true);
    expect(pinned[0]!.why).toContain('named by the failure of attempt 1 (test/calc.test.js:');
    expect(pinned[0]!.trimmed).toBeUndefined();
    // the whole test file is there too, trimmed by code: the tests the task and its failure name
    // are kept whole (a head + tail cut would have hidden this one), the others are signatures
    const file = b.items.find((i) => i.title === 'test/calc.test.js' && i.source === 'file');
    expect(file?.trimmed).toBe(true);
    expect(file?.text).toContain("  it('keeps the sign', () => {\n    const r = mul(-2, 3);");
    expect(file?.text).toMatch(/ … \d+ lines/);
    const ranks = b.items.map((i) => RANK_OF[i.source]);
    expect(ranks).toEqual([...ranks].sort((a, c) => a - c));
    // the task tier shows the previous edit
    expect(b.items[1]!.text).toContain('#### Previous attempt: the edit of attempt 1');
  });

  it('drops a block that does not fit whole and says so, never trimming it', async () => {
    const b = await assembleContext(input({ options: { maxItemShare: 0.01 } }));
    expect(b.items.some((i) => i.source === 'failure')).toBe(false);
    const cut = b.cutEntries!.find((c) => c.source === 'failure');
    expect(cut?.action).toBe('dropped');
    expect(cut?.reason).toContain('fewer blocks are shown, none trimmed');
  });

  it('has no tier 10 without a failure note, and leaves excluded files out', async () => {
    const none = await assembleContext(input({ task: t('T1', 'Add mul', { notes: ['a person: use mul'] }) }));
    expect(none.items.some((i) => i.source === 'failure')).toBe(false);
    const excluded = await assembleContext(input({ excludes: ['test/**'] }));
    expect(excluded.items.some((i) => i.source === 'failure')).toBe(false);
  });

  it('locates the failure in the files as the attempt left them: a test the attempt added, in a file it edited or created', async () => {
    const before = files.get('test/calc.test.js')!;
    const added = "  it('multiplies by zero', () => {\n    expect(mul(0, 5)).toBe(0);\n    expect(mul(-0, 5)).toBe(0);\n  });\n";
    const after = before.replace("describe('mul', () => {\n", `describe('mul', () => {\n${added}`);
    const created = "import { mul } from '../src/calc.js';\n\nit('multiplies negatives', () => {\n  expect(mul(-2, -3)).toBe(6);\n});\n";
    const diff = [
      createTwoFilesPatch('a/test/calc.test.js', 'b/test/calc.test.js', before, after, '', '', { context: 3 }),
      createTwoFilesPatch('/dev/null', 'b/test/neg.test.js', '', created, '', '', { context: 3 }),
    ].join('\n');
    const addedLine = after.split('\n').findIndex((l) => l.includes('mul(-0, 5)')) + 1;
    const failure = `Attempt 1 failed at T1/verify (VERIFY_FAILED) [signature 0123456789ab]: verification failed\nOutput:\n\`\`\`\nAssertionError: expected -0 to be +0\n ❯ test/calc.test.js:${addedLine}:22\n FAIL  test/neg.test.js > multiplies negatives\n\`\`\`${attemptEditSection({ attempt: 1, status: 'applied', failedAt: 'T1/verify', text: diff })}`;
    const b = await assembleContext(input({ task: t('T1', 'Add mul', { description: 'mul keeps the sign', notes: [failure] }), budget: 8000 }));
    const pinned = b.items.filter((i) => i.source === 'failure');
    // line numbers of the edited file: the task-start file has other code there (case 1's block)
    expect(pinned.map((i) => i.title)).toEqual([`test/calc.test.js:${addedLine - 2}-${addedLine + 1}`, 'test/neg.test.js:3-5']);
    expect(pinned[0]!.text).toContain(added.trimEnd());
    expect(pinned[0]!.text).toContain(', as attempt 1 left it (its edit is undone in the worktree)');
    expect(pinned[0]!.why).toContain("as that attempt's edit left it");
    expect(pinned[1]!.text).toContain("it('multiplies negatives', () => {\n  expect(mul(-2, -3)).toBe(6);\n});");
    // a diff that no longer applies reads today's file (the first test above): never a failure
  });
});

