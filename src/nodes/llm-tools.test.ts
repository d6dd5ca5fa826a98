import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { coderTools, MAX_READ_LINES } from './llm-tools.js';

/** The coder's read-only tools over a real directory: what they answer, refuse and record. */

let root: string;
let outside: string;
const FILES: Record<string, string> = {
  'src/calc.js': '/** Adds. */\nexport function add(a, b) {\n  return a + b;\n}\n\n/** Subtracts. */\nexport function subtract(a, b) {\n  return a - b;\n}\n',
  'src/long.txt': Array.from({ length: 500 }, (_, i) => `line ${i + 1}`).join('\n') + '\n',
  'README.md': '# Calculator\n\nAdds and subtracts numbers.\n',
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-tools-'));
  outside = await mkdtemp(join(tmpdir(), 'tg-tools-out-'));
  for (const [p, text] of Object.entries(FILES)) {
    await mkdir(join(root, p, '..'), { recursive: true });
    await writeFile(join(root, p), text);
  }
  await writeFile(join(outside, 'secret.txt'), 'TOP SECRET\n');
  await symlink(outside, join(root, 'escape'));
  await mkdir(join(root, '.git'));
  await writeFile(join(root, '.git', 'config'), '[core]\n');
  await writeFile(join(root, '.env'), 'TOKEN=abc\n'); // ignored: not listed
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function tools(budgetTokens = 10_000) {
  // the worktree lists the symlinked file as if git tracked it: the symlink check must still refuse it
  return coderTools({ root, listFiles: async () => [...Object.keys(FILES), 'escape/secret.txt'], budgetTokens, family: 'cl100k_base' });
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else if (e.isFile()) out[`${rel}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

describe('coderTools', () => {
  it('records concurrent calls (one model step) in the order they were started, whichever body finishes first', async () => {
    // the SDK starts a step's calls together; search indexes every file (300 here), read_file reads one
    const many = Array.from({ length: 300 }, (_, i) => `lib/m${i}.js`);
    await mkdir(join(root, 'lib'));
    await Promise.all(many.map((p, i) => writeFile(join(root, p), `export const v${i} = ${i};\n`)));
    const t = coderTools({ root, listFiles: async () => [...Object.keys(FILES), ...many], budgetTokens: 100_000, family: 'cl100k_base' });
    const [found, read] = await Promise.all([t.set['search']!.execute({ query: 'subtract' }), t.set['read_file']!.execute({ path: 'src/calc.js', startLine: 1, endLine: 2 })]);
    expect(found).toContain('src/calc.js');
    expect(read).toContain('src/calc.js lines 1-2');
    expect(t.calls.map((c) => c.tool)).toEqual(['search', 'read_file']);
  });

  it('read_file returns numbered lines and records the region read', async () => {
    const t = tools();
    const text = await t.set['read_file']!.execute({ path: './src//calc.js', startLine: 2, endLine: 4 });
    expect(text).toBe('src/calc.js lines 2-4 of 9:\n2: export function add(a, b) {\n3:   return a + b;\n4: }');
    expect(t.reads).toEqual([{ path: 'src/calc.js', start: 2, end: 4, tool: 'read_file' }]);
    expect(t.calls).toEqual([{ tool: 'read_file', args: { path: './src//calc.js', startLine: 2, endLine: 4 }, resultTokens: expect.any(Number), status: 'ok' }]);
    expect(t.calls[0]!.resultTokens).toBeGreaterThan(5);
  });

  it(`read_file returns at most ${MAX_READ_LINES} lines a call`, async () => {
    const t = tools();
    const text = await t.set['read_file']!.execute({ path: 'src/long.txt' });
    expect(text.split('\n')[0]).toBe(`src/long.txt lines 1-${MAX_READ_LINES} of 500:`);
    expect(t.reads[0]).toMatchObject({ start: 1, end: MAX_READ_LINES });
  });

  it('refuses paths exactly like edits: .., absolute, .git, symlink escapes, files the worktree does not list', async () => {
    const t = tools();
    const before = snapshot(root);
    const answers: Record<string, string> = {};
    for (const path of ['../x.js', '/etc/passwd', '.git/config', '.GIT/config', 'escape/secret.txt', '.env', 'src/missing.js']) {
      answers[path] = await t.set['read_file']!.execute({ path });
    }
    expect(answers['../x.js']).toMatch(/^refused: .*climbs out of the worktree/);
    expect(answers['/etc/passwd']).toMatch(/^refused: .*absolute paths are not allowed/);
    expect(answers['.git/config']).toMatch(/^refused: .*\.git/);
    expect(answers['.GIT/config']).toMatch(/^refused: .*\.git/);
    expect(answers['escape/secret.txt']).toMatch(/^refused: .*symlink/);
    expect(answers['.env']).toMatch(/^refused: \.env is not a file of the repository/);
    expect(answers['src/missing.js']).toMatch(/^refused: src\/missing\.js is not a file of the repository/);
    expect(Object.values(answers).join('\n')).not.toContain('TOP SECRET');
    expect(t.calls.map((c) => c.status)).toEqual(Array(7).fill('refused'));
    expect(t.reads).toEqual([]);
    // read-only: nothing in the worktree changed
    expect(snapshot(root)).toEqual(before);
  });

  it('search, list_files and symbol answer from the repository; symbol records the body it showed', async () => {
    const t = tools();
    expect(await t.set['search']!.execute({ query: 'subtract' })).toContain('src/calc.js lines 1-9:');
    expect(await t.set['list_files']!.execute({ glob: 'src/**' })).toBe('src/calc.js\nsrc/long.txt');
    expect(await t.set['list_files']!.execute({ glob: '*.py' })).toBe('no file matches "*.py"');
    const body = await t.set['symbol']!.execute({ name: 'subtract' });
    expect(body).toBe('src/calc.js lines 7-9 (function subtract):\n7: export function subtract(a, b) {\n8:   return a - b;\n9: }');
    expect(await t.set['symbol']!.execute({ name: 'nope' })).toBe('no top-level declaration named "nope"');
    expect(t.reads).toEqual([{ path: 'src/calc.js', start: 7, end: 9, tool: 'symbol' }]);
    expect(t.calls.map((c) => c.tool)).toEqual(['search', 'list_files', 'list_files', 'symbol', 'symbol']);
  });

  it('answers "budget exhausted" once the results would pass the token budget, and records it', async () => {
    const t = tools(100);
    const first = await t.set['read_file']!.execute({ path: 'src/calc.js' });
    expect(first).toContain('export function add');
    const used = t.usedTokens();
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(100);
    const second = await t.set['read_file']!.execute({ path: 'src/long.txt' });
    expect(second).toMatch(/^budget exhausted: this result has \d+ tokens and \d+ of the 100 tool tokens are left/);
    expect(t.usedTokens()).toBe(used);
    expect(t.calls.map((c) => [c.status, c.resultTokens === 0])).toEqual([
      ['ok', false],
      ['exhausted', true],
    ]);
    expect(t.reads).toHaveLength(1);
  });
});
