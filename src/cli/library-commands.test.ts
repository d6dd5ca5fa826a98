import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  libraryAddCommand,
  libraryExportCommand,
  libraryImportCommand,
  libraryLsCommand,
  libraryRmCommand,
  librarySearchCommand,
  libraryShowCommand,
  promptRenderCommand,
} from './library-commands.js';

/**
 * The library commands in-process (their CLI wiring is exercised by test/e2e/library.test.ts):
 * versions, search, render errors, `library export` → `library import` into another project
 * giving an identical library, and imports from a local npm package directory
 * (`taskgraph-library-*` with `taskgraph.library`) and from an installed package name.
 */

const prompt = (name: string, version: number, tags: string[], variables: string[], text: string) =>
  `kind: prompt\nname: ${name}\nversion: ${version}\ndescription: the ${name} prompt\ntags: [${tags.join(', ')}]\nvariables: [${variables.join(', ')}]\ntext: |\n  ${text}\n`;

/** Runs a command with stdout captured; returns its JSON output. */
async function json<T = any>(fn: () => Promise<number>): Promise<T> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    expect(await fn()).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out) as T;
}

afterEach(() => {
  vi.restoreAllMocks();
});

type Listed = Array<{ kind: string; ref: string; description: string; tags: string[] }>;

describe('library commands', () => {
  it('export -> import round trip gives an identical library; package directory and package name imports', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tg-library-cmd-'));
    const a = { project: join(root, 'a'), json: true };
    const b = { project: join(root, 'b'), json: true };
    mkdirSync(a.project);
    mkdirSync(b.project);
    writeFileSync(join(root, 'r1.yaml'), prompt('my-review.system', 1, ['code review', 'typescript'], ['diff'], 'Review this diff: {{diff}}'));
    writeFileSync(join(root, 'r2.yaml'), prompt('my-review.system', 2, ['code review', 'typescript'], ['diff', 'task'], 'Review {{diff}} for {{task}}'));
    writeFileSync(
      join(root, 'tpl.yaml'),
      'kind: template\nname: my-fix\nversion: 1\ndescription: fix a failing test\ntags: [testing, fix]\nparameters: {}\nvariants: {}\ngraph: { nodes: [{ id: run, kind: command, config: { run: npm test } }] }\n',
    );
    await json(() => libraryAddCommand([join(root, 'r1.yaml'), join(root, 'r2.yaml'), join(root, 'tpl.yaml')], a));
    await expect(libraryAddCommand([join(root, 'tpl.yaml')], { ...a, onlyKind: 'prompt' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });

    const hits = await json<Array<{ ref: string }>>(() => librarySearchCommand('review', { ...a, tag: ['typescript'] }));
    expect(hits.map((h) => h.ref)).toEqual(['my-review.system@2']);
    await expect(promptRenderCommand('my-review.system', { ...a, var: ['diff=+x'] })).rejects.toThrow('my-review.system@2 needs variable task');
    expect(await json(() => promptRenderCommand('my-review.system@1', { ...a, var: ['diff=+x'] }))).toMatchObject({ text: 'Review this diff: +x\n' });

    const exported = await json<{ dir: string; files: number }>(() => libraryExportCommand(undefined, a));
    expect(exported.dir).toBe(join(a.project, '.taskgraph', 'library'));
    expect(readdirSync(join(exported.dir, 'prompts'))).toEqual(expect.arrayContaining(['my-review.system@1.yaml', 'my-review.system@2.yaml', 'planner.system@1.yaml']));
    expect(readFileSync(join(exported.dir, 'templates', 'my-fix@1.yaml'), 'utf8')).toMatch(/^kind: template\nname: my-fix\nversion: 1\ndescription: fix a failing test\ntags:/);
    const imported = await json<{ added: string[] }>(() => libraryImportCommand(exported.dir, b));
    expect(imported.added.sort()).toEqual(['prompt my-review.system@1', 'prompt my-review.system@2', 'template my-fix@1']);

    const listA = await json<Listed>(() => libraryLsCommand({ ...a, allVersions: true }));
    const listB = await json<Listed>(() => libraryLsCommand({ ...b, allVersions: true }));
    const comparable = (items: Listed) => items.map(({ kind, ref, description, tags }) => ({ kind, ref, description, tags }));
    expect(comparable(listB)).toEqual(comparable(listA));
    for (const item of listA) {
      const [one, two] = [await json(() => libraryShowCommand(item.ref, { ...a, kind: item.kind })), await json(() => libraryShowCommand(item.ref, { ...b, kind: item.kind }))];
      expect(two.body).toEqual(one.body);
    }
    // exporting b gives the same files, byte for byte
    const again = await json<{ dir: string }>(() => libraryExportCommand(join(root, 'b-export'), b));
    for (const sub of ['prompts', 'templates']) {
      for (const file of readdirSync(join(exported.dir, sub))) expect(readFileSync(join(again.dir, sub, file), 'utf8')).toBe(readFileSync(join(exported.dir, sub, file), 'utf8'));
    }

    // a local npm package directory following taskgraph-library-*, its library where package.json says
    const pkg = join(root, 'taskgraph-library-acme');
    mkdirSync(join(pkg, 'lib', 'prompts'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'taskgraph-library-acme', version: '1.2.0', taskgraph: { library: 'lib' } }));
    writeFileSync(join(pkg, 'lib', 'prompts', 'acme.hello@1.yaml'), prompt('acme.hello', 1, ['acme'], ['who'], 'Hello {{who}}'));
    expect(await json(() => libraryImportCommand(pkg, b))).toMatchObject({ package: 'taskgraph-library-acme', packageVersion: '1.2.0', added: ['prompt acme.hello@1'] });
    // a package directory with another name is refused
    const other = join(root, 'other-pkg');
    mkdirSync(join(other, 'library'), { recursive: true });
    writeFileSync(join(other, 'package.json'), JSON.stringify({ name: 'left-pad', version: '1.0.0' }));
    await expect(libraryImportCommand(other, b)).rejects.toThrow('not a taskgraph library package');
    // installed by name in the project's node_modules (library/ by default): nothing new
    const installed = join(b.project, 'node_modules', 'taskgraph-library-acme');
    mkdirSync(join(installed, 'library', 'prompts'), { recursive: true });
    writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: 'taskgraph-library-acme', version: '1.2.0' }));
    writeFileSync(join(installed, 'library', 'prompts', 'acme.hello@1.yaml'), prompt('acme.hello', 1, ['acme'], ['who'], 'Hello {{who}}'));
    expect(await json(() => libraryImportCommand('taskgraph-library-acme', b))).toMatchObject({ package: 'taskgraph-library-acme', added: [] });
    await expect(libraryImportCommand('taskgraph-library-nope', b)).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringContaining('npm install --save-dev taskgraph-library-nope') });
    // a file whose name does not match its item: refused, nothing imported
    writeFileSync(join(pkg, 'lib', 'prompts', 'acme.bye@1.yaml'), prompt('acme.byebye', 1, [], [], 'Bye'));
    await expect(libraryImportCommand(pkg, b)).rejects.toThrow('must be named acme.byebye@1.yaml');

    await expect(libraryRmCommand('acme.hello', b)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await json(() => libraryRmCommand('acme.hello@1', b))).toMatchObject({ kind: 'prompt', removed: 1 });
  });
});
