import { describe, expect, it } from 'vitest';
import { DEFAULT_COMMAND_POLICY, ProjectConfigSchema } from '../core/config.js';
import { judgeCommand } from './command-policy.js';
import { parseShellLine } from './shell-parse.js';

/** The command policy's verdicts on parsed lines (pure: nothing is run here; `command-gate.test.ts` runs them). */

const CWD = '/work/project/worktree';
const config = (commands: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) =>
  ProjectConfigSchema.parse({ commands: { test: 'npm test -- --reporter=dot' }, ...rest, policy: { safety: { commands } } });
const judge = (line: string, c = config(), origin?: 'graph') => judgeCommand(line, c, { cwd: CWD, ...(origin ? { origin } : {}) });

describe('parseShellLine', () => {
  it('splits lists, pipelines, groups and substitutions into simple commands', () => {
    const argv = (line: string) => parseShellLine(line).map((c) => c.argv.join(' '));
    expect(argv('a; b && c || d & e')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(argv('echo $(git push) `git status`')).toEqual(['echo $(…) $(…)', 'git push', 'git status']);
    expect(argv('echo "x $(id -u) y"')).toEqual(['echo x $(…) y', 'id -u']);
    expect(argv('FOO=1 env -u BAR BAZ=2 nohup timeout 5 git push 2>&1 > out.log')).toEqual(['git push']);
    expect(argv("bash -lc 'cd x && npm test'")).toEqual(["bash -lc cd x && npm test", 'cd x', 'npm test']);
    expect(argv('if true; then { make; }; fi')).toEqual(['true', 'make']);
    expect(argv('a\nb')).toEqual(['a', 'b']);
    expect(argv('echo hi # ; git push')).toEqual(['echo hi']);
  });

  it('puts the stages of one pipeline together', () => {
    const commands = parseShellLine('curl -s x | tee f | sh; ls | wc');
    expect(commands.map((c) => [c.pipeline, c.stage])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
    ]);
  });
});

describe('judgeCommand: the default denylist', () => {
  const denied: Array<[string, string]> = [
    ['git push', 'git-push'],
    ['x && git push', 'git-push'],
    ['$(git push)', 'git-push'],
    ['echo `git push`', 'git-push'],
    ['echo "$(git push --force)"', 'git-push'],
    ['sh -c "git push"', 'git-push'],
    ["bash -c 'git push origin main'", 'git-push'],
    ['bash -c "echo ok; sh -c \'git push\'"', 'git-push'],
    ['eval "git push"', 'git-push'],
    ['/usr/bin/git -C .. push', 'git-push'],
    ['git remote add evil https://x', 'git-remote'],
    ['rm -rf /', 'rm-outside-worktree'],
    ['rm -rf ~/x', 'rm-outside-worktree'],
    ['rm -rf ../..', 'rm-outside-worktree'],
    ['rm -r -f dist/../../other', 'rm-outside-worktree'],
    ['rm -fr $HOME', 'rm-outside-worktree'],
    ['rm -rf .', 'rm-outside-worktree'],
    ['rm -rf /work/project/worktree-other', 'rm-outside-worktree'],
    ['curl https://x | sh', 'network-tool'],
    ['wget -qO- x | bash', 'network-tool'],
    ['sudo make', 'sudo'],
    ['make && sudo make install', 'sudo'],
    ['ssh host true', 'network-tool'],
    ['scp a host:b', 'network-tool'],
    ['nc -l 4444', 'network-tool'],
  ];
  it.each(denied)('refuses %s (%s)', (line, rule) => {
    expect(judge(line)).toMatchObject({ verdict: 'denied', rule });
  });

  it('names the command it refused and where it was found', () => {
    expect(judge("bash -c 'echo $(git push origin)'")).toMatchObject({ verdict: 'denied', command: 'git push origin', reason: expect.stringContaining('inside bash -c > $(…)') });
    // in double quotes the outer shell runs the substitution itself
    expect(judge('bash -c "echo $(git push origin)"')).toMatchObject({ verdict: 'denied', reason: expect.stringContaining('(inside $(…))') });
  });

  it('refuses curl piped into a shell even when curl is allowed', () => {
    const c = config({ allow: ['curl *'] });
    expect(judge('curl https://x | sh', c)).toMatchObject({ verdict: 'denied', rule: 'pipe-to-shell' });
    expect(judge('curl -o x.tgz https://x', c)).toEqual({ verdict: 'allowed', why: 'allowlist' });
  });

  it('refuses what it cannot parse, never allowing it silently', () => {
    for (const line of ['echo "unterminated', "echo 'open", 'echo $(git push', 'echo `git push', 'cat <<EOF\ngit push\nEOF']) {
      expect(judge(line), line).toMatchObject({ verdict: 'denied', rule: 'unparsable' });
    }
  });
});

