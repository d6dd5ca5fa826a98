import stripAnsi from 'strip-ansi';

/**
 * Small Markdown helpers for reports (GitHub-flavoured Markdown tables and code spans).
 */

/**
 * Text without terminal escape sequences (removed with `strip-ansi`) or other control characters
 * (every C0/C1 control but newline and tab becomes a visible `\xNN`), the same filter as the
 * CLI's `safeText`: reports hold model output and repository content (task notes, commit
 * subjects, errors), and `report --print` sends them to a terminal.
 * @param text any text
 */
export function plainText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return stripAnsi(text).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A Markdown block quote of `text` (every line prefixed with `> `; empty lines become `>`), so
 * quoted Markdown keeps rendering but its headings cannot break out into the document.
 * @param text Markdown text
 */
export function blockquote(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.trim() === '' ? '>' : `> ${line}`))
    .join('\n');
}

/**
 * Escapes text for one GFM table cell: `|` becomes `\|`, line breaks become spaces, and an empty
 * value becomes `—` so the column stays readable.
 * @param value cell text
 */
export function cell(value: string | number | undefined): string {
  if (value === undefined || value === '') return '—';
  return String(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GFM table. Every row must have as many cells as `header`.
 * @param header column titles
 * @param rows cell values (escaped with {@link cell})
 * @param align per column: `l` (default) or `r` (numbers)
 */
export function table(header: string[], rows: Array<Array<string | number | undefined>>, align: Array<'l' | 'r'> = []): string {
  const line = (cells: Array<string | number | undefined>) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (align[i] === 'r' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * Inline code that survives backticks inside `text` (CommonMark: the delimiter is a run of
 * backticks longer than any run inside, padded with spaces when the text starts or ends with one).
 * @param text code text (one line)
 */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * A fenced code block whose fence is longer than any backtick run in `text`.
 * @param text block contents
 * @param lang info string (`sh`, `text`, ...)
 */
export function codeBlock(text: string, lang = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text.replace(/\n+$/, '')}\n${fence}`;
}

/**
 * Closes a code fence left open at the end of `text` (a note cut in the middle of a block), so
 * Markdown after it renders normally.
 * @param text Markdown text
 */
export function closeOpenFence(text: string): string {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const match = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (!match?.[1]) continue;
    if (open === undefined) open = match[1];
    else if (match[1][0] === open[0] && match[1].length >= open.length && line.trim() === match[1]) open = undefined;
  }
  return open === undefined ? text : `${text.replace(/\n+$/, '')}\n${open}`;
}

/**
 * A duration for people: `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`.
 * @param ms milliseconds
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalSeconds = Math.round(s);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const sec = totalSeconds % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(sec).padStart(2, '0')}s`;
}

/**
 * USD with 4 decimals (`0.0123`): model calls cost fractions of a cent.
 * @param usd amount in USD
 */
export function usd(usd: number): string {
  return usd.toFixed(4);
}
