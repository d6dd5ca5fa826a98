import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectConfigSchema, verifyGates } from '../core/config.js';
import { detectGates } from './detect-gates.js';
import { initProject } from './init.js';
import { parseProjectConfig } from './load-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-gates-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('detectGates', () => {
  it('finds nothing in an empty directory', async () => {
    expect(await detectGates(dir)).toEqual([]);
  });

  it('detects eslint and tsc for a TypeScript package', async () => {
    await writeFile(join(dir, 'eslint.config.js'), 'export default [];\n');
    await writeFile(join(dir, 'tsconfig.json'), '{}');
    expect(await detectGates(dir)).toEqual([
      { name: 'eslint', command: 'npx eslint .', source: 'eslint.config.js' },
      { name: 'tsc', command: 'npx tsc --noEmit', source: 'tsconfig.json' },
    ]);
  });

  it('detects eslintConfig in package.json', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ eslintConfig: { root: true } }));
    expect((await detectGates(dir)).map((g) => g.source)).toEqual(['package.json [eslintConfig]']);
  });

  it('detects ruff and mypy from pyproject.toml and setup.cfg', async () => {
    await writeFile(join(dir, 'pyproject.toml'), '[project]\nname = "x"\n\n[tool.ruff.lint]\nselect = ["E"]\n');
    await writeFile(join(dir, 'setup.cfg'), '[mypy]\nstrict = True\n');
    expect(await detectGates(dir)).toEqual([
      { name: 'ruff', command: 'ruff check .', source: 'pyproject.toml [tool.ruff]' },
      { name: 'mypy', command: 'mypy .', source: 'setup.cfg [mypy]' },
    ]);
  });
});

describe('init writes detected gates commented out', () => {
  it('lists them under verify.gates as comments; the config parses with no active gate', async () => {
    await writeFile(join(dir, 'tsconfig.json'), '{}');
    await writeFile(join(dir, 'mypy.ini'), '[mypy]\n');
    const result = await initProject(dir, { check: false });
    const text = await readFile(result.path, 'utf8');
    expect(text).toContain('  #  - { name: tsc, command: "npx tsc --noEmit" }   # detected: tsconfig.json');
    expect(text).toContain('  #  - { name: mypy, command: "mypy ." }   # detected: mypy.ini');
    expect(result.config.verify.gates).toEqual([]);
    expect(result.config.review).toEqual({ task: false, pr: false });
    // uncommenting a detected line gives an active, named gate
    const active = text.replace('  #  - { name: tsc', '    - { name: tsc');
    const config = parseProjectConfig(active, 'taskgraph.yaml');
    expect(verifyGates(config)).toEqual([{ name: 'tsc', command: 'npx tsc --noEmit' }]);
  });
});

describe('config: verify.gates and review', () => {
  it('names string gates by their command', () => {
    const config = ProjectConfigSchema.parse({ verify: { gates: ['npm run lint', { name: 'types', command: 'npx tsc --noEmit' }] } });
    expect(verifyGates(config)).toEqual([
      { name: 'npm run lint', command: 'npm run lint' },
      { name: 'types', command: 'npx tsc --noEmit' },
    ]);
  });

  it('refuses review without a reviewer profile when profiles are defined', () => {
    const models = { coder: { provider: 'openai', model: 'x' } };
    const r = ProjectConfigSchema.safeParse({ models, review: { task: true } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('reviewer profile \\"reviewer\\" is not defined');
    expect(ProjectConfigSchema.safeParse({ models, review: { task: true }, roles: { reviewer: 'coder' } }).success).toBe(true);
    expect(ProjectConfigSchema.parse({}).roles.reviewer).toBe('reviewer');
  });
});
