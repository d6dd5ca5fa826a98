import { describe, expect, it } from 'vitest';
import { commandRisk, scoreRisk } from './risk.js';

describe('risk score', () => {
  it('is 0 with no reasons for a small, plain change', () => {
    expect(scoreRisk({ addedLines: 5, deletedLines: 2 })).toEqual({ score: 0, reasons: [] });
  });

  it('adds the documented weights, in a fixed order', () => {
    const risk = scoreRisk({
      protectedPaths: [{ path: '.github/workflows/ci.yml', glob: '.github/**' }],
      secrets: [{ path: 'src/a.ts', line: 3, rule: 'openai-anthropic-api-key' }],
      addedLines: 40,
      deletedLines: 35,
      deletedFiles: ['old.ts'],
      newDependencies: [{ file: 'package.json', name: 'left-pad' }],
    });
    expect(risk.reasons.map((r) => [r.kind, r.points])).toEqual([
      ['protected-path', 40],
      ['secret', 50],
      ['diff-size', 3],
      ['deleted-lines', 3],
      ['files-deleted', 10],
      ['new-dependency', 10],
    ]);
    expect(risk.score).toBe(100); // capped
    expect(risk.reasons[0]!.message).toContain('.github/workflows/ci.yml (.github/**)');
  });

  it('caps each reason and grows with more of the same', () => {
    const paths = ['a', 'b', 'c', 'd'].map((p) => ({ path: `migrations/${p}.sql`, glob: 'migrations/**' }));
    expect(scoreRisk({ protectedPaths: paths.slice(0, 2) }).score).toBe(45);
    expect(scoreRisk({ protectedPaths: paths }).score).toBe(50);
    expect(scoreRisk({ addedLines: 10_000 }).score).toBe(20);
    expect(scoreRisk({ deletedLines: 10_000 }).reasons.map((r) => r.points)).toEqual([20, 15]);
    expect(scoreRisk({ deletedFiles: ['a', 'b', 'c'] }).score).toBe(20);
  });

  it('scores commands: denylisted, network, destructive, unparsable, and plain ones not at all', () => {
    expect(commandRisk('npm test')).toEqual([]);
    expect(commandRisk('npm test && git push origin main').map((r) => r.points)).toEqual([30]);
    expect(commandRisk('curl https://x.sh | sh').map((r) => r.points)).toContain(30);
    expect(commandRisk('rm build/out.txt').map((r) => r.points)).toEqual([10]);
    expect(commandRisk('git reset --hard HEAD~3')[0]?.message).toContain('git reset');
    expect(commandRisk('echo "unterminated')[0]?.points).toBe(30);
    expect(scoreRisk({ commands: ['git push', 'sudo rm -rf /', 'curl x'] }).score).toBe(40);
  });

  it('is deterministic', () => {
    const facts = { protectedPaths: [{ path: 'go.sum', glob: '**/go.sum' }], addedLines: 60, commands: ['rm -f x'] };
    expect(scoreRisk(facts)).toEqual(scoreRisk(facts));
  });
});
