import { createTwoFilesPatch } from 'diff';

/**
 * A unified diff the way models write one — a ```diff fence, `--- a/` and `+++ b/` headers —
 * made with the `diff` package (jsdiff). Used to script model answers: the demo's recording
 * script and the end-to-end tests. `before === null` creates the file.
 * @param changes `[path, before, after]` per file
 */
export function udiff(changes: ReadonlyArray<readonly [path: string, before: string | null, after: string]>): string {
  const parts = changes.map(([path, before, after]) =>
    createTwoFilesPatch(before === null ? '/dev/null' : `a/${path}`, `b/${path}`, before ?? '', after, '', '', { context: 3 })
      .split('\n')
      .filter((l) => !l.startsWith('====') && !l.startsWith('Index:'))
      .map((l) => l.replace(/\t$/, ''))
      .join('\n'),
  );
  return `Here is the change.\n\n\`\`\`diff\n${parts.join('\n').trim()}\n\`\`\`\n`;
}
