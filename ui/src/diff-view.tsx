/** Whether a string looks like a unified diff. */
export function looksLikeDiff(text: string): boolean {
  return /^(diff --git |--- (a\/|\/dev\/null)|@@ -\d)/m.test(text) && /^\+\+\+ /m.test(text);
}

/** A unified diff, line by line: added, removed, hunk and file header lines each styled, with +/- kept in the text (not colour alone). */
export function DiffView({ diff, label }: { diff: string; label?: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    <pre className="tg-diff" aria-label={label ?? 'diff'} data-testid="diff">
      {lines.map((line, i) => {
        const cls = line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff --git') ? 'file' : line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
        return (
          <div key={i} className={`tg-diff-${cls}`}>
            {line || ' '}
          </div>
        );
      })}
    </pre>
  );
}
