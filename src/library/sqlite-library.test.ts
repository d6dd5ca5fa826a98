import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { bundledItems } from './bundled-library.js';
import { type LibraryItemInput, registerItemValidator } from './library.js';
import { ProjectConfigSchema } from '../core/config.js';
import { builtinPromptFor, libraryPromptSource } from './prompt-source.js';
import { SqliteLibrary } from './sqlite-library.js';
import { promptItem } from '../../test/support/library-items.js';

function template(name: string, tags: string[], graph: Json): LibraryItemInput {
  const description = `template ${name}`;
  return { kind: 'template', name, version: 1, description, tags, body: { kind: 'template', name, version: 1, description, tags, parameters: {}, variants: {}, graph } };
}

let library: SqliteLibrary;
beforeEach(() => {
  library = SqliteLibrary.open(':memory:');
});
afterEach(async () => {
  await library.close();
});

describe('SqliteLibrary', () => {
  it('adds, shows, lists (newest version per name by default) and removes versions', async () => {
    await library.add([promptItem('a', 1, ['x'], 'one'), promptItem('a', 2, ['x'], 'two'), promptItem('b', 1, [], 'bee')]);
    expect((await library.get('prompt', 'a'))?.version).toBe(2);
    expect((await library.get('prompt', 'a', 1))?.body).toMatchObject({ text: 'one' });
    expect((await library.list()).map((i) => `${i.name}@${i.version}`)).toEqual(['a@2', 'b@1']);
    expect((await library.list({ allVersions: true })).map((i) => `${i.name}@${i.version}`)).toEqual(['a@1', 'a@2', 'b@1']);
    expect(await library.remove('prompt', 'a', 2)).toBe(1);
    expect((await library.get('prompt', 'a'))?.version).toBe(1);
    await expect(library.remove('prompt', 'zz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // removed rows leave the text index too
    expect(await library.search({ text: 'two' })).toEqual([]);
  });

  it('re-adding an identical version is a no-op; a different item under a taken version is refused, nothing written', async () => {
    await library.add([promptItem('a', 1, [], 'one')]);
    await library.add([promptItem('a', 1, [], 'one')]);
    const error = await library.add([promptItem('b', 1, [], 'bee'), promptItem('a', 1, [], 'changed')]).catch((e: unknown) => e as TaskgraphError);
    expect(error).toBeInstanceOf(TaskgraphError);
    expect((error as TaskgraphError).code).toBe('CONFIG_INVALID');
    expect((error as TaskgraphError).hint).toContain('version 2');
    expect(await library.get('prompt', 'b')).toBeUndefined();
    // an invalid prompt (undeclared variable) is never stored
    const bad = promptItem('c', 1, [], '{{x}}');
    (bad.body as { variables: string[] }).variables = [];
    await expect(library.add([bad])).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('ranks by tags: all requires every tag, any ranks items carrying more of them first', async () => {
    await library.add([
      promptItem('gen-python', 1, ['code generation', 'python'], 'write python'),
      promptItem('gen-pyqt', 1, ['code generation', 'python', 'PyQt'], 'write a PyQt widget'),
      promptItem('gen-ts', 1, ['code generation', 'typescript'], 'write typescript'),
      promptItem('review', 1, ['code review'], 'review'),
    ]);
    const all = await library.search({ tags: ['code generation', 'python', 'pyqt'] });
    expect(all.map((h) => h.item.name)).toEqual(['gen-pyqt']);
    const any = await library.search({ tags: ['code generation', 'python', 'PyQt'], tagMode: 'any' });
    expect(any.map((h) => h.item.name)).toEqual(['gen-pyqt', 'gen-python', 'gen-ts']);
    expect(any[0]!.matchedTags).toEqual(['code generation', 'python', 'pyqt']);
    expect(any[0]!.score).toBeGreaterThan(any[1]!.score);
  });

  it('ranks by full text with bm25 (a word in the name beats one in a long text), and matched tags boost the rank', async () => {
    await library.add([
      promptItem('pytest-fix', 1, ['testing'], 'Fix the failing test shown below.'),
      promptItem('docs', 1, ['documentation'], 'Write documentation. Mention pytest only once in this long text about docs and more docs and words.'),
      promptItem('unrelated', 1, ['misc'], 'Nothing to see.'),
    ]);
    const byText = await library.search({ text: 'pytest' });
    expect(byText.map((h) => h.item.name)).toEqual(['pytest-fix', 'docs']);
    // the same words, and a tag only the second carries: the tag lifts it to the top
    const boosted = await library.search({ text: 'pytest', tags: ['documentation'], tagMode: 'any' });
    expect(boosted.map((h) => h.item.name)).toEqual(['docs']);
    const both = await library.search({ text: 'failing test documentation' });
    expect(both.map((h) => h.item.name).sort()).toEqual(['docs', 'pytest-fix']);
    // FTS syntax in the text is taken literally; stemming finds "tests" for "test"
    expect((await library.search({ text: 'tests NEAR "(*' })).map((h) => h.item.name)).toEqual(['pytest-fix']);
    // a template is searched over its whole body
    await library.add([template('fix-failing-test', ['testing'], { nodes: [{ id: 'run', kind: 'command', config: { command: 'vitest run' } }] })]);
    expect((await library.search({ text: 'vitest', kind: 'template' })).map((h) => h.item.name)).toEqual(['fix-failing-test']);
    // only the newest version of each name is searched unless allVersions
    await library.add([promptItem('pytest-fix', 2, ['testing'], 'Repair it.')]);
    const newest = (await library.search({ text: 'pytest' })).map((h) => `${h.item.name}@${h.item.version}`);
    expect(newest.sort()).toEqual(['docs@1', 'pytest-fix@2']);
    const every = (await library.search({ text: 'pytest', allVersions: true })).map((h) => `${h.item.name}@${h.item.version}`);
    expect(every.sort()).toEqual(['docs@1', 'pytest-fix@1', 'pytest-fix@2']);
  });

  it('calls the validator registered for a kind when an item is added', async () => {
    registerItemValidator('template', (body) => {
      if (!(body as { graph?: unknown }).graph) throw new TaskgraphError('CONFIG_INVALID', 'a template needs a graph');
    });
    try {
      await expect(library.add([template('t', [], null)])).rejects.toThrow('a template needs a graph');
      await library.add([template('t', [], { nodes: [] })]);
    } finally {
      registerItemValidator('template', () => undefined);
    }
  });

  it('holds the bundled prompts as seed; a project overrides one with a newer version', async () => {
    const seeded = SqliteLibrary.open(':memory:', { seed: bundledItems() });
    try {
      const prompts = libraryPromptSource(seeded);
      const v1 = await prompts.resolve('planner.system');
      expect(v1.version).toBe(1);
      await seeded.add([promptItem('planner.system', 2, ['planner'], 'Plan better.')]);
      expect((await prompts.resolve('planner.system')).text).toBe('Plan better.');
      expect((await prompts.resolve('planner.system@1')).hash).toBe(v1.hash);
      await expect(prompts.resolve('planner.system@9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // taskgraph.yaml `prompts:` pins a role's prompt to a version (or names another prompt)
      expect((await builtinPromptFor({ prompts, config: ProjectConfigSchema.parse({}) }, 'planner.system')).version).toBe(2);
      expect((await builtinPromptFor({ prompts, config: ProjectConfigSchema.parse({ prompts: { 'planner.system': 'planner.system@1' } }) }, 'planner.system')).hash).toBe(v1.hash);
      expect(() => ProjectConfigSchema.parse({ prompts: { 'planner.system': 'Not A Ref' } })).toThrow();
    } finally {
      await seeded.close();
    }
  });
});
