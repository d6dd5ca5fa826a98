import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';
import { cliJson, describeResult, runCli, type CliResult } from '../support/cli.js';
import { createSampleRepo, type TempProject } from '../support/project.js';

/** The demo's goal (scripts/demo-shared.mjs): the committed cassette answers its planner calls. */
const GOAL = 'Add multiply and divide to the calculator. divide must throw a RangeError when dividing by zero. Document both in the README.';
const CASSETTE = join(ROOT, 'examples', 'demo.cassette.json');
/** The plan the cassette yields: T1, T2 (T2.1, T2.2 requires T2.1), T3 requires T1, T2.1, T2.2. */
const PLAN = 'p-6521becf9d';

interface Link {
  planId: string;
  from: string;
  to: string;
  type: string;
}

describe('taskgraph link and context preview', () => {
  let project: TempProject;
  let dir: string;
  const tg = (...args: string[]): Promise<CliResult> => runCli(['-C', dir, ...args]);
  const dependenciesOf = async (task: string): Promise<string[]> => {
    const plan = await cliJson<{ tasks: Array<{ id: string; dependencies: string[] }> }>(dir, ['graph', PLAN, '--format', 'json']);
    return plan.tasks.find((t) => t.id === task)!.dependencies;
  };

  beforeAll(async () => {
    await ensureBuilt();
    project = await createSampleRepo();
    dir = project.dir;
    const planned = await tg('plan', GOAL, '--replay', CASSETTE);
    expect(planned.code, describeResult(planned)).toBe(0);
    expect(planned.stdout).toContain(`plan ${PLAN}`);
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('adds, lists and removes links; a requires link is the task dependency', async () => {
    const before = await cliJson<Link[]>(dir, ['link', 'ls', '--json']);
    expect(before).toStrictEqual([
      { planId: PLAN, from: 'T2.2', to: 'T2.1', type: 'requires' },
      { planId: PLAN, from: 'T3', to: 'T1', type: 'requires' },
      { planId: PLAN, from: 'T3', to: 'T2.1', type: 'requires' },
      { planId: PLAN, from: 'T3', to: 'T2.2', type: 'requires' },
    ]);

    const added = await tg('link', 'add', 'T1', 'refers', 'T2.1');
    expect(added.code, describeResult(added)).toBe(0);
    expect(added.stdout).toContain(`linked T1 refers T2.1 (plan ${PLAN})`);
    expect(await cliJson<Link>(dir, ['link', 'add', 'T2.1', 'relates_to', 'T2.2', '--plan', PLAN, '--json'])).toStrictEqual({
      planId: PLAN, from: 'T2.1', to: 'T2.2', type: 'relates_to',
    });
    expect(await cliJson<Link[]>(dir, ['link', 'ls', 'T1', '--json'])).toStrictEqual([
      { planId: PLAN, from: 'T1', to: 'T2.1', type: 'refers' },
      { planId: PLAN, from: 'T3', to: 'T1', type: 'requires' },
    ]);
    const listed = await tg('link', 'ls', 'T2.1');
    expect(listed.code, describeResult(listed)).toBe(0);
    expect(listed.stdout.split('\n').map((l) => l.split(/\s+/).join(' '))).toEqual(
      expect.arrayContaining(['T1 refers T2.1', 'T2.1 relates_to T2.2', 'T2.2 requires T2.1', 'T3 requires T2.1']),
    );

    // a requires link by hand adds the dependency; removing it drops it
    expect((await tg('link', 'add', 'T2.1', 'requires', 'T1')).code).toBe(0);
    expect(await dependenciesOf('T2.1')).toStrictEqual(['T1']);
    const removed = await tg('link', 'rm', 'T2.1', 'requires', 'T1');
    expect(removed.code, describeResult(removed)).toBe(0);
    expect(removed.stdout).toContain('removed T2.1 requires T1');
    expect(await dependenciesOf('T2.1')).toStrictEqual([]);

    expect((await tg('link', 'rm', 'T1', 'refers', 'T2.1')).code).toBe(0);
    expect((await tg('link', 'rm', 'T2.1', 'relates_to', 'T2.2')).code).toBe(0);
    expect(await cliJson<Link[]>(dir, ['link', 'ls', '--json'])).toStrictEqual(before);

    const again = await tg('link', 'rm', 'T1', 'refers', 'T2.1');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error [NOT_FOUND]: no link T1 refers T2.1 in plan ${PLAN}`);
  });

  it('refuses a link to an unknown task or of an unknown type, naming the task and plan', async () => {
    const unknown = await tg('link', 'add', 'T1', 'refers', 'T9');
    expect(unknown.code, describeResult(unknown)).toBe(1);
    expect(unknown.stderr).toContain(`error [NOT_FOUND]: task "T9" is not in plan ${PLAN}`);
    expect(unknown.stderr).toContain('T1, T2, T2.1, T2.2, T3');
    const unknownFrom = await tg('link', 'ls', 'X1');
    expect(unknownFrom.stderr).toContain(`task "X1" is not in plan ${PLAN}`);
    const type = await tg('link', 'add', 'T1', 'blocks', 'T2');
    expect(type.code).toBe(1);
    expect(type.stderr).toContain('unknown link type "blocks"');
    expect(type.stderr).toContain('requires, refers, duplicates, relates_to');
    const plan = await tg('link', 'ls', '--plan', 'p-nope');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('no plan "p-nope"');
    expect(plan.stderr).toContain(PLAN);
  });

  it('refuses a requires link that closes a cycle, showing the path, and changes nothing', async () => {
    const direct = await tg('link', 'add', 'T1', 'requires', 'T3');
    expect(direct.code, describeResult(direct)).toBe(1);
    expect(direct.stderr).toContain('error [PLAN_INVALID]');
    expect(direct.stderr).toContain(`T1 requires T3 would create a requires cycle in plan ${PLAN}: T1 -> T3 -> T1`);

    // a longer way round: T2.1 -> T3 -> T1 -> T2.2 -> T2.1
    expect((await tg('link', 'add', 'T1', 'requires', 'T2.2')).code).toBe(0);
    const before = await cliJson<Link[]>(dir, ['link', 'ls', '--json']);
    const long = await tg('link', 'add', 'T2.1', 'requires', 'T3');
    expect(long.code, describeResult(long)).toBe(1);
    expect(long.stderr).toContain('T2.1 -> T3 -> T1 -> T2.2 -> T2.1');
    expect(long.stderr).toMatch(/hint: .*link rm/);
    expect(await cliJson<Link[]>(dir, ['link', 'ls', '--json'])).toStrictEqual(before);
    expect(await dependenciesOf('T2.1')).toStrictEqual([]);

    expect((await tg('link', 'rm', 'T1', 'requires', 'T2.2')).code).toBe(0);
    // refers does not order tasks: the same direction is fine
    expect((await tg('link', 'add', 'T1', 'refers', 'T3')).code).toBe(0);
    expect((await tg('link', 'rm', 'T1', 'refers', 'T3')).code).toBe(0);
  });

  it('context preview stores pins and excludes as overrides that later previews keep', async () => {
    const first = await cliJson(dir, ['context', 'preview', 'T1', '--pin', 'README.md', '--exclude', 'src/calc.js', '--json']);
    expect(first.planId).toBe(PLAN);
    expect(first.task).toBe('T1');
    expect(first.overrides).toStrictEqual({ pins: ['README.md'], excludes: ['src/calc.js'] });
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.tokens).toBeLessThanOrEqual(first.budget);

    const second = await cliJson(dir, ['context', 'preview', 'T1', '--json']);
    expect(second.overrides).toStrictEqual({ pins: ['README.md'], excludes: ['src/calc.js'] });
    // other tasks are untouched
    expect((await cliJson(dir, ['context', 'preview', 'T2.1', '--json'])).overrides).toStrictEqual({ pins: [], excludes: [] });

    const plain = await tg('context', 'preview', 'T1');
    expect(plain.code, describeResult(plain)).toBe(0);
    expect(plain.stdout).toContain(`context of T1 (plan ${PLAN})`);
    expect(plain.stdout).toContain('pinned:   README.md');
    expect(plain.stdout).toContain('excluded: src/calc.js');
    expect(plain.stdout).toMatch(new RegExp(`^total ${second.tokens} / ${second.budget} tokens`, 'm'));
    expect(plain.stdout).toMatch(/^cut: /m);
    for (const item of second.items as Array<{ title: string; tokens: number }>) {
      expect(plain.stdout).toMatch(new RegExp(`${item.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+${item.tokens} tokens`));
    }

    // pinning what was excluded moves it; --unpin and --unexclude drop entries
    const moved = await cliJson(dir, ['context', 'preview', 'T1', '--pin', 'src/calc.js', 'T2.1', '--unpin', 'README.md', '--json']);
    expect(moved.overrides).toStrictEqual({ pins: ['src/calc.js', 'T2.1'], excludes: [] });
    const reset = await cliJson(dir, ['context', 'preview', 'T1', '--unpin', 'src/calc.js', 'T2.1', '--pin', 'README.md', '--exclude', 'src/calc.js', '--json']);
    expect(reset.overrides).toStrictEqual({ pins: ['README.md'], excludes: ['src/calc.js'] });

    const outside = await tg('context', 'preview', 'T1', '--pin', '../secrets.txt');
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('error [CONFIG_INVALID]');
    const unknown = await tg('context', 'preview', 'T9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`error [NOT_FOUND]: task "T9" is not in plan ${PLAN}`);
  });

  it('the previewed bundle honours the stored pin and exclude', async () => {
    const bundle = await cliJson(dir, ['context', 'preview', 'T1', '--pin', 'README.md', '--exclude', 'src/calc.js', '--json']);
    const titles = (bundle.items as Array<{ title: string; source: string }>).map((i) => `${i.source} ${i.title}`);
    expect(titles.some((t) => t.includes('README.md')), titles.join('\n')).toBe(true);
    expect(titles.some((t) => t.includes('src/calc.js')), titles.join('\n')).toBe(false);
  });
});
