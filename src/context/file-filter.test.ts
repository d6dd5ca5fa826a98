import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import { TaskSchema } from '../core/task.js';
import { GitWorkspace } from '../workspace/git-workspace.js';
import { runGit } from '../workspace/git-run.js';
import { assembleContext } from './assemble.js';
import { buildContextIndex, LOCK_SKIP, rankFiles, type ContextIndex } from './context-index.js';
import { copyRank, duplicateFiles, isMinified, markedGenerated, noiseFiles } from './file-filter.js';
import { isSourceFile } from './eval/source-files.js';

/** A TypeScript module of `n` distinct functions whose names start with `prefix`. */
function module(prefix: string, n: number): string {
  return Array.from({ length: n }, (_, i) => `export function ${prefix}${i}(x: number): number {\n  return x * ${i} + ${prefix.length};\n}\n`).join('\n');
}

const INVOICES = module('invoiceTotal', 30);
/** the mirrored copy: the same module with an import line rewritten for Deno and one line more */
const DENO_INVOICES = `import { assert } from "https://deno.land/std/assert/mod.ts";\n${INVOICES}export const denoBuild = true;\n`;

const FILES: Record<string, string> = {
  '.gitattributes': 'gen/** linguist-generated\nthird_party/** linguist-vendored=true\nsrc/keep.generated.ts linguist-generated=false\n',
  'src/billing/invoices.ts': INVOICES,
  'deno/billing/invoices.ts': DENO_INVOICES,
  'src/billing/copy-of-tax.ts': module('taxRate', 12),
  'src/billing/tax.ts': module('taxRate', 12),
  'src/keep.generated.ts': module('keepMe', 3),
  'gen/api.ts': module('invoiceApi', 10),
  'third_party/lib/invoice.ts': module('vendoredInvoice', 10),
  'package-lock.json': '{\n  "name": "invoice-shop",\n  "lockfileVersion": 3\n}\n',
  'yarn.lock': '# yarn lockfile v1\ninvoice@1.0.0:\n  version "1.0.0"\n',
  'public/app.js': `${'var invoiceA=1;'.repeat(200)}\n`,
  'public/app.min.css': '.invoice{color:red}\n',
  'public/readable.js': 'export function invoiceView() {\n  return 1;\n}\n',
};

describe('noise filter (real git repository)', () => {
  let dir: string;
  let index: ContextIndex;
  let repoFiles: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-noise-'));
    await runGit(dir, ['init', '-q']);
    for (const [p, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), text);
    }
    repoFiles = Object.keys(FILES).sort();
    index = await buildContextIndex({ repoFiles, readFile: (p) => readFile(join(dir, p), 'utf8'), marked: (paths) => markedGenerated(dir, paths) });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says why each noisy file is left out: .gitattributes, lock, minified, copy', () => {
    // lock files are not even read (large, never worth searching); a task or pin naming one reads it
    expect(index.skipped.filter((s) => s.reason === LOCK_SKIP).map((s) => s.path)).toEqual(['package-lock.json', 'yarn.lock']);
    expect(Object.fromEntries(index.noise)).toEqual({
      'gen/api.ts': '.gitattributes marks it linguist-generated or linguist-vendored',
      'third_party/lib/invoice.ts': '.gitattributes marks it linguist-generated or linguist-vendored',
      'public/app.js': 'minified',
      'public/app.min.css': 'minified',
      'deno/billing/invoices.ts': 'copy of src/billing/invoices.ts',
      'src/billing/copy-of-tax.ts': 'copy of src/billing/tax.ts',
    });
  });

  it('keeps noise out of the repository map and retrieval, but a task that names a noisy file gets it', async () => {
    const listed = rankFiles(index, 'invoice total', () => true).map((r) => r.file.path);
    expect(listed).toContain('src/billing/invoices.ts');
    expect(listed).toContain('src/keep.generated.ts');
    for (const p of index.noise.keys()) expect(listed).not.toContain(p);
    expect(index.passages.filter((p) => p.kind === 'file' && index.noise.has(p.path ?? '')).length).toBe(0);

    const task = TaskSchema.parse({ planId: 'p', id: 'T1', title: 'Fix invoice totals', description: 'invoiceTotal is wrong', files: ['deno/billing/invoices.ts'] });
    const bundle = await assembleContext({
      config: ProjectConfigSchema.parse({ name: 'shop' }), task, requires: [], siblings: [], refers: [], files: [], repoFiles,
      readFile: (p) => readFile(join(dir, p), 'utf8'), earlierOutputs: [], docs: [], pins: ['package-lock.json'], excludes: [], budget: 8000, family: 'cl100k_base', index,
    });
    const named = bundle.items.find((i) => i.source === 'file' && i.origin.path === 'deno/billing/invoices.ts');
    expect(named?.text).toContain('denoBuild');
    expect(bundle.items.find((i) => i.source === 'pin')?.text).toContain('lockfileVersion');
    const fromSearch = bundle.items.filter((i) => i.source === 'retrieval' || i.source === 'repo-map').map((i) => i.text).join('\n');
    expect(fromSearch).toContain('src/billing/invoices.ts');
    expect(fromSearch).not.toContain('gen/api.ts');
    expect(fromSearch).not.toContain('third_party/lib/invoice.ts');
  });

  it('reads .gitattributes through git in a worktree too (GitWorkspace dir)', async () => {
    await runGit(dir, ['add', '-A']);
    await runGit(dir, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init']);
    const ws = new GitWorkspace(dir, 'HEAD');
    const marked = await markedGenerated(ws.dir, await ws.listFiles());
    expect([...marked].sort()).toEqual(['gen/api.ts', 'third_party/lib/invoice.ts']);
  });
});

