import { describe, expect, it } from 'vitest';
import type { FileChange } from './edit-apply.js';
import { commandFiles, protectedChanges, protectedError, sectionText, type CommandFiles } from './protected-files.js';

/** A worktree as a map; directories are absent (read gives null), like `GitWorkspace#peek`. */
const reader = (files: Record<string, string>) => async (relPath: string) => files[relPath] ?? null;
const NONE: CommandFiles = { files: new Map() };
const change = (path: string, before: string | null, after: string | null): FileChange => ({ path, before, after });
const refusedPaths = (changes: FileChange[], named: CommandFiles = NONE) => protectedChanges(changes, named).map((r) => r.path);

const PACKAGE = JSON.stringify({ name: 'calc', scripts: { test: 'node test/run.mjs' }, dependencies: { a: '1' } }, null, 2);

describe('protectedChanges: whole files', () => {
  it("refuses taskgraph's configuration and test-runner configuration, at any case", () => {
    const paths = [
      'taskgraph.yaml',
      'taskgraph.yml',
      '.taskgraph/reports/x.md',
      'pytest.ini',
      'sub/tox.ini',
      'jest.config.js',
      'vitest.config.ts',
      '.mocharc.json',
      '.taprc',
      'TaskGraph.YAML',
    ];
    expect(refusedPaths(paths.map((p) => change(p, 'a', 'b')))).toEqual(paths);
    // deleting or creating them is refused as well
    expect(refusedPaths([change('pytest.ini', '[pytest]\n', null), change('.taskgraph/new.yml', null, 'x: 1\n')])).toEqual(['pytest.ini', '.taskgraph/new.yml']);
  });

  it('leaves CI configuration to the diff-scoped approval (issue 11: a protected path, not a refusal)', () => {
    const ci = ['.github/workflows/ci.yml', '.gitlab-ci.yml', '.circleci/config.yml', 'azure-pipelines.yml', 'Jenkinsfile', '.travis.yml'];
    expect(refusedPaths(ci.map((p) => change(p, 'a', 'b')))).toEqual([]);
  });

  it('leaves source, tests, docs and look-alike names editable', () => {
    const free = ['src/calc.js', 'test/multiply.test.mjs', 'README.md', '.github/CODEOWNERS', 'docs/taskgraph.yaml.md', 'conftest.py', 'vite.config.ts', 'Cargo.toml'];
    expect(refusedPaths(free.map((p) => change(p, 'a', 'b')))).toEqual([]);
  });
});

describe('protectedChanges: parts of shared files', () => {
  it('package.json: scripts (and runner settings) are protected, dependencies are not', () => {
    const deps = JSON.stringify({ ...JSON.parse(PACKAGE), dependencies: { a: '2', b: '1' } }, null, 2);
    expect(refusedPaths([change('package.json', PACKAGE, deps)])).toEqual([]);
    const scripts = JSON.stringify({ ...JSON.parse(PACKAGE), scripts: { test: 'exit 0' } });
    const jest = JSON.stringify({ ...JSON.parse(PACKAGE), jest: { testMatch: [] } });
    for (const after of [scripts, jest, '{ not json', null]) {
      expect(refusedPaths([change('package.json', PACKAGE, after)]), String(after)).toEqual(['package.json']);
    }
    const [refused] = protectedChanges([change('package.json', PACKAGE, scripts)], NONE);
    expect(refused!.reason).toMatch(/"scripts".*in package\.json/);
    // key order and formatting do not count as a change; a new package may bring its own scripts
    expect(refusedPaths([change('package.json', PACKAGE, JSON.stringify(JSON.parse(PACKAGE)))])).toEqual([]);
    expect(refusedPaths([change('packages/new/package.json', null, PACKAGE)])).toEqual([]);
  });

  it('pyproject.toml: the [tool.pytest…]/[tool.tox] tables; setup.cfg: [tool:pytest]', () => {
    const pyproject = '[project]\nname = "x"\ndependencies = []\n\n[tool.pytest.ini_options]\naddopts = "-q"\n\n[tool.ruff]\nline-length = 100\n';
    expect(refusedPaths([change('pyproject.toml', pyproject, pyproject.replace('dependencies = []', 'dependencies = ["requests"]'))])).toEqual([]);
    expect(refusedPaths([change('pyproject.toml', pyproject, pyproject.replace('line-length = 100', 'line-length = 90'))])).toEqual([]);
    expect(refusedPaths([change('pyproject.toml', pyproject, pyproject.replace('addopts = "-q"', 'addopts = "-q -k nothing"'))])).toEqual(['pyproject.toml']);
    expect(refusedPaths([change('pyproject.toml', pyproject, `${pyproject}\n[tool.tox]\nlegacy_tox_ini = ""\n`)])).toEqual(['pyproject.toml']);
    const cfg = '[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests\n';
    expect(refusedPaths([change('setup.cfg', cfg, cfg.replace('name = x', 'name = y'))])).toEqual([]);
    expect(refusedPaths([change('setup.cfg', cfg, cfg.replace('testpaths = tests', 'testpaths = nothing'))])).toEqual(['setup.cfg']);
  });

  it('sectionText reads only the wanted sections, ignoring blank lines and comments', () => {
    const text = '[a]\nx = 1\n\n# note\n[tool.pytest.ini_options] # c\n  addopts = "-q"\n[b]\ny = 2\n';
    expect(sectionText(text, (n) => n.startsWith('tool.pytest'))).toBe('[tool.pytest.ini_options]\naddopts = "-q"');
  });
});

