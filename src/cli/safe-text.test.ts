import { describe, expect, it } from 'vitest';
import { safeJson, safeText } from './safe-text.js';

/** Anything a terminal would act on: C0 controls but newline and tab, DEL, C1 controls. */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('safeText: model and repository text on a terminal', () => {
  it('removes a window-title OSC (BEL- or ST-terminated) and a screen clear', () => {
    expect(safeText('before\u001b]0;pwned title\u0007after')).toBe('beforeafter');
    expect(safeText('x\u001b]0;t\u001b\\y')).not.toMatch(ACTIVE);
    expect(safeText('\u001b[2J\u001b[Hall clear')).toBe('all clear');
    expect(safeText('8-bit CSI \u009b2J here')).not.toMatch(ACTIVE);
  });

  it('shows a carriage return instead of letting it overwrite the line', () => {
    const out = safeText('FAIL multiply\r✔ all tests passed');
    expect(out).toBe('FAIL multiply\\x0d✔ all tests passed');
    expect(out).not.toMatch(ACTIVE);
  });

  it('keeps a failing line visible when cursor moves try to draw "all tests passed" over it', () => {
    const forged = 'FAIL multiply: expected -6, got 6\n\u001b[1A\u001b[2K\u001b[32m✔ all tests passed\u001b[0m\n';
    const out = safeText(forged);
    expect(out).not.toMatch(ACTIVE);
    expect(out.split('\n')[0]).toBe('FAIL multiply: expected -6, got 6');
    expect(out).toContain('✔ all tests passed');
  });

  it('keeps newlines and tabs, and makes a stray ESC, BEL or backspace visible', () => {
    expect(safeText('a\tb\nc')).toBe('a\tb\nc');
    expect(safeText('x\u001by\u0007z\bw')).not.toMatch(ACTIVE);
    expect(safeText('ok\u0008\u0008no')).toBe('ok\\x08\\x08no');
  });
});

describe('safeJson: --json output that stays valid and lossless', () => {
  it('escapes DEL and C1 controls, which JSON.stringify leaves raw, and round-trips', () => {
    const value = { note: 'esc \u001b[2J, csi \u009b2J, del \u007f, nul \u0000, cr \r', n: 1 };
    const text = safeJson(value);
    expect(text).not.toMatch(ACTIVE);
    expect(JSON.parse(text)).toEqual(value);
    expect(safeJson([1], 0)).toBe('[1]');
    // the CLI's line printer applies safeText to every line; it leaves safeJson's output alone
    expect(safeText(text)).toBe(text);
  });
});
