import { TaskgraphError } from '../core/errors.js';
import { defaultTrackers, type TrackersConfig } from '../core/tracker-config.js';
import { GithubTracker } from './github-tracker.js';
import { JiraTracker } from './jira-tracker.js';
import type { IssueRef, Tracker } from './tracker.js';
import type { TrackerHttpOptions } from './tracker-http.js';

/**
 * The {@link Tracker} that serves `ref`, configured from `trackers:` of taskgraph.yaml.
 * @param trackers the parsed section (absent: every default — GitHub at api.github.com with GITHUB_TOKEN)
 * @param http signal, and a `fetch` for tests
 * @param env where credentials are read (default `process.env`)
 * @throws TaskgraphError CONFIG_INVALID for a Jira reference without `trackers.jira`
 */
export function trackerFor(ref: IssueRef, trackers: TrackersConfig | undefined, http: Pick<TrackerHttpOptions, 'signal' | 'fetch'> = {}, env: NodeJS.ProcessEnv = process.env): Tracker {
  const config = trackers ?? defaultTrackers();
  const options: TrackerHttpOptions = { timeoutMs: config.timeoutMs, retries: config.retries, ...http };
  if (ref.tracker === 'github') return new GithubTracker(config.github, options, env);
  if (!config.jira) {
    throw new TaskgraphError('CONFIG_INVALID', `jira:${ref.key} names a Jira issue but taskgraph.yaml has no trackers.jira`, {
      hint: 'add trackers: { jira: { baseUrl: https://YOUR-SITE.atlassian.net } } and export JIRA_EMAIL and JIRA_API_TOKEN',
    });
  }
  return new JiraTracker(config.jira, options, env);
}

