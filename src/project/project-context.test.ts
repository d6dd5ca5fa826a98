import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProjectConfig } from './load-config.js';
import { collectProjectContext, findReadmeName, resolveDocument } from './project-context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-context-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('collectProjectContext', () => {
  it('takes name, vision, rules, commands from the config and trims README and files', async () => {
    await writeFile(join(dir, 'README.md'), `# Shop\n${'x'.repeat(5000)}`);
    const config = parseProjectConfig(
      [
        'name: shop',
        'vision: A small web shop.',
        'language: typescript',
        'rules: [no any, small files]',
        'styleGuide: Prettier defaults.',
        'commands: { test: npm test, run: npm start }',
      ].join('\n'),
      'taskgraph.yaml',
    );
    const files = Array.from({ length: 250 }, (_, i) => `src/f${i}.ts`);
    const context = await collectProjectContext(dir, config, files);
    expect(context).toMatchObject({
      name: 'shop',
      vision: 'A small web shop.',
      language: 'typescript',
      commands: { test: 'npm test' },
      rules: ['no any', 'small files'],
      styleGuide: 'Prettier defaults.',
    });
    expect(context.commands).toEqual({ test: 'npm test' });
    expect(context.readme).toHaveLength(2000);
    expect(context.readme.startsWith('# Shop\n')).toBe(true);
    // never cut here (an alphabetical cut dropped what the goal was about): the prompt cuts by relevance
    expect(context.files).toHaveLength(250);
    expect(context.files[249]).toBe('src/f249.ts');
  });

  it('recognises the README whatever its case (Readme.md)', async () => {
    await writeFile(join(dir, 'Readme.md'), '# Mixed case readme');
    const context = await collectProjectContext(dir, parseProjectConfig('', 'taskgraph.yaml'), []);
    expect(context.readme).toBe('# Mixed case readme');
    expect(findReadmeName(['docs', 'readme.RST', 'Readme.md'])).toBe('Readme.md');
    expect(findReadmeName(['readme.txt', 'README'])).toBe('README');
    expect(findReadmeName(['notes.md'])).toBeUndefined();
  });

  it('uses README without extension, empty readme when none, and detects the language', async () => {
    await writeFile(join(dir, 'go.mod'), 'module x\n');
    const config = parseProjectConfig('', 'taskgraph.yaml');
    let context = await collectProjectContext(dir, config, []);
    expect(context.readme).toBe('');
    expect(context.language).toBe('go');
    expect(context.commands).toEqual({});
    await writeFile(join(dir, 'README'), 'plain readme');
    context = await collectProjectContext(dir, config, []);
    expect(context.readme).toBe('plain readme');
  });

  it('reads vision and style guide from documents named by path', async () => {
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'VISION.md'), 'Sell socks online.');
    const config = parseProjectConfig('vision: docs/VISION.md\nstyleGuide: docs/STYLE.md\n', 'taskgraph.yaml');
    const context = await collectProjectContext(dir, config, []);
    expect(context.vision).toBe('Sell socks online.');
    expect(context.styleGuide).toBe('docs/STYLE.md');
  });
});

describe('resolveDocument', () => {
  it('does not read files outside the project', async () => {
    const outside = join(dir, '..', `outside-${Date.now()}.md`);
    await writeFile(outside, 'secret');
    try {
      expect(await resolveDocument(dir, `../${outside.split('/').pop()}`)).toBe(`../${outside.split('/').pop()}`);
    } finally {
      await rm(outside, { force: true });
    }
  });

  it('keeps prose that merely ends in .md', async () => {
    expect(await resolveDocument(dir, 'See notes.md\nand more')).toBe('See notes.md\nand more');
  });
});
