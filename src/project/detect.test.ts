import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCommands, makeTargets, NPM_PLACEHOLDER_TEST } from './detect.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-detect-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, text = ''): Promise<void> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('detectCommands', () => {
  it('finds nothing in an empty directory', async () => {
    expect(await detectCommands(dir)).toEqual({ language: '' });
  });

  it('detects a TypeScript npm project with test and build scripts', async () => {
    await put('package.json', JSON.stringify({ scripts: { test: 'vitest run', build: 'tsc' } }));
    await put('tsconfig.json', '{}');
    expect(await detectCommands(dir)).toEqual({ language: 'typescript', test: 'npm test', build: 'npm run build' });
  });

  it('detects JavaScript without tsconfig and ignores the npm placeholder test script', async () => {
    await put('package.json', JSON.stringify({ scripts: { test: NPM_PLACEHOLDER_TEST } }));
    expect(await detectCommands(dir)).toEqual({ language: 'javascript' });
  });

  it('treats a package.json without scripts as JavaScript without commands', async () => {
    await put('package.json', JSON.stringify({ name: 'x' }));
    expect(await detectCommands(dir)).toEqual({ language: 'javascript' });
  });

  it('falls back to make test when package.json has no test script', async () => {
    await put('package.json', JSON.stringify({ scripts: { build: 'tsc' } }));
    await put('Makefile', 'test:\n\tnode test.js\n');
    expect(await detectCommands(dir)).toEqual({ language: 'javascript', test: 'make test', build: 'npm run build' });
  });

  it.each(['pyproject.toml', 'pytest.ini', 'setup.py'])('detects Python from %s', async (marker) => {
    await put(marker, '');
    expect(await detectCommands(dir)).toEqual({ language: 'python', test: 'pytest -q' });
  });

  it('detects Python from a tests directory with .py files', async () => {
    await put('tests/unit/test_app.py', 'def test_x(): pass\n');
    expect(await detectCommands(dir)).toEqual({ language: 'python', test: 'pytest -q' });
  });

  it('does not take a Rust tests directory for Python', async () => {
    await put('Cargo.toml', '[package]\nname = "x"\n');
    await put('tests/it.rs', '#[test] fn t() {}\n');
    expect(await detectCommands(dir)).toEqual({ language: 'rust', test: 'cargo test', build: 'cargo build' });
  });

  it('detects Go', async () => {
    await put('go.mod', 'module example.com/x\n');
    expect(await detectCommands(dir)).toEqual({ language: 'go', test: 'go test ./...', build: 'go build ./...' });
  });

  it('detects a Makefile test target', async () => {
    await put('Makefile', '.PHONY: test\nCC := gcc\nall: main\ntest: all\n\t./run-tests\n');
    expect(await detectCommands(dir)).toEqual({ language: '', test: 'make test' });
  });

  it('ignores a Makefile without a test target', async () => {
    await put('Makefile', 'all:\n\tcc main.c\ntest := 1\n');
    expect(await detectCommands(dir)).toEqual({ language: '' });
  });

  it('takes the first match: package.json wins over pyproject.toml and Cargo.toml', async () => {
    await put('package.json', JSON.stringify({ scripts: { test: 'jest' } }));
    await put('pyproject.toml', '');
    await put('Cargo.toml', '');
    expect((await detectCommands(dir)).language).toBe('javascript');
  });

  it('takes Python before Rust and Rust before Go', async () => {
    await put('Cargo.toml', '');
    await put('go.mod', '');
    expect((await detectCommands(dir)).language).toBe('rust');
    await put('setup.py', '');
    expect((await detectCommands(dir)).language).toBe('python');
  });
});

describe('makeTargets', () => {
  it('reads rule names and skips assignments, recipes and comments', () => {
    const targets = makeTargets(
      ['build test: deps', '\ttest: not-a-rule', '# lint: comment', 'x ::= 1', 'y := 2', 'check::', 'z = a:b'].join('\n'),
    );
    expect([...targets].sort()).toEqual(['build', 'check', 'test']);
  });
});
