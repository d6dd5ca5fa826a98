import type { TrackersConfig } from '../core/tracker-config.js';
import { runCommits } from '../report/run-commits.js';
import { summarizeRun } from '../report/run-summary.js';
import { secretRedactor } from '../security/redact.js';
import type { RunRecord, Store } from '../store/store.js';
import { formatIssueRef, runIssueRef, type TrackerWrite } from './tracker.js';
import { trackerFor } from './tracker-for.js';

/**
 * A run's issue (issue 16, `taskgraph do --issue`): the reference kept in the run's options
 * (`options.issue`, read by `tracker.ts` runIssueRef), the comment that reports the finished run
 * on it, and what was done to it (`options.issueComments`, `options.issueClosed`: written
 * with the run's `updatedAt` unchanged, so the run's finish time stays what it was).
 */

const money = (usd: number) => `$${usd.toFixed(4)}`;

/**
 * The comment a finished run posts on its issue: status, the tasks with their status, the branch
 * with its commits and how to merge it, and what the run spent. Task titles and commit subjects
 * came from a model: secrets are redacted and `@` mentions defused (`@\u200b`), so a comment
 * pings nobody.
 * @param markdown GitHub-flavoured Markdown (bold, code spans; default) or plain text (Jira, whose
 *   REST bodies are not Markdown)
 * @throws TaskgraphError NOT_FOUND for an unknown run
 */
export async function runCommentText(store: Store, runId: string, markdown = true): Promise<string> {
  const summary = await summarizeRun(store, runId);
  const run = summary.run;
  const { commits } = await runCommits(run);
  const t = summary.totals;
  const lines = [
    `**taskgraph run ${run.id}: ${summary.status}**${run.reason ? ` (${run.reason})` : ''}`,
    '',
    ...(summary.tasks.length > 0 ? ['Tasks:', ...summary.tasks.map((task) => `- ${task.id}${task.title ? ` ${task.title}` : ''}: ${task.status}${task.attempts > 1 ? ` (${task.attempts} attempts)` : ''}`), ''] : []),
    ...(run.branch ? [`Branch \`${run.branch}\`: ${commits.length} commit${commits.length === 1 ? '' : 's'}${summary.status === 'succeeded' && commits.length > 0 ? ` (merge: \`git merge ${run.branch}\`)` : ''}`] : []),
    ...commits.map((c) => `- \`${c.sha.slice(0, 10)}\` ${c.message}`),
    '',
    `Model calls: ${t.calls}, tokens: ${t.inputTokens} in + ${t.outputTokens} out, cost: ${money(t.costUsd)}, time: ${(summary.wallMs / 1000).toFixed(1)} s`,
  ];
  const text = markdown ? lines.join('\n') : lines.join('\n').replace(/\*\*|`/g, '');
  return secretRedactor()
    .redact(text)
    .replace(/@(?=[A-Za-z0-9_-])/g, '@\u200b');
}

/**
 * Comments the run's report summary on its issue and notes it in the run's options.
 * @returns what was posted, or undefined when the run has no issue
 * @throws TaskgraphError from the tracker (NOT_FOUND, TRACKER_FAILED, CONFIG_INVALID)
 */
export async function commentRunOnIssue(store: Store, runId: string, trackers: TrackersConfig | undefined, signal?: AbortSignal): Promise<TrackerWrite | undefined> {
  const run = await store.getRun(runId);
  const ref = run && runIssueRef(run);
  if (!run || !ref) return undefined;
  const text = await runCommentText(store, runId, ref.tracker === 'github');
  const done = await trackerFor(ref, trackers, signal ? { signal } : {}).comment(ref, text);
  const fresh = (await store.getRun(runId)) ?? run;
  const earlier = Array.isArray(fresh.options['issueComments']) ? fresh.options['issueComments'] : [];
  await store.updateRun(runId, { options: { ...fresh.options, issueComments: [...earlier, { at: new Date().toISOString(), status: fresh.status, url: done.url }] }, updatedAt: fresh.updatedAt });
  return done;
}

/**
 * Closes the run's issue and notes it in the run's options (`issueClosed`).
 * @returns what was done, or undefined when the run has no issue
 * @throws TaskgraphError from the tracker
 */
export async function closeRunIssue(store: Store, run: RunRecord, trackers: TrackersConfig | undefined, signal?: AbortSignal): Promise<TrackerWrite | undefined> {
  const ref = runIssueRef(run);
  if (!ref) return undefined;
  const done = await trackerFor(ref, trackers, signal ? { signal } : {}).close(ref);
  const fresh = (await store.getRun(run.id)) ?? run;
  await store.updateRun(run.id, { options: { ...fresh.options, issueClosed: { at: new Date().toISOString(), ref: formatIssueRef(ref), changed: done.changed } }, updatedAt: fresh.updatedAt });
  return done;
}
