import { describe, expect, it } from 'vitest';
import { asksAgain } from './decide-node.js';

describe('asksAgain: a decision for a node a live run is asking again', () => {
  it('accepts approval, human and apply nodes reset to ask again after a suspension', () => {
    expect(asksAgain('approval', 'pending', ['suspended'])).toBe(true);
    expect(asksAgain('human', 'running', ['suspended', 'running'])).toBe(true);
    expect(asksAgain('apply', 'running', ['failed', 'suspended', 'running'])).toBe(true);
  });

  it('accepts nodes that run commands (command, verify, setup): they ask about unlisted lines', () => {
    expect(asksAgain('command', 'pending', ['suspended'])).toBe(true);
    expect(asksAgain('verify', 'running', ['suspended', 'running'])).toBe(true);
    expect(asksAgain('setup', 'pending', ['suspended'])).toBe(true);
  });

  it('refuses nodes never asked, decided or of other kinds', () => {
    expect(asksAgain('approval', 'pending', [])).toBe(false); // not asked yet: no decision in advance
    expect(asksAgain('approval', 'succeeded', ['suspended', 'succeeded'])).toBe(false);
    expect(asksAgain('approval', 'running', ['running'])).toBe(false);
    expect(asksAgain('script', 'pending', ['suspended'])).toBe(false);
    expect(asksAgain('llm', 'pending', ['suspended'])).toBe(false);
    expect(asksAgain(undefined, 'pending', ['suspended'])).toBe(false);
  });
});
