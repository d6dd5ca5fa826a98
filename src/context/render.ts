/**
 * The rendered form of a bundle: what a model actually reads, and what the budget is counted
 * on. Each item is one Markdown block (a `#` heading line, then the body); items are joined
 * with {@link BUNDLE_SEPARATOR}. Bodies that hold file text are fenced.
 */

/** Between two rendered items. */
export const BUNDLE_SEPARATOR = '\n\n---\n\n';

/**
 * Renders one item: heading line, then the body; `fence` (a language tag, possibly empty)
 * wraps the body in a code fence longer than any backtick run inside it (CommonMark §4.5).
 * Leading/trailing blank lines are removed, so joined items count close to the sum of parts.
 */
export function renderItem(heading: string, body: string, fence?: string): string {
  const clean = body.replace(/^\s*\n/, '').trimEnd();
  if (fence === undefined) return clean ? `# ${heading}\n${clean}` : `# ${heading}`;
  const longest = Math.max(2, ...Array.from(clean.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `# ${heading}\n${ticks}${fence}\n${clean}\n${ticks}`;
}

/** Renders a bundle (or anything with rendered `items[].text`) as one prompt string. */
export function renderBundle(bundle: { items: ReadonlyArray<{ text: string }> }): string {
  return bundle.items.map((i) => i.text).join(BUNDLE_SEPARATOR);
}

/** Code-fence language for a path, by extension ('' when unknown). */
export function fenceLanguage(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  const map: Record<string, string> = {
    ts: 'ts', tsx: 'tsx', js: 'js', jsx: 'jsx', mjs: 'js', cjs: 'js', py: 'python', go: 'go', rs: 'rust',
    md: 'markdown', json: 'json', yaml: 'yaml', yml: 'yaml', sql: 'sql', sh: 'sh', toml: 'toml', html: 'html', css: 'css',
  };
  return map[ext] ?? '';
}
