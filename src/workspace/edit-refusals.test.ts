import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../../test/support/expect-error.js';
import { git, newWorkspace, tree, useGitFixtures } from './git-workspace-fixtures.case.js';

useGitFixtures();

describe('applyEdit: edits refused before anything is written', () => {
  it('refuses .git look-alikes, control characters and option-like names without writing', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    const before = await tree(ws.dir);
    const create = (file: string): string => `--- /dev/null\n+++ b/${file}\n@@ -0,0 +1 @@\n+#!/bin/sh\n`;
    const refused: Array<[string, string]> = [
      ['.git./hooks/pre-commit', 'PATH_OUTSIDE_WORKTREE'],
      ['.git /hooks/post-checkout', 'PATH_OUTSIDE_WORKTREE'],
      ['-rf', 'EDIT_REJECTED'],
    ];
    for (const [file, code] of refused) {
      // a good file first in the same edit: all-or-nothing, it must not be written either
      const error = await rejectionOf(ws.applyEdit(`${create('good.txt')}${create(file)}`));
      expect(error.code, file).toBe(code);
    }
    for (const file of ['src/a\tb.txt', 'a\rb.txt', 'x\u001b[2J.txt', '--upload-pack=x']) {
      const error = await rejectionOf(ws.applyEdit(`diff --git a/a.txt b/x\nrename from a.txt\nrename to ${file}\n`));
      expect(error.code, JSON.stringify(file)).toBe('EDIT_REJECTED');
    }
    expect(await tree(ws.dir)).toEqual(before);
    expect(await readdir(ws.dir)).not.toContain('.git.');
  });

  it('refuses a file over maxEditBytes, naming its size and the limit', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    const before = await ws.snapshot();
    const big = `big.txt\n<<<<<<< SEARCH\n=======\n${'x'.repeat(2000)}\n>>>>>>> REPLACE\n`;
    const error = await rejectionOf(ws.applyEdit(big, { maxEditBytes: 1000 }));
    expect(error.code).toBe('EDIT_REJECTED');
    expect(error.message).toBe('edit to big.txt does not apply: the file would be 2,001 bytes, over the limit of 1,000 bytes (policy.maxEditBytes)');
    expect(error.details).toMatchObject({ path: 'big.txt', bytes: 2001, limit: 1000 });
    expect(existsSync(path.join(ws.dir, 'big.txt'))).toBe(false);
    expect(await ws.snapshot()).toEqual(before);
    expect((await ws.applyEdit(big, { maxEditBytes: 2001 })).files).toEqual(['big.txt']);
  });

  it('refuses edits to protected configuration and to what the test command runs, and allows them without protectConfig', async () => {
    const files = {
      'taskgraph.yaml': 'name: x\n',
      'package.json': '{\n  "scripts": { "test": "node test/run.mjs" },\n  "dependencies": {}\n}\n',
      'test/run.mjs': 'console.log("ok")\n',
      'src/a.js': 'export const a = 1;\n',
    };
    const { ws } = await newWorkspace(files);
    const protect = { protectConfig: { commands: ['node test/run.mjs'] } };
    const before = await tree(ws.dir);
    const srcEdit = `src/a.js\n<<<<<<< SEARCH\nexport const a = 1;\n=======\nexport const a = 2;\n>>>>>>> REPLACE\n`;
    const cheat = `${srcEdit}test/run.mjs\n<<<<<<< SEARCH\nconsole.log("ok")\n=======\nprocess.exit(0)\n>>>>>>> REPLACE\n`;
    const error = await rejectionOf(ws.applyEdit(cheat, protect));
    expect(error.code).toBe('EDIT_PROTECTED');
    expect(error.details['paths']).toEqual(['test/run.mjs']);
    const scripts = `package.json\n<<<<<<< SEARCH\n  "scripts": { "test": "node test/run.mjs" },\n=======\n  "scripts": { "test": "true" },\n>>>>>>> REPLACE\n`;
    expect((await rejectionOf(ws.applyEdit(scripts, protect))).details['paths']).toEqual(['package.json']);
    expect((await rejectionOf(ws.applyEdit('taskgraph.yaml\n<<<<<<< SEARCH\nname: x\n=======\nname: y\n>>>>>>> REPLACE\n', protect))).code).toBe('EDIT_PROTECTED');
    expect(await tree(ws.dir)).toEqual(before);
    // dependencies and new tests stay editable
    const deps = `package.json\n<<<<<<< SEARCH\n"dependencies": {}\n=======\n"dependencies": { "left-pad": "1.3.0" }\n>>>>>>> REPLACE\n`;
    const newTest = 'test/a.test.mjs\n<<<<<<< SEARCH\n=======\ncheck()\n>>>>>>> REPLACE\n';
    expect((await ws.applyEdit(`${deps}${newTest}`, protect)).files).toEqual(['package.json', 'test/a.test.mjs']);
    expect((await ws.applyEdit(cheat)).files).toEqual(['src/a.js', 'test/run.mjs']);
  });

  it('commits a message far over the argument limit, through stdin', async () => {
    const { ws } = await newWorkspace({ 'a.txt': 'a\n' });
    await writeFile(path.join(ws.dir, 'a.txt'), 'b\n');
    const message = `feat(T1): a long one\n\n${'word '.repeat(60_000).trim()}\n\nTaskgraph-Task: T1`;
    const sha = await ws.commit(message);
    expect(git(ws.dir, 'log', '-1', '--format=%B', sha).trimEnd()).toBe(message);
  });
});