describe('isMinified', () => {
  it('marks *.min.js/*.min.css, and .js/.css files with long lines on average or any line over 2,000 characters', () => {
    expect(isMinified('a/b.min.js', 'x')).toBe(true);
    expect(isMinified('a/b.min.css', 'x')).toBe(true);
    expect(isMinified('a.js', `${'a'.repeat(301)}\n`)).toBe(true);
    expect(isMinified('a.css', `${'short\n'.repeat(100)}${'b'.repeat(2001)}\n`)).toBe(true);
    expect(isMinified('a.js', `${'short\n'.repeat(100)}${'b'.repeat(1999)}\n`)).toBe(false);
    // the heuristic is for JavaScript and CSS only: a long-lined data or text file is not "minified"
    expect(isMinified('a.json', 'a'.repeat(5000))).toBe(false);
    expect(isMinified('a.js', '')).toBe(false);
  });
});

describe('duplicateFiles', () => {
  it('keeps the copy outside a mirror-looking directory, then the shallower, then the shorter path', () => {
    const text = module('fn', 20);
    expect(duplicateFiles([{ path: 'deno/src/a.ts', text }, { path: 'src/a.ts', text }])).toEqual(new Map([['deno/src/a.ts', 'src/a.ts']]));
    expect(duplicateFiles([{ path: 'a/b/c.ts', text }, { path: 'a/c.ts', text }])).toEqual(new Map([['a/b/c.ts', 'a/c.ts']]));
    expect(duplicateFiles([{ path: 'src/longer.ts', text }, { path: 'src/a.ts', text }])).toEqual(new Map([['src/longer.ts', 'src/a.ts']]));
    expect(copyRank('vendor/x.ts', 'x/y/z.ts')).toBeGreaterThan(0);
  });

  it('finds exact copies up to line ends and trailing spaces, near copies at Jaccard ≥ 0.9, and leaves different files alone', () => {
    const base = module('fn', 40); // 40 functions: 80 distinct trimmed lines ("}" and "return" lines repeat)
    const crlf = base.replace(/\n/g, '  \r\n');
    const edited = base.replace('fn3(', 'fnThree(').replace('fn7(', 'fnSeven(');
    const different = base.split('\n').slice(0, 60).join('\n') + module('other', 20);
    const dups = duplicateFiles([
      { path: 'src/a.ts', text: base },
      { path: 'src/b.ts', text: crlf },
      { path: 'src/c.ts', text: edited },
      { path: 'src/d.ts', text: different },
      { path: 'src/tiny1.ts', text: 'export {};\n' },
      { path: 'src/tiny2.ts', text: 'export {};\n\n' },
      { path: 'src/pkg/__init__.py', text: '' },
      { path: 'src/pkg/py.typed', text: '\n' },
    ]);
    expect(Object.fromEntries(dups)).toEqual({ 'src/b.ts': 'src/a.ts', 'src/c.ts': 'src/a.ts', 'src/tiny2.ts': 'src/tiny1.ts' });
  });

  it('is cheap on a thousand files (MinHash banding, no pairwise scan)', () => {
    const files = Array.from({ length: 1000 }, (_, i) => ({ path: `src/m${i}.ts`, text: module(`f${i}x`, 15) }));
    const t0 = performance.now();
    expect(duplicateFiles(files).size).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('the lists shared with context eval', () => {
  it('treat lock, minified and generated paths as non-source there too', () => {
    for (const p of ['bun.lock', 'uv.lock', 'go.sum', 'web/app.min.js', 'dist/x.js', 'api_pb2.py', 'logo.png']) expect(isSourceFile(p)).toBe(false);
    for (const p of ['src/a.ts', 'pkg/uuid.go', 'app.py']) expect(isSourceFile(p)).toBe(true);
  });

  it('noiseFiles applies the marked set first, then lock, minified and copies', () => {
    const out = noiseFiles([{ path: 'Cargo.lock', text: 'x' }, { path: 'a.rs', text: 'fn a() {}' }], new Set(['a.rs']));
    expect(Object.fromEntries(out)).toEqual({ 'Cargo.lock': 'lock file', 'a.rs': '.gitattributes marks it linguist-generated or linguist-vendored' });
  });

  it("leaves taskgraph's own configuration at the root out (a file of that name deeper down is the project's)", () => {
    const out = noiseFiles([
      { path: 'taskgraph.yaml', text: 'name: x\n' },
      { path: 'taskgraph.yml', text: 'name: y\n' },
      { path: 'examples/taskgraph.yaml', text: 'name: example\nvision: a sample\n' },
    ]);
    expect([...out.keys()].sort()).toEqual(['taskgraph.yaml', 'taskgraph.yml']);
    expect(out.get('taskgraph.yaml')).toContain("taskgraph's own configuration");
  });
});
