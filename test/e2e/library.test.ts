import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { cliJson, describeResult, runCli } from '../support/cli.js';

/**
 * Issue 14, the library's CLI wiring through the built CLI (the commands themselves are tested
 * in-process in src/cli/library-commands.test.ts): `prompt add`, `library search --tag`,
 * `prompt render` with a missing variable.
 */
describe('taskgraph library and prompt through the CLI', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });

  it('adds a prompt, finds it by text and tag, and refuses to render it without a variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-library-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'kind: prompt\nname: my-review.system\nversion: 1\ndescription: reviews a diff\ntags: [code review, typescript]\nvariables: [diff]\ntext: |\n  Review this diff: {{diff}}\n');
    expect((await cliJson<Array<{ ref: string }>>(dir, ['prompt', 'add', file, '--json'])).map((i) => i.ref)).toEqual(['my-review.system@1']);
    const hits = await cliJson<Array<{ ref: string; matchedTags: string[] }>>(dir, ['library', 'search', 'diff', '--tag', 'TypeScript', '--json']);
    expect(hits).toMatchObject([{ ref: 'my-review.system@1', matchedTags: ['typescript'] }]);
    const missing = await runCli(['-C', dir, 'prompt', 'render', 'my-review.system']);
    expect(missing.code, describeResult(missing)).toBe(1);
    expect(missing.stderr).toContain('needs variable diff');
  });
});
