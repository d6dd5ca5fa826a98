import { z } from 'zod';

/**
 * What the checker model (`roles.reviewer`) answers (issue 9 item 8), as zod schemas given to the
 * model client as structured output (AI SDK `Output.object`): a task review's verdict and
 * findings, and the plan-level review's pull-request text.
 */

/** How bad a finding is: `error` (a criterion unmet, a bug), `warning`, `info`. */
export const SEVERITIES = ['error', 'warning', 'info'] as const;

/** One finding of a review: where, how bad, what. */
export const FindingSchema = z
  .object({
    /** repository-relative path the finding is about; `''` when it is about no one file */
    file: z.string().describe('repository-relative path, or "" when the finding is about no single file'),
    /** 1-based line in the new version of the file; 0 for the whole file */
    line: z.number().int().min(0).describe('1-based line in the changed file, 0 for the whole file'),
    severity: z.enum(SEVERITIES),
    message: z.string().min(1).describe('what is wrong and which acceptance criterion it concerns'),
  })
  .strict();

/** {@link FindingSchema} as a type. */
export type Finding = z.infer<typeof FindingSchema>;

/** A task review: `pass` or `fail`, with findings (a `fail` has at least one). */
export const TaskReviewSchema = z
  .object({
    verdict: z.enum(['pass', 'fail']).describe('"fail" when an acceptance criterion is not met or not covered by a test'),
    findings: z.array(FindingSchema),
  })
  .strict();

/** {@link TaskReviewSchema} as a type. */
export type TaskReview = z.infer<typeof TaskReviewSchema>;

/** What the plan-level review writes; the rest of the pull-request description comes from the store and git. */
export const PrReviewSchema = z
  .object({
    /** the pull request's title: one line, imperative, at most ~72 characters */
    title: z.string().min(1).max(200),
    /** what the change does and why, a short paragraph or a few bullets (Markdown) */
    summary: z.string().min(1),
    /** what could break, what a reviewer should look at */
    risks: z.array(z.string().min(1)),
    /** work left for later */
    followUps: z.array(z.string().min(1)),
  })
  .strict();

/** {@link PrReviewSchema} as a type. */
export type PrReview = z.infer<typeof PrReviewSchema>;

/** One finding as one Markdown list line: `- error src/calc.js:12: message` (`:line` left out for 0, the file for ''). */
export function findingLine(f: Finding): string {
  const where = f.file === '' ? '' : ` ${f.file}${f.line > 0 ? `:${f.line}` : ''}`;
  return `- ${f.severity}${where}: ${f.message.replace(/\s+/g, ' ').trim()}`;
}

/**
 * The text of a failed review that becomes the task's note (`details.output` of REVIEW_FAILED,
 * which `failureNote` quotes): one line per finding, errors first.
 * @param findings the review's findings (any order)
 */
export function findingsText(findings: readonly Finding[]): string {
  const rank = (f: Finding) => SEVERITIES.indexOf(f.severity);
  return [...findings]
    .sort((a, b) => rank(a) - rank(b))
    .map(findingLine)
    .join('\n');
}
