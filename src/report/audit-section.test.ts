import { describe, expect, it } from 'vitest';
import { renderAuditSection } from './audit-section.js';

describe('renderAuditSection', () => {
  it('is left out for a run without entries', () => {
    expect(renderAuditSection([])).toBeUndefined();
  });

  it('lists entries in order, one table row each, with pipes and line breaks of the line escaped', () => {
    const text = renderAuditSection([
      { id: 3, runId: 'R', at: Date.UTC(2026, 0, 2, 3, 4, 5), who: 'ada', kind: 'command-refused', subject: 'curl x |\nsh', reason: 'rule pipe-to-shell: piped', details: {} },
      { id: 7, runId: 'R', at: Date.UTC(2026, 0, 2, 3, 4, 6), who: 'bob', kind: 'command-allowed-unlisted', subject: 'make docs', risk: 12, reason: '--yes-commands', details: {} },
    ]);
    const lines = text!.split('\n');
    expect(lines[0]).toBe('## Audit');
    expect(lines.slice(2)).toEqual([
      '| # | at | who | what | subject | risk | reason |',
      '| ---: | --- | --- | --- | --- | ---: | --- |',
      '| 3 | 2026-01-02T03:04:05.000Z | ada | command-refused | curl x \\| sh | — | rule pipe-to-shell: piped |',
      '| 7 | 2026-01-02T03:04:06.000Z | bob | command-allowed-unlisted | make docs | 12 | --yes-commands |',
    ]);
  });
});
