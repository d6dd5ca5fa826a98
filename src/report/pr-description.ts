import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { isJsonObject } from '../core/json.js';
import { PR_OUTPUT_KIND } from '../nodes/review.js';
import { PR_REVIEW_NODE_ID } from '../planning/plan-graph.js';
import { withPrFooter } from '../review/review-prompts.js';
import type { Store } from '../store/store.js';
import { issueLinkText, runIssueRef } from '../trackers/tracker.js';
import { plainText } from './markdown.js';
import { redactSecrets } from './redact.js';
import { REPORTS_DIR } from './report.js';

/**
 * The pull-request description of a run (issue 9 item 8): the output of the run's plan-level
 * `review` node (`nodes/review.ts`, kept in the store), with a footer naming the run, its plan,
 * branch and base. Read from the store every time, so the file written at the end of a session
 * and `taskgraph pr RUN` are the same bytes.
 */

/**
 * The run's pull-request description, or undefined when the run has none (review.pr off, or its
 * review node has not succeeded yet). The newest successful or cached attempt of the root
 * `review` node is used; secrets are redacted and control characters made visible.
 * @throws TaskgraphError NOT_FOUND for an unknown run; STORE_ERROR
 */
export async function readPrDescription(store: Store, runId: string): Promise<string | undefined> {
  const run = await store.getRun(runId);
  if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${runId}"`, { hint: '`taskgraph runs` lists the runs' });
  const attempts = (await store.listAttempts(runId, PR_REVIEW_NODE_ID)).filter((a) => a.status === 'succeeded' || a.status === 'cached');
  const output = attempts[attempts.length - 1]?.output;
  if (!isJsonObject(output) || output['kind'] !== PR_OUTPUT_KIND || typeof output['markdown'] !== 'string') return undefined;
  const planId = typeof output['planId'] === 'string' ? output['planId'] : (run.planId ?? '');
  // a run of `do --issue` links its issue (`Closes owner/repo#123`, `Resolves PROJ-12`)
  const ref = runIssueRef(run);
  const markdown = ref ? `${output['markdown'].replace(/\n+$/, '')}\n\n${issueLinkText(ref)}` : output['markdown'];
  const text = withPrFooter(markdown, { runId, planId, ...(run.branch ? { branch: run.branch } : {}), ...(run.baseCommit ? { base: run.baseCommit } : {}) });
  return plainText(redactSecrets(text));
}

/** Path of a run's pull-request description: `<projectDir>/.taskgraph/reports/<runId>.pr.md`. */
export function prDescriptionPath(projectDir: string, runId: string): string {
  return join(projectDir, REPORTS_DIR, `${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}.pr.md`);
}

/**
 * Writes {@link readPrDescription} to {@link prDescriptionPath} when the run has one.
 * @returns the path written, or undefined when the run has no pull-request description
 * @throws TaskgraphError NOT_FOUND for an unknown run; file system errors pass through
 */
export async function writePrDescription(store: Store, runId: string, projectDir: string): Promise<string | undefined> {
  const text = await readPrDescription(store, runId);
  if (text === undefined) return undefined;
  const path = prDescriptionPath(projectDir, runId);
  await mkdir(join(projectDir, REPORTS_DIR), { recursive: true });
  await writeFile(path, text, 'utf8');
  return path;
}
