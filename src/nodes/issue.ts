import { z } from 'zod';
import type { Json } from '../core/json.js';
import type { NodeContext, NodeExecutor, NodeOutcome } from '../engine/node-executor.js';
import { issueJson, parseIssueRef } from '../trackers/tracker.js';
import { trackerFor } from '../trackers/tracker-for.js';
import { fillTemplate } from './llm-prompts.js';

const IssueNodeConfig = z
  .object({
    /** `get` (read the issue), `comment` (post `text`), `close` (GitHub: state closed; Jira: the transition to a done status) */
    action: z.enum(['get', 'comment', 'close']),
    /** the issue: `github:owner/repo#123` or `jira:PROJ-12` (`trackers/tracker.ts` parseIssueRef) */
    issue: z.string().min(1).refine((s) => {
      try {
        parseIssueRef(s);
        return true;
      } catch {
        return false;
      }
    }, 'an issue reference: github:OWNER/REPO#NUMBER or jira:KEY'),
    /** `comment` only: the comment; `{{name}}` is replaced by input `name` (e.g. an upstream report), as in `notify` */
    text: z.string().min(1).optional(),
    /** `get` only: ms an issue read is reused from the cache (the key holds the TTL window it falls in); 0 reads it on every run; default 5 min */
    ttlMs: z.number().int().min(0).default(300_000),
  })
  .strict()
  .refine((c) => (c.action === 'comment') === (c.text !== undefined), { message: 'text is required by action comment and taken by no other action' });

/** Config of an `issue` node. */
export type IssueNodeConfig = z.infer<typeof IssueNodeConfig>;

function tracker(config: IssueNodeConfig, ctx: NodeContext) {
  const ref = parseIssueRef(config.issue);
  return { ref, tracker: trackerFor(ref, ctx.config.trackers, { signal: ctx.signal }) };
}

/**
 * `issue` nodes (issue 16): read, comment on or close an issue of GitHub Issues or Jira through
 * the {@link import('../trackers/tracker.js').Tracker} interface (credentials from the variables
 * named under `trackers:` in taskgraph.yaml, never in the graph, the key or a record).
 *
 * - `get`: output `{ ref, title, body, labels, state, status, url }`; title, body and labels are
 *   untrusted text (whoever filed the issue wrote them). Cache key adds the TTL window
 *   (`floor(now / ttlMs)`): within it a re-run is a cache hit with no request; after it the issue
 *   is read again (an unchanged issue gives the same output, so early cutoff keeps its dependents cached).
 * - `comment`: posts `text` with its `{{input}}` placeholders filled; output `{ action, ref, url, chars }`.
 * - `close`: closes the issue (an already closed one is left alone); output `{ action, ref, url, changed }`.
 *
 * `comment` and `close` are side effects on the tracker, not on the worktree: like `notify` they
 * are cached by config and inputs, so an unchanged re-run does not post the same comment twice;
 * `taskgraph run --force NODE` does it again. Not replayed from a cassette (no model call).
 * Errors: NOT_FOUND (no such issue or no access), TRACKER_FAILED (retryable for 429/5xx/network,
 * so a node `retry:` policy applies), CONFIG_INVALID (a credential variable unset, Jira not configured).
 */
export const issueExecutor: NodeExecutor<IssueNodeConfig> = {
  kind: 'issue',
  version: 1,
  configSchema: IssueNodeConfig,
  cacheable: true,
  sideEffects: () => false,
  async keyIngredients(config): Promise<Record<string, Json>> {
    if (config.action !== 'get') return {};
    return { window: config.ttlMs === 0 ? Date.now() : Math.floor(Date.now() / config.ttlMs) };
  },
  async execute(config, inputs, ctx): Promise<NodeOutcome> {
    const { ref, tracker: t } = tracker(config, ctx);
    if (config.action === 'get') {
      const issue = await t.getIssue(ref);
      ctx.log(`issue ${issue.ref}: ${issue.state} (${issue.labels.length} label${issue.labels.length === 1 ? '' : 's'}, ${issue.body.length} characters)`);
      return { status: 'succeeded', output: issueJson(issue) };
    }
    if (config.action === 'comment') {
      const text = fillTemplate(config.text!, inputs);
      const done = await t.comment(ref, text);
      ctx.log(`commented on ${done.ref} (${text.length} characters)`);
      return { status: 'succeeded', output: { action: 'comment', ref: done.ref, url: done.url, chars: text.length } };
    }
    const done = await t.close(ref);
    ctx.log(done.changed ? `closed ${done.ref}` : `${done.ref} was closed already`);
    return { status: 'succeeded', output: { action: 'close', ref: done.ref, url: done.url, changed: done.changed } };
  },
};
