import { createRoute, z } from '@hono/zod-openapi';
import { RECENT_RUNS } from '../cli/approvals-command.js';
import { recordDecision } from '../cli/decide-node.js';
import { leaseRun } from '../cli/resume-command.js';
import { answerHeldTask } from '../cli/task-commands.js';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import { pendingApprovals } from '../safety/pending-approval.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { PendingApprovalSchema } from './api-schemas.js';
import { errorResponses } from './http-errors.js';

/**
 * People's decisions over HTTP: `GET /approvals?status=pending` (as `taskgraph approvals`),
 * `POST /approvals` (as `taskgraph approve|reject`) and `POST /answers` (as `taskgraph answer`).
 * Decisions go through the CLI's own path (`recordDecision` in `cli/decide-node.ts`: the decision
 * and its audit entry in one transaction, a node decided already refused); when the server can
 * take the run's lease it resumes the run in its own process, otherwise the live process holding
 * the run picks the decision up.
 */

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** What happened after a decision or answer was recorded. */
export const DecisionOutcomeSchema = z
  .object({
    runId: z.string(),
    nodeId: z.string(),
    decision: z.enum(['approved', 'rejected', 'answered']),
    outcome: z.enum(['resuming', 'recorded', 'handed-over']).openapi({ description: 'resuming: this server continues the run; recorded: resume was false; handed-over: a live process holds the run and picks it up' }),
    handedTo: z.object({ pid: z.number(), host: z.string() }).nullable(),
  })
  .openapi('DecisionOutcome');

const DecisionBody = z
  .object({
    runId: z.string().min(1),
    nodeId: z.string().min(1).openapi({ description: 'the waiting node, e.g. review or T1/apply' }),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(10_000).optional(),
    by: z.string().min(1).max(200).optional().openapi({ description: 'who decides (audited); default: the server user' }),
    resume: z.boolean().default(true).openapi({ description: 'false: only record the decision' }),
  })
  .openapi('DecisionRequest');

const AnswerBody = z
  .object({
    runId: z.string().min(1),
    id: z.string().min(1).openapi({ description: 'a human node of the run, or a task held for a person' }),
    answer: z.unknown().openapi({ description: 'the answer: text, or for a human node with a schema any JSON value' }),
    by: z.string().min(1).max(200).optional(),
  })
  .openapi('AnswerRequest');

/** Who a decision is recorded for when the request names nobody. */
const defaultBy = () => process.env['USER'] ?? 'unknown';

/** Registers the approval and answer routes on `app`. */
export function registerDecisionRoutes(app: ApiApp, deps: ApiDeps): void {
  const { project } = deps;

  /** Records the decision, then resumes here, or reports who picks it up. */
  const decide = async (runId: string, nodeId: string, decided: Parameters<typeof recordDecision>[3], resume: boolean, command: string) => {
    const { run, holder, handedTo } = await recordDecision(project, runId, nodeId, decided);
    const base = { runId, nodeId, decision: decided.decision };
    if (!holder) return { ...base, outcome: 'handed-over' as const, handedTo: handedTo ?? null };
    if (!resume) {
      await holder.release();
      return { ...base, outcome: 'recorded' as const, handedTo: null };
    }
    deps.runs.resume(run, holder, command);
    return { ...base, outcome: 'resuming' as const, handedTo: null };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/approvals',
      summary: 'edits and command lines waiting for approval, with risk, reasons and diff (taskgraph approvals --json)',
      request: { query: z.object({ status: z.enum(['pending']).default('pending'), run: z.string().min(1).optional() }) },
      responses: { 200: json(z.array(PendingApprovalSchema), 'pending approvals'), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { run } = c.req.valid('query');
      if (run !== undefined && !(await project.store.getRun(run))) throw new TaskgraphError('NOT_FOUND', `no run ${run}`, { hint: 'list runs with GET /runs' });
      const runIds = run !== undefined ? [run] : (await project.store.listRuns(RECENT_RUNS)).filter((r) => r.status === 'suspended' || r.status === 'running').map((r) => r.id);
      return c.json((await pendingApprovals(project.store, runIds)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/approvals',
      summary: 'approve or reject a waiting node, with a comment (taskgraph approve|reject RUN NODE)',
      request: { body: { content: { 'application/json': { schema: DecisionBody } }, required: true } },
      responses: { 200: json(DecisionOutcomeSchema, 'the decision is recorded with its audit entry'), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const decision = b.decision === 'approve' ? 'approved' : 'rejected';
      const decided = { decision, by: b.by ?? defaultBy(), ...(b.comment !== undefined ? { comment: b.comment } : {}) } as const;
      return c.json(await decide(b.runId, b.nodeId, decided, b.resume, b.decision), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/answers',
      summary: "answer a human node's question, or a task held for a person (taskgraph answer RUN ID)",
      request: { body: { content: { 'application/json': { schema: AnswerBody } }, required: true } },
      responses: { 200: json(DecisionOutcomeSchema, 'the answer is recorded with its audit entry'), ...errorResponses(400, 401, 404, 409) },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const by = b.by ?? defaultBy();
      const run = await project.store.getRun(b.runId);
      if (!run) throw new TaskgraphError('NOT_FOUND', `no run "${b.runId}"`, { hint: 'list runs with GET /runs' });
      if (run.graph.nodes.some((n) => n.id === b.id && n.kind === 'human')) {
        return c.json(await decide(b.runId, b.id, { decision: 'answered', by, answer: (b.answer ?? null) as Json }, true, 'answer'), 200);
      }
      if (typeof b.answer !== 'string' || b.answer.trim() === '') {
        throw new TaskgraphError('CONFIG_INVALID', `the answer to task ${b.id} must be non-empty text`, { details: { path: 'body.answer' }, hint: 'send { "answer": "what to do differently" }' });
      }
      const lease = await leaseRun(project, b.runId); // RUN_LOCKED (409) while a live process holds it
      try {
        await answerHeldTask(project, lease.run, b.id, b.answer, by);
      } catch (error) {
        await lease.holder.release();
        throw error;
      }
      deps.runs.resume(lease.run, lease.holder, 'answer');
      return c.json({ runId: b.runId, nodeId: b.id, decision: 'answered' as const, outcome: 'resuming' as const, handedTo: null }, 200);
    },
  );
}
