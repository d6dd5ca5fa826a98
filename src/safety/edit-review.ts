import { structuredPatch } from 'diff';
import { sha256 } from '../core/hash.js';
import type { FileChange } from '../workspace/edit-apply.js';
import { newDependencies } from './new-dependencies.js';
import { protectedPathMatcher } from './protected-paths.js';
import { scoreRisk, type RiskScore } from './risk.js';
import { type AddedLine, findSecrets, type SecretFinding } from './secrets.js';

/**
 * Whether an edit needs a person's approval before it is applied (issue 11 "Diff-scoped
 * approval"), from the changes it would make (`workspace/edit-apply.ts` `computeEdit`). Pure.
 *
 * Risk facts: protected paths touched, secrets added, lines added and deleted, files deleted, new
 * dependencies (`new-dependencies.ts`) and the commands added lines write ({@link addedCommand}).
 *
 * An edit needs approval when its risk score is at least `autoApproveBelow` AND it touches a
 * protected path, adds a secret-looking string, or scores at least `approveAbove` (when set).
 * An edit that would need approval but scores below `autoApproveBelow` is auto-approved (the
 * caller audits it).
 */

/** The part of `policy.safety` the review reads. */
export interface EditReviewPolicy {
  /** globs (picomatch, `dot: true`) */
  protectedPaths: readonly string[];
  /** 0–100: a score below it needs no approval (0: every flagged edit is asked about) */
  autoApproveBelow: number;
  /** 0–100: a score at or above it needs approval even without a protected path or secret; absent: off */
  approveAbove?: number | undefined;
}

/** What the review found. */
export interface EditReview {
  /** the unified diff of the edit (`a/`/`b/` headers, 3 lines of context), files in path order */
  diff: string;
  /** sha256 (hex) of {@link diff}: what an approval binds to */
  diffHash: string;
  /** files changed, lines added and deleted */
  stat: { files: number; added: number; deleted: number };
  risk: RiskScore;
  /** protected paths touched, with their glob */
  protectedPaths: { path: string; glob: string }[];
  secrets: SecretFinding[];
  /** 'needed': ask a person; 'auto': would be asked but scores below autoApproveBelow; 'none': nothing flagged */
  approval: 'needed' | 'auto' | 'none';
}

/**
 * The shell line an added line holds, when it sits where commands are written: any line of a
 * shell script (`*.sh`, `*.bash`), a Makefile recipe line (tab-indented, `@`/`-` prefixes
 * dropped), a Dockerfile `RUN`, a YAML `run:`/`- run:`/`script:` value (CI steps), or a
 * `package.json` script value (`"name": "line"` inside the file). Comments and blank lines: none.
 */
export function addedCommand(path: string, text: string): string | undefined {
  const name = path.split('/').pop() ?? path;
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  if (/\.(?:sh|bash)$/.test(name)) return trimmed;
  if (/^(?:GNU)?[Mm]akefile$|\.mk$/.test(name)) return text.startsWith('\t') ? trimmed.replace(/^[@-]+/, '') : undefined;
  if (/^Dockerfile/.test(name)) return /^RUN\s+(.+)$/i.exec(trimmed)?.[1];
  if (/\.ya?ml$/.test(name)) {
    const m = /^(?:-\s*)?(?:run|script|command):\s*(.+)$/.exec(trimmed);
    return m && !/^[|>][-+]?$/.test(m[1]!.trim()) ? m[1]!.trim().replace(/^(["'])(.*)\1$/, '$2') : undefined;
  }
  if (name === 'package.json') return /^"[^"]+"\s*:\s*"((?:[^"\\]|\\.)*)",?$/.exec(trimmed)?.[1];
  return undefined;
}

/** Reviews an edit's changes under `policy`. */
export function reviewEdit(changes: readonly FileChange[], policy: EditReviewPolicy): EditReview {
  const isProtected = protectedPathMatcher(policy.protectedPaths);
  const parts: string[] = [];
  const added: AddedLine[] = [];
  let deleted = 0;
  const deletedFiles: string[] = [];
  const protectedPaths: { path: string; glob: string }[] = [];
  const deps: { file: string; name: string }[] = [];
  for (const change of [...changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const glob = isProtected(change.path);
    if (glob) protectedPaths.push({ path: change.path, glob });
    if (change.after === null) deletedFiles.push(change.path);
    deps.push(...newDependencies(change.path, change.before, change.after));
    const patch = structuredPatch(
      change.before === null ? '/dev/null' : `a/${change.path}`,
      change.after === null ? '/dev/null' : `b/${change.path}`,
      change.before ?? '',
      change.after ?? '',
      undefined,
      undefined,
      { context: 3 },
    );
    parts.push(`--- ${patch.oldFileName}\n+++ ${patch.newFileName}\n`);
    for (const hunk of patch.hunks) {
      parts.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@\n`);
      let line = hunk.newStart;
      for (const text of hunk.lines) {
        parts.push(`${text}\n`);
        if (text.startsWith('+')) added.push({ path: change.path, line: line++, text: text.slice(1) });
        else if (text.startsWith('-')) deleted += 1;
        else if (text.startsWith(' ')) line += 1;
      }
    }
  }
  const diff = parts.join('');
  const secrets = findSecrets(added);
  const commands = added.map((a) => addedCommand(a.path, a.text)).filter((c): c is string => c !== undefined);
  const risk = scoreRisk({ protectedPaths, secrets, addedLines: added.length, deletedLines: deleted, deletedFiles, newDependencies: deps, commands });
  const flagged = protectedPaths.length > 0 || secrets.length > 0 || (policy.approveAbove !== undefined && risk.score >= policy.approveAbove);
  const approval = !flagged ? 'none' : risk.score < policy.autoApproveBelow ? 'auto' : 'needed';
  return { diff, diffHash: sha256(diff), stat: { files: changes.length, added: added.length, deleted }, risk, protectedPaths, secrets, approval };
}

/** A one-line summary for a person: `risk 47/100: touches protected …; adds …`. */
export function reviewSummary(review: EditReview): string {
  const reasons = review.risk.reasons.map((r) => `${r.message} (+${r.points})`).join('; ');
  return `risk ${review.risk.score}/100, ${review.stat.files} file${review.stat.files === 1 ? '' : 's'} +${review.stat.added} −${review.stat.deleted}${reasons ? `: ${reasons}` : ''}`;
}
