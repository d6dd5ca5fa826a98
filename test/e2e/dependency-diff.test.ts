import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeResult, runCli } from '../support/cli.js';
import { SAMPLE } from '../support/project.js';
import { calc, planJson, scriptedModel, udiff } from '../support/scripted-model.js';
import { useScriptedProject } from '../support/scripted-project.js';

/**
 * Issue 9 item 5 end to end: a task's bundle shows what its `requires` dependency changed (the
 * diff of the dependency's commit, with a summary line), and leaves noise out of the repository
 * map and retrieval: a mirrored copy of the source, files `.gitattributes` marks generated or
 * vendored, lock files and minified files.
 */
const GOAL = 'Add multiply to the calculator and document it in the README.';
const PLAN = planJson([
  { id: 'T1', title: 'Add multiply', description: 'Add multiply(a, b) to src/calc.js.', files: ['src/calc.js'] },
  { id: 'T2', title: 'Document multiply in the README', description: 'Say how multiply is called.', files: ['README.md'], dependencies: ['T1'] },
]);
const CALC = readFileSync(join(SAMPLE, 'src', 'calc.js'), 'utf8');

describe('dependency diff and noise in the coder prompt', () => {
  const model = scriptedModel({
    planner: PLAN,
    coder: {
      T1: udiff([['src/calc.js', calc.src, calc.withMultiply('a * b')]]),
      T2: udiff([['README.md', calc.readme, calc.readmeWithMultiply()]]),
    },
  });
  const scripted = useScriptedProject(model, {
    files: {
      'deno/src/calc.js': CALC,
      '.gitattributes': 'gen/** linguist-generated\n',
      'gen/calc-table.js': 'export const calcTable = [1, 2, 3];\n',
      'package-lock.json': '{\n  "name": "calculator",\n  "lockfileVersion": 3\n}\n',
      'public/calc.min.js': 'export function add(a,b){return a+b}\n',
    },
  });

  it("T2's coder prompt holds T1's commit diff with its summary line; no prompt lists the noise", async () => {
    const r = await runCli(['-C', scripted.dir, 'do', GOAL, '--json']);
    expect(r.code, describeResult(r)).toBe(0);

    const t2 = model.coderRequests('T2');
    expect(t2).toHaveLength(1);
    const prompt = t2[0]!.user;
    expect(prompt).toContain('# Change made by required task T1: Add multiply');
    expect(prompt).toMatch(/T1 Add multiply: "feat\(T1\): add multiply"; 1 file changed, \+5 −0 \(src\/calc\.js \+5 −0\)/);
    expect(prompt).toContain('+export function multiply(a, b) {');
    expect(prompt).toContain('+  return a * b;');
    expect(prompt).not.toContain('Output of required task T1');

    // T1 starts from the base commit, where deno/src/calc.js is an exact copy of src/calc.js;
    // once T1 added multiply, the copy no longer is one and may be shown to T2
    const t1 = model.coderRequests('T1');
    expect(t1).toHaveLength(1);
    expect(t1[0]!.user).toContain('src/calc.js');
    expect(t1[0]!.user).not.toContain('deno/src/calc.js');
    for (const req of [...t1, ...t2]) {
      for (const noise of ['gen/calc-table.js', 'package-lock.json', 'public/calc.min.js']) expect(req.user).not.toContain(noise);
    }
  });
});
