import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';
import { cliEnv } from '../support/cli.js';

/** `npm run demo` replays examples/demo.cassette.json: this guards the committed cassette. */
describe('the demo script', () => {
  let output = '';
  let code: number | null = null;
  let sampleDir: string | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    sampleDir = /== sample project: (\S+)/.exec(output)?.[1];
  });
  afterAll(async () => {
    // the demo leaves its temporary project behind for the reader; the test removes it
    if (sampleDir && sampleDir.includes('taskgraph-demo-')) await rm(dirname(sampleDir), { recursive: true, force: true });
  });

  it('runs the main job from the cassette, then serves every node of the same goal from the cache', () => {
    expect(code, output).toBe(0);
    const summaries = [...output.matchAll(/^run (r-\S+): (\w+)\n\s+nodes: (\d+) executed, (\d+) cached, (\d+) failed/gm)];
    expect(summaries, output).toHaveLength(2);
    const [first, second] = summaries;
    expect(first![2]).toBe('succeeded');
    expect(Number(first![3])).toBeGreaterThan(0);
    expect(output).toMatch(/task T1: retry 2\/\d+ with a failure note/);
    expect(second![2]).toBe('succeeded');
    expect(second![3]).toBe('0');
    expect(second![4]).toBe('22');
    expect(output).toContain('0 executed, 22 cached');
    expect(output).toContain('feat(T1): add multiply');
    expect(output).toMatch(/git status of \S+: clean/);
  });
});
