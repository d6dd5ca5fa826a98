import { z } from 'zod';
import type { NodeExecutor } from '../engine/node-executor.js';

const ApprovalConfig = z
  .object({
    /** what the person is asked */
    question: z.string().default('Approve to continue?'),
  })
  .strict();

/** Config of an `approval` node. */
export type ApprovalConfig = z.infer<typeof ApprovalConfig>;

/**
 * `approval` nodes (DESIGN.md §4, §9): suspend the run until a person decides with
 * `taskgraph approve RUN NODE` or `taskgraph reject RUN NODE`. Approved -> output
 * `{ decision, by, at, comment }`; rejected -> the node fails (NODE_FAILED, details.decision).
 * Never cached: every run asks again.
 */
export const approvalExecutor: NodeExecutor<ApprovalConfig> = {
  kind: 'approval',
  version: 1,
  configSchema: ApprovalConfig,
  cacheable: false,
  sideEffects: () => false,
  async execute(config, _inputs, ctx) {
    const decision = await ctx.store.getDecision(ctx.runId, ctx.node.id);
    if (!decision) return { status: 'suspended', reason: `approval needed: ${config.question}` };
    const output = { decision: decision.decision, by: decision.by, at: decision.at, comment: decision.comment ?? null };
    if (decision.decision === 'rejected') {
      return {
        status: 'failed',
        output,
        error: {
          code: 'NODE_FAILED',
          message: `rejected by ${decision.by}${decision.comment ? `: ${decision.comment}` : ''}`,
          retryable: false,
          details: { decision: 'rejected' },
        },
      };
    }
    return { status: 'succeeded', output };
  },
};
