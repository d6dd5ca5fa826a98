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

/**
 * `JSON.stringify(value, null, indent)` made safe for a terminal without changing its meaning:
 * JSON.stringify escapes C0 controls but leaves DEL and the C1 controls (U+007F–U+009F, among
 * them the 8-bit CSI U+009B) raw; they become `\u00XX` escapes, which decode to the same string.
 * For every `--json` output that may hold model or repository text.
 * @param value any JSON-serialisable value
 * @param indent spaces of indentation (default 2; 0 for one line)
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
