import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { buildPlannerPrompt } from '../planning/prompts.js';
import { listProjectFiles } from '../project/detect.js';
import { collectProjectContext } from '../project/project-context.js';
import { runGit } from '../workspace/git-run.js';
import { buildContextIndex, rankFiles } from './context-index.js';
import { buildPlannerBundle } from './planner-bundle.js';
import { BARE_PATHS, renderRepoMap, summarizeByDirectory } from './repo-map.js';

/**
 * A 219-file repository like the one issue 9 saw: 8 files with symbols, 150 locale files, a
 * `Readme.md`, docs under a non-ASCII directory, and the `typings/` the goal is about sorting
 * after everything else.
 */
const FILES: Record<string, string> = {
  'Readme.md': '# strparse\n\nParses option strings.\n',
  'src/parser.ts': 'export function parseArgs(argv: string[]): string[] {\n  return argv;\n}\n',
  'src/format.ts': 'export function formatUsage(name: string): string {\n  return name;\n}\n',
  'src/errors.ts': 'export class ParseError extends Error {}\n',
  'src/cli.ts': 'export function main(): void {}\n',
  'src/colors.ts': 'export const palette = {};\n',
  'src/help.ts': 'export function renderHelp(): string {\n  return "";\n}\n',
  'typings/index.d.ts': "export { ParserOptions } from './options';\nexport declare function strparse(input: string, options?: ParserOptions): Record<string, string>;\n",
  'typings/options.d.ts': [
    '/** Options of strparse. */',
    'export interface ParserOptions {',
    '  /** separator between key and value (default "=") */',
    '  separator?: string;',
    '  /** keep keys with no value */',
    '  keepEmpty?: boolean;',
    '}',
    '',
  ].join('\n'),
};
for (let i = 0; i < 150; i++) FILES[`src/locales/l${String(i).padStart(3, '0')}.json`] = `{ "hello": "hello ${i}" }\n`;
for (let i = 0; i < 40; i++) FILES[`docs/中文/page${String(i).padStart(2, '0')}.md`] = `Page ${i} of the manual.\n`;
for (let i = 0; i < 20; i++) FILES[`test/fixtures/case${String(i).padStart(2, '0')}.txt`] = `a=${i}\n`;

