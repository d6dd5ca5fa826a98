import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathWithout } from '../../src/sandbox/sandbox-fixtures.case.js';
import { ensureBuilt } from '../support/build.js';
import { describeResult, runCli } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

/**
 * The sandbox through the CLI (README "Sandbox"): a `command` node of a real run cannot write to
 * the user's checkout; where no sandbox tool works (simulated by a PATH without bwrap and
 * unshare) the run says so once, or refuses with SANDBOX_ERROR under `sandbox: required`.
 */

const graphFor = (checkout: string) => `id: confined
nodes:
  - id: poke
    kind: command
    config:
      run: |
        echo mine > mine.txt
        (echo hacked >> '${join(checkout, 'README.md')}') 2>/dev/null && echo checkout-written || echo checkout-refused
`;

describe('commands of a run in the sandbox', () => {
  const projects: TempProject[] = [];
  const project = async (safety?: string) => {
    const p = await createSampleRepo(safety ? { config: (y) => y.replace(/^policy:\n/m, `policy:\n  safety: ${safety}\n`) } : {});
    projects.push(p);
    const graph = join(p.base, 'confined.yaml');
    await writeFile(graph, graphFor(p.dir));
    return { ...p, graph, readme: await readFile(join(p.dir, 'README.md'), 'utf8') };
  };

  beforeAll(async () => {
    await ensureBuilt();
  });
  afterAll(async () => {
    for (const p of projects) await p.cleanup();
  });

  it('a command writes its worktree but not the checkout, and no warning is printed', async () => {
    const p = await project();
    const r = await runCli(['-C', p.dir, 'run', p.graph, '--json']);
    expect(r.code, describeResult(r)).toBe(0);
    const { worktree } = JSON.parse(r.stdout);
    expect(await readFile(join(worktree, 'mine.txt'), 'utf8')).toBe('mine\n');
    expect(await readFile(join(p.dir, 'README.md'), 'utf8')).toBe(p.readme);
    expect(r.stderr).not.toContain('no sandbox');
  });

  describe('where no sandbox tool works', () => {
    let path: string;
    beforeAll(() => {
      path = pathWithout(['bwrap', 'unshare']);
    });

    it('sandbox: auto runs the commands unconfined and says so once', async () => {
      const p = await project();
      const r = await runCli(['-C', p.dir, 'run', p.graph, '--json'], { env: { PATH: path } });
      expect(r.code, describeResult(r)).toBe(0);
      expect(r.stderr.match(/^warning: no sandbox \(.*bwrap not found.*\): commands run unconfined/gm), r.stderr).toHaveLength(1);
      // the weaker guarantee, as documented: the checkout is writable
      expect(await readFile(join(p.dir, 'README.md'), 'utf8')).toBe(`${p.readme}hacked\n`);
    });

    it('sandbox: required refuses to run them (SANDBOX_ERROR, no stack trace)', async () => {
      const p = await project('{ sandbox: required }');
      const r = await runCli(['-C', p.dir, 'run', p.graph], { env: { PATH: path } });
      expect(r.code, describeResult(r)).toBe(1);
      expect(r.stderr + r.stdout).toContain('no sandbox works here');
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(await readFile(join(p.dir, 'README.md'), 'utf8')).toBe(p.readme);
      expect(existsSync(join(p.dir, 'mine.txt'))).toBe(false);
    });
  });
});
