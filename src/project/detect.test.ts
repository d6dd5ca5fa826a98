import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { git } from '../../test/support/project.js';
import { detectCommands, languageOf, makeTargets, NPM_PLACEHOLDER_TEST, pyprojectExtras } from './detect.js';

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

  it.each([
    ['pyproject.toml', 'pip install -e .'],
    ['setup.py', 'pip install -e .'],
    ['pytest.ini', undefined],
  ])('detects Python from %s (setup: %s)', async (marker, setup) => {
    await put(marker, '');
    expect(await detectCommands(dir)).toEqual({ language: 'python', test: 'pytest -q', ...(setup ? { setup } : {}) });
  });

  it('detects Python from a tests directory with .py files', async () => {
    await put('tests/unit/test_app.py', 'def test_x(): pass\n');
    expect(await detectCommands(dir)).toEqual({ language: 'python', test: 'pytest -q' });
  });

  it('does not take a Rust tests directory for Python', async () => {
    await put('Cargo.toml', '[package]\nname = "x"\n');
    await put('tests/it.rs', '#[test] fn t() {}\n');
    expect(await detectCommands(dir)).toEqual({ language: 'rust', test: 'cargo test', build: 'cargo build', setup: 'cargo fetch' });
  });

  it('detects Go', async () => {
    await put('go.mod', 'module example.com/x\n');
    expect(await detectCommands(dir)).toEqual({ language: 'go', test: 'go test ./...', build: 'go build ./...', setup: 'go mod download' });
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

describe('detectCommands: language from the sources', () => {
  it('a JavaScript package that ships .d.ts typings and a tsconfig for them is JavaScript', async () => {
    await put('package.json', JSON.stringify({ scripts: { test: 'node --test' } }));
    await put('tsconfig.json', '{}');
    await put('src/index.js', 'export const a = 1;\n');
    await put('src/util.js', 'export const b = 2;\n');
    await put('index.d.ts', 'export declare const a: number;\n');
    await put('types/util.d.ts', 'export declare const b: number;\n');
    expect((await detectCommands(dir)).language).toBe('javascript');
    await put('src/more.ts', 'export const c = 3;\n');
    await put('src/most.ts', 'export const d = 4;\n');
    await put('src/last.mts', 'export const e = 5;\n');
    expect((await detectCommands(dir)).language).toBe('typescript');
  });

  it('ignores installed, vendored and built files (walk outside git; git ls-files inside)', async () => {
    await put('pyproject.toml', '[project]\nname = "x"\n');
    await put('x/__init__.py', '');
    await put('x/core.py', '');
    for (let i = 0; i < 5; i++) {
      await put(`node_modules/dep${i}/index.js`, '');
      await put(`vendor/lib${i}.js`, '');
      await put(`build/out${i}.js`, '');
    }
    expect(await detectCommands(dir)).toMatchObject({ language: 'python', test: 'pytest -q' });
    await git(dir, 'init', '-q');
    await put('.gitignore', 'node_modules/\nbuild/\n');
    expect((await detectCommands(dir)).language).toBe('python');
  });

  it("takes the commands of the sources' ecosystem: a Python project with a package.json for its docs tooling", async () => {
    await put('package.json', JSON.stringify({ scripts: { test: 'echo docs', build: 'vitepress build' } }));
    await put('setup.py', '');
    await put('pkg/a.py', '');
    await put('tests/test_a.py', '');
    expect(await detectCommands(dir)).toEqual({ language: 'python', test: 'pytest -q', setup: 'pip install -e .' });
  });

  it('counts by extension; ties go to the language listed first', () => {
    expect(languageOf(['a.py', 'b.py', 'c.js', 'd.min.js', 'e.d.ts']).language).toBe('python');
    expect(languageOf(['a.ts', 'b.js']).language).toBe('typescript');
    expect(languageOf(['README.md']).language).toBe('');
  });
});

describe('detectCommands: setup and build', () => {
  it.each<[string, Record<string, string>, Record<string, string>]>([
    ['npm ci with package-lock.json', { 'package-lock.json': '{}' }, { setup: 'npm ci', test: 'npm test' }],
    ['pnpm with pnpm-lock.yaml', { 'pnpm-lock.yaml': '' }, { setup: 'pnpm install --frozen-lockfile', test: 'pnpm test' }],
    ['yarn classic with yarn.lock', { 'yarn.lock': '' }, { setup: 'yarn install --frozen-lockfile', test: 'yarn test' }],
    ['yarn berry with .yarnrc.yml', { 'yarn.lock': '', '.yarnrc.yml': '' }, { setup: 'yarn install --immutable', test: 'yarn test' }],
  ])('%s', async (_name, files, expected) => {
    await put('package.json', JSON.stringify({ scripts: { test: 'node --test' } }));
    for (const [name, text] of Object.entries(files)) await put(name, text);
    expect(await detectCommands(dir)).toMatchObject(expected);
  });

  it('npm install when package.json has dependencies and no lock file; no setup without either', async () => {
    await put('package.json', JSON.stringify({ scripts: { compile: 'tsc' } }));
    expect(await detectCommands(dir)).toEqual({ language: 'javascript', build: 'npm run compile' });
    await put('package.json', JSON.stringify({ devDependencies: { vitest: '^3' } }));
    expect((await detectCommands(dir)).setup).toBe('npm install');
  });

  it.each<[string, Record<string, string>, string]>([
    ['poetry by lock file', { 'pyproject.toml': '[tool.poetry]\nname = "x"\n', 'poetry.lock': '' }, 'poetry install'],
    ['poetry by pyproject table', { 'pyproject.toml': '[tool.poetry]\nname = "x"\n' }, 'poetry install'],
    ['uv', { 'pyproject.toml': '[project]\nname = "x"\n', 'uv.lock': '' }, 'uv sync'],
    ['pip with the test extra', { 'pyproject.toml': '[project]\nname = "x"\n\n[project.optional-dependencies]\ndocs = ["sphinx"]\ntest = ["pytest", "pytest-cov"]\n' }, "pip install -e '.[test]'"],
    ['pip with the dev extra (inline table)', { 'pyproject.toml': '[project]\nname = "x"\noptional-dependencies = { dev = ["pytest"] }\n' }, "pip install -e '.[dev]'"],
    ['pip requirements', { 'pytest.ini': '', 'requirements.txt': '', 'requirements-dev.txt': '' }, 'pip install -r requirements.txt && pip install -r requirements-dev.txt'],
  ])('python: %s', async (_name, files, setup) => {
    for (const [name, text] of Object.entries(files)) await put(name, text);
    expect(await detectCommands(dir)).toMatchObject({ language: 'python', test: 'pytest -q', setup });
  });

  it('make build when the ecosystem has no build command', async () => {
    await put('pyproject.toml', '');
    await put('Makefile', 'build:\n\tpython -m build\ntest:\n\tpytest\n');
    expect(await detectCommands(dir)).toMatchObject({ test: 'pytest -q', build: 'make build' });
  });
});

describe('pyprojectExtras', () => {
  it('reads the keys of [project.optional-dependencies] and of an inline table, nothing else', () => {
    const text = [
      '[project]',
      'name = "x"',
      'dependencies = ["a"]',
      '',
      '[project.optional-dependencies]',
      'test = ["pytest"]  # comment',
      '"docs" = [',
      '  "sphinx",',
      ']',
      '',
      '[tool.other]',
      'dev = 1',
    ].join('\n');
    expect(pyprojectExtras(text)).toEqual(['test', 'docs']);
    expect(pyprojectExtras('[project]\noptional-dependencies = { dev = ["a"], "lint" = ["b"] }\n')).toEqual(['dev', 'lint']);
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