const GOAL = 'Add a `strict` flag to ParserOptions in typings/options.d.ts so that the separator is required';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-planner-bundle-'));
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await runGit(dir, ['init', '-q']);
  await runGit(dir, ['add', '-A']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = ProjectConfigSchema.parse({ name: 'strparse' });
const read = (p: string) => readFile(join(dir, p), 'utf8');

describe('the planner sees code (issue 9 item 6) on a 219-file repository', () => {
  it('lists the repository with non-ASCII paths unquoted (git ls-files -z)', async () => {
    const files = await listProjectFiles(dir);
    expect(files).toHaveLength(219);
    expect(files).toContain('docs/中文/page00.md');
    expect(files.some((f) => f.includes('\\'))).toBe(false);
  });

  it('builds a bundle with the symbols ranked for the goal, a retrieved passage, and the bare files counted by directory', async () => {
    const repoFiles = await listProjectFiles(dir);
    const bundle = await buildPlannerBundle({ config, goal: GOAL, repoFiles, readFile: read, budget: 8000, family: 'cl100k_base' });
    expect(bundle.tokens).toBeLessThanOrEqual(8000);
    const text = bundle.text;
    // the typings come first in the map, with their symbols
    const map = text.slice(text.indexOf('# Repository map'));
    expect(map.indexOf('typings/options.d.ts')).toBeGreaterThan(-1);
    expect(map.indexOf('typings/options.d.ts')).toBeLessThan(map.indexOf('src/parser.ts'));
    expect(text).toMatch(/typings\/options\.d\.ts\n {2}2: export interface ParserOptions/);
    // the file the goal names is retrieved or shown with its code
    expect(text).toContain('keepEmpty?: boolean;');
    // 150 locale files are one line, not 150
    expect(text).toContain('# Repository map (files by relevance to the goal, with exported symbols)');
    expect(text).toContain('Not listed by name (least relevant to the goal), by directory:\nsrc/locales/: 150 files\ndocs/中文/: 40 files');
    expect(text).not.toContain('src/locales/l149.json');
    // not repeated from the planner prompt: the goal and taskgraph.yaml
    expect(text).not.toContain('Project index (taskgraph.yaml)');
    expect(text).not.toContain(`# Task goal`);
  });

  it('gives the planner prompt the code, the Readme.md, and no alphabetical file list', async () => {
    const repoFiles = await listProjectFiles(dir);
    const bundle = await buildPlannerBundle({ config, goal: GOAL, repoFiles, readFile: read, budget: 8000, family: 'cl100k_base' });
    const project = { ...(await collectProjectContext(dir, config, repoFiles)), code: bundle.text };
    const prompt = buildPlannerPrompt({ goal: GOAL, project, depth: 0, maxDepth: 2 });
    expect(prompt).toContain('## README (excerpt)\n\n# strparse');
    expect(prompt).toContain('  2: export interface ParserOptions');
    expect(prompt).toContain('keepEmpty?: boolean;');
    expect(prompt).not.toContain('## Files (');
    // without code (planner.contextBudget: 0) the file list is cut by relevance and says so
    const plain = buildPlannerPrompt({ goal: GOAL, project: { ...project, code: undefined }, depth: 0, maxDepth: 2 });
    expect(plain).toContain('## Files (219)');
    expect(plain).toContain('- typings/options.d.ts');
    expect(plain).toContain('- typings/index.d.ts');
    expect(plain).toContain('- … and 19 more (not shown: least relevant to the goal)');
    expect(plain).toContain('- docs/中文/page00.md');
  });

  it('is the same for the same repository and goal, and changes with a relevant file', async () => {
    const repoFiles = await listProjectFiles(dir);
    const a = await buildPlannerBundle({ config, goal: GOAL, repoFiles, readFile: read, budget: 8000, family: 'cl100k_base' });
    const b = await buildPlannerBundle({ config, goal: GOAL, repoFiles, readFile: read, budget: 8000, family: 'cl100k_base' });
    expect(b.hash).toBe(a.hash);
    const changed = (p: string) => (p === 'typings/options.d.ts' ? read(p).then((t) => t.replace('keepEmpty', 'keepBlank')) : read(p));
    const c = await buildPlannerBundle({ config, goal: GOAL, repoFiles, readFile: changed, budget: 8000, family: 'cl100k_base' });
    expect(c.hash).not.toBe(a.hash);
  });
});

describe('renderRepoMap: bare files by directory', () => {
  it('lists at most BARE_PATHS files without symbols and counts the others by directory', async () => {
    const repoFiles = Object.keys(FILES).sort();
    const index = await buildContextIndex({ repoFiles, readFile: read, docs: [], earlierOutputs: [] });
    const map = renderRepoMap(rankFiles(index, 'parser options typings', () => true), 4000, 'cl100k_base');
    const lines = map.text.split('\n');
    const bare = lines.filter((l) => /^\S/.test(l) && !/: \d+ files?$/.test(l) && !l.startsWith('Not listed') && !l.startsWith('…'));
    expect(map.listed).toBeLessThanOrEqual(BARE_PATHS + 8);
    expect(bare.length).toBe(map.listed);
    expect(map.listed + map.notListed).toBe(219);
    expect(lines.length).toBeLessThan(60);
    expect(map.text).toContain('src/locales/: 150 files');
    expect(map.text).toContain('Not listed by name (least relevant to the task), by directory:');
  });

  it('says how many files a tight allowance leaves out, by relevance', async () => {
    const repoFiles = Object.keys(FILES).sort();
    const index = await buildContextIndex({ repoFiles, readFile: read, docs: [], earlierOutputs: [] });
    const map = renderRepoMap(rankFiles(index, 'parser options typings', () => true), 60, 'cl100k_base');
    expect(map.text).toContain('typings/options.d.ts');
    expect(map.text).toMatch(/… and \d+ more files \(not shown: least relevant to the task\)$/);
    expect(summarizeByDirectory(['a/x', 'a/y', 'b/z', 'top'], 1)).toEqual(['a/: 2 files', '… and 2 more files (not shown: least relevant to the task)']);
    expect(summarizeByDirectory(['top'])).toEqual(['./: 1 file']);
  });
});
