import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../../test/support/expect-error.js';
import { ALIAS_BOMB, nestedBrackets } from '../../test/support/hostile.js';
import { loadGraphFile, readGoal, tryWriteReport } from './run-common.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-run-common-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadGraphFile: hostile graph files', () => {
  it('refuses a JSON graph whose input literal is nested 20,000 deep, before validating it', async () => {
    const deep = nestedBrackets(20_000);
    const file = join(dir, 'deep.json');
    await writeFile(file, `{"nodes": [{"id": "a", "kind": "script", "config": {"fn": "echo"}, "inputs": {"x": ${deep}}}]}`);
    const error = await rejectionOf(loadGraphFile(file));
    expect(error.code).toBe('GRAPH_INVALID');
    expect(error.message).toBe(`${file} is nested deeper than 64 levels of lists and maps`);
  });

  it('refuses a YAML alias bomb and a deeply nested YAML graph', async () => {
    const bomb = join(dir, 'bomb.yaml');
    await writeFile(bomb, `${ALIAS_BOMB}nodes: []\n`);
    expect((await rejectionOf(loadGraphFile(bomb))).message).toMatch(/alias bomb/);
    const deep = join(dir, 'deep.yaml');
    await writeFile(deep, `nodes:\n  - id: a\n    kind: script\n    config: { fn: echo }\n    inputs: { x: ${nestedBrackets(2_000)} }\n`);
    expect((await rejectionOf(loadGraphFile(deep))).code).toBe('GRAPH_INVALID');
  });

  it('still loads an ordinary graph file', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'nodes:\n  - id: a\n    kind: script\n    config: { fn: echo, args: { deep: [[[1]]] } }\n');
    expect((await loadGraphFile(file)).nodes).toHaveLength(1);
  });
});

describe('tryWriteReport', () => {
  it('turns a failure to write the report into one warning line naming how to print it', async () => {
    const outcome = await tryWriteReport(() => Promise.reject(Object.assign(new Error("EACCES: permission denied, open '/p/.taskgraph/reports/r1.md'"), { code: 'EACCES' })), 'r1');
    expect(outcome.path).toBeUndefined();
    expect(outcome.warning).toBe("warning: the report could not be written (EACCES: permission denied, open '/p/.taskgraph/reports/r1.md'); print it with: taskgraph report r1 --print");
    expect(await tryWriteReport(async () => '/p/r.md', 'r1')).toEqual({ path: '/p/r.md' });
  });
});

describe('readGoal', () => {
  it('refuses a requirements document with NUL bytes', async () => {
    const prd = join(dir, 'prd.bin');
    await writeFile(prd, 'goal\0\0binary');
    expect((await rejectionOf(readGoal(undefined, prd))).code).toBe('CONFIG_INVALID');
  });
});