describe('commandFiles: what the configured commands run', () => {
  const worktree = {
    'package.json': JSON.stringify({ scripts: { pretest: 'node scripts/prepare.js', test: 'node test/run.mjs && ./check.sh', lint: 'eslint .' } }),
    'test/run.mjs': 'runner',
    'test/calc.test.mjs': 'tests',
    'scripts/prepare.js': 'prep',
    'check.sh': 'sh',
    Makefile: 'test:\n\tnode test/run.mjs\n',
    'jest.e2e.js': 'cfg',
  };

  it('protects files named as words or option values, follows npm scripts and make, not globs or directories', async () => {
    const named = await commandFiles(['node test/run.mjs'], reader(worktree));
    expect([...named.files.keys()]).toEqual(['test/run.mjs']);
    expect([...(await commandFiles(['npm test'], reader(worktree))).files.keys()].sort()).toEqual(['check.sh', 'scripts/prepare.js', 'test/run.mjs']);
    expect([...(await commandFiles(['make test'], reader(worktree))).files.keys()]).toEqual(['Makefile']);
    expect([...(await commandFiles(["bash -c 'cd . && ./check.sh'"], reader(worktree))).files.keys()]).toEqual(['check.sh']);
    expect([...(await commandFiles(['CI=1 npx jest --config=jest.e2e.js "test/*.test.mjs"'], reader(worktree))).files.keys()]).toEqual(['jest.e2e.js']);
    expect([...(await commandFiles(['node --test test/*.test.mjs', 'pytest test', 'cargo test', '', '/usr/bin/env node ../x.js'], reader(worktree))).files.keys()]).toEqual([]);
  });

  it('refuses an edit of a file a command runs, and keeps new test files editable (the demo: node test/run.mjs)', async () => {
    const named = await commandFiles(['node test/run.mjs'], reader(worktree));
    const changes = [change('test/run.mjs', 'runner', 'process.exit(0)'), change('test/multiply.test.mjs', null, 'check()'), change('src/calc.js', 'a', 'b')];
    const refused = protectedChanges(changes, named);
    expect(refused).toEqual([{ path: 'test/run.mjs', reason: 'the configured command `node test/run.mjs` runs it' }]);
  });

  it('words the refusal so that the model knows which files it may not change', async () => {
    const named = await commandFiles(['node test/run.mjs'], reader(worktree));
    const error = protectedError(protectedChanges([change('test/run.mjs', 'a', 'b'), change('taskgraph.yaml', 'a', 'b')], named), named);
    expect(error.code).toBe('EDIT_PROTECTED');
    expect(error.message).toBe('edit to test/run.mjs is refused: the configured command `node test/run.mjs` runs it (and 1 more protected file)');
    expect(error.details['paths']).toEqual(['test/run.mjs', 'taskgraph.yaml']);
    const reason = String(error.details['reason']);
    expect(reason).toMatch(/Files you may not change: taskgraph\.yaml/);
    expect(reason).toContain('"scripts"');
    expect(reason).toContain("the files the project's commands run: test/run.mjs");
    expect(error.hint).toMatch(/policy\.protectConfig: false/);
  });
});
