import stripAnsi from 'strip-ansi';

/**
 * Text that a model or a repository wrote, made safe for a terminal (DESIGN.md §9: model output
 * and repository content are untrusted). ANSI/OSC escape sequences (colours, cursor moves, screen
 * clears, window titles, hyperlinks) are removed with `strip-ansi`; every other C0/C1 control
 * character but newline and tab (a bare ESC, BEL, backspace, carriage return that would overwrite
 * a line, ...) becomes a visible `\xNN`. Apply it to untrusted text *before* adding taskgraph's
 * own colours.
 * @param text any text
 * @returns the text without escape sequences or control characters
 */
export function safeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return stripAnsi(text).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