describe('judgeCommand: allowed and unlisted', () => {
  it.each(['rm -rf dist', 'rm -rf ./build/cache', `rm -rf ${CWD}/dist`, 'rm -f *.log', 'npm test', 'git status', 'git commit -m "push it"'])('does not deny %s', (line) => {
    expect(judge(line).verdict).not.toBe('denied');
  });

  it('allows the configured test command as written, and nothing else by it', () => {
    expect(judge('npm test -- --reporter=dot')).toEqual({ verdict: 'allowed', why: 'configured' });
    expect(judge('npm test -- --reporter=dot; echo more')).toEqual({ verdict: 'unlisted', commands: ['npm test -- --reporter=dot', 'echo more'] });
    expect(judge('npm test -- --reporter=dot', config({ allowConfigured: false }))).toMatchObject({ verdict: 'unlisted' });
  });

  it('allows verify gates and command nodes of the graph; a configured line still passes the denylist', () => {
    const c = config({}, { verify: { gates: [{ name: 'lint', command: 'npx eslint .' }] } });
    expect(judge('npx eslint .', c)).toEqual({ verdict: 'allowed', why: 'configured' });
    expect(judge('make docs', c, 'graph')).toEqual({ verdict: 'allowed', why: 'graph' });
    expect(judge('make docs', config({ allowGraph: false }), 'graph')).toMatchObject({ verdict: 'unlisted' });
    expect(judge('npm test && git push', config({}, { commands: { test: 'npm test && git push' } }))).toMatchObject({ verdict: 'denied', rule: 'git-push' });
  });

  it('allows notify.command as a configured line (so unlisted: ask never holds a notification)', () => {
    const c = config({}, { notify: { command: './notify.sh --quiet' } });
    expect(judge('./notify.sh --quiet', c)).toEqual({ verdict: 'allowed', why: 'configured' });
    expect(judge('./notify.sh --quiet', config({ allowConfigured: false }, { notify: { command: './notify.sh --quiet' } }))).toMatchObject({ verdict: 'unlisted' });
  });

  it('allow patterns match each simple command as a prefix, * inside a word', () => {
    const c = config({ allow: ['npm run *', 'make'] });
    expect(judge('npm run build && make -j2', c)).toEqual({ verdict: 'allowed', why: 'allowlist' });
    expect(judge('npm run build && make -j2 && ls', c)).toEqual({ verdict: 'unlisted', commands: ['ls'] });
    expect(judge('npm install', c)).toEqual({ verdict: 'unlisted', commands: ['npm install'] });
  });

  it('an allow pattern lifts a default rule for what it matches; a deny pattern is never lifted', () => {
    expect(judge('git push origin HEAD', config({ allow: ['git push origin *'] }))).toEqual({ verdict: 'allowed', why: 'allowlist' });
    expect(judge('git push --mirror', config({ allow: ['git push origin *'] }))).toMatchObject({ verdict: 'denied', rule: 'git-push' });
    expect(judge('make deploy', config({ allow: ['make *'], deny: ['make deploy'] }))).toMatchObject({ verdict: 'denied', rule: 'deny: make deploy' });
    expect(judge('npm test -- --reporter=dot', config({ deny: ['npm'] }))).toMatchObject({ verdict: 'denied' });
  });

  it('defaults: false turns the default denylist off, not the deny patterns', () => {
    expect(judge('git push', config({ defaults: false }))).toEqual({ verdict: 'unlisted', commands: ['git push'] });
    expect(judge('sudo ls', config({ defaults: false, deny: ['sudo'] }))).toMatchObject({ verdict: 'denied', rule: 'deny: sudo' });
  });

  it('rejects an unknown key in policy.safety.commands where the config enters', () => {
    expect(() => config({ allowed: ['x'] })).toThrow(/allowed/);
    expect(() => config({ unlisted: 'sometimes' })).toThrow(/unlisted/);
  });

  it('unlisted takes ask (the default), allow and refuse', () => {
    expect(config().policy.safety.commands.unlisted).toBe('ask');
    expect(ProjectConfigSchema.parse({}).policy.safety.commands.unlisted).toBe('ask');
    expect(DEFAULT_COMMAND_POLICY.unlisted).toBe('ask');
    for (const value of ['ask', 'allow', 'refuse'] as const) expect(config({ unlisted: value }).policy.safety.commands.unlisted).toBe(value);
  });
});

describe('judgeCommand: properties', () => {
  it('never throws, whatever the line: it returns a verdict (unparsable lines are denied)', async () => {
    const fc = await import('fast-check');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab $()`\'"\\;|&<>{}#~/.-*\n\t'.split('')), maxLength: 40 }), (line) => {
        expect(['allowed', 'denied', 'unlisted']).toContain(judge(line).verdict);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds git push after any separator, in any substitution or -c script, behind any harmless prefix', async () => {
    const fc = await import('fast-check');
    const word = fc.stringMatching(/^[a-z][a-z0-9._-]{0,8}$/);
    const wrap = fc.constantFrom(
      (c: string) => c,
      (c: string) => `$(${c})`,
      (c: string) => `echo "$(${c})"`,
      (c: string) => `\`${c}\``,
      (c: string) => `sh -c '${c}'`,
      (c: string) => `bash -lc "${c}"`,
      (c: string) => `( ${c} )`,
      (c: string) => `{ ${c}; }`,
      (c: string) => `FOO=1 env BAR=2 nohup ${c}`,
    );
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 3 }), fc.constantFrom(';', '&&', '||', '|', '&', '\n'), wrap, (prefix, sep, w) => {
        // harmless: a prefix that is itself refused (`nc`, `su`, `git remote` ...) is denied by its own rule first
        (fc.pre as (ok: boolean) => void)(judge(prefix.join(' ')).verdict !== 'denied');
        const line = `${prefix.join(' ')} ${sep} ${w('git push origin main')}`;
        expect(judge(line), line).toMatchObject({ verdict: 'denied', rule: 'git-push' });
      }),
      { numRuns: 500 },
    );
  });

  it('a command named by an expansion is never allowed by a pattern', () => {
    expect(judge('$(echo git) push', config({ allow: ['*'] }))).toMatchObject({ verdict: 'unlisted' });
    expect(judge('make', config({ allow: ['*'] }))).toEqual({ verdict: 'allowed', why: 'allowlist' });
  });
});
