import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema } from '../core/task.js';
import { assembleContext } from './assemble.js';
import { attemptEditSection } from './attempt-edit.js';
import { modelReadsSection } from './model-reads.js';
import type { AssembleInput } from './types.js';

/** Tier 10 also pins what a tool-using coder read in the failed attempt (issue 9 item 7). */

const lib = Array.from({ length: 120 }, (_, i) => `export function f${i}(x) {\n  return x + ${i};\n}\n`).join('\n');
const files = new Map<string, string>([
  ['src/calc.js', 'export function mul(a, b) {\n  return Math.abs(a) * b;\n}\n'],
  ['src/lib.js', lib],
  ['secret/keys.js', 'export const k = 1;\n'],
]);
const reads = [
  { path: 'src/lib.js', start: 201, end: 203, tool: 'symbol' },
  { path: 'secret/keys.js', start: 1, end: 1, tool: 'read_file' },
  { path: 'gone.js', start: 1, end: 3, tool: 'read_file' },
];
const note = `Attempt 2 failed at T1/verify (VERIFY_FAILED) [signature 0123456789ab]: verification failed\nOutput:\n\`\`\`\nexpected 6 to be -6\n\`\`\`${modelReadsSection(2, reads)}${attemptEditSection({ attempt: 2, status: 'applied', failedAt: 'T1/verify', text: '--- a/src/calc.js\n+++ b/src/calc.js\n@@ -1 +1 @@\n-x\n+y' })}`;

function input(over: Partial<AssembleInput> = {}): AssembleInput {
  return {
    config: ProjectConfigSchema.parse({ name: 'calc' }),
    task: TaskSchema.parse({ planId: 'p', id: 'T1', title: 'Add mul', description: 'mul keeps the sign', files: ['src/calc.js'], notes: [note] }),
    requires: [],
    siblings: [],
    refers: [],
    files: [],
    repoFiles: [...files.keys()],
    readFile: async (p) => files.get(p) ?? Promise.reject(new Error(`ENOENT ${p}`)),
    earlierOutputs: [],
    docs: [],
    pins: [],
    excludes: ['secret/**'],
    budget: 3000,
    family: 'cl100k_base',
    ...over,
  };
}

describe('tier 10: what the model asked for', () => {
  it('pins each region read whole, says why, leaves out excluded and missing files', async () => {
    const b = await assembleContext(input());
    const asked = b.items.filter((i) => i.source === 'failure');
    expect(asked.map((i) => i.title)).toEqual(['src/lib.js:201-203']);
    expect(asked[0]!.why).toBe('tier 10: asked for by the model in attempt 2 (symbol)');
    expect(asked[0]!.text).toBe('# Asked for by the model in attempt 2: src/lib.js lines 201-203\n```js\nexport function f50(x) {\n  return x + 50;\n}\n```');
    expect(b.items.findIndex((i) => i.source === 'failure')).toBe(2); // right after the task and its notes
    expect(b.cut).toContain('secret/keys.js:1-1 (excluded: excluded by override "secret/**")');
  });
});
