import type { NodeExecutor } from '../engine/node-executor.js';
import { answerProblems, describeQuestion, type HumanConfig, HumanConfigSchema } from './human-answer.js';

/**
 * `human` nodes (issue 11): ask a person a question — free text, one of `choices`, or JSON valid
 * against `schema` — and suspend only their own branch until `taskgraph answer RUN NODE` records
 * an answer (the rest of the graph goes on; the scheduler keeps successors of a suspended node
 * waiting). Output `{ answer, by, at }`, an input of dependents like any output. Never cached:
 * every run asks again, like `approval`. An answer that no longer meets the config (it changed
 * since) fails the node with the problems listed.
 */
export const humanExecutor: NodeExecutor<HumanConfig> = {
  kind: 'human',
  version: 1,
  configSchema: HumanConfigSchema,
  cacheable: false,
  sideEffects: () => false,
  async execute(config, _inputs, ctx) {
    const decision = await ctx.store.getDecision(ctx.runId, ctx.node.id);
    if (!decision) return { status: 'suspended', reason: `question: ${describeQuestion(config)}` };
    const answer = decision.answer ?? null;
    const problems = decision.decision === 'answered' ? answerProblems(config, answer) : [`decided "${decision.decision}", not answered`];
    if (problems.length > 0) {
      return {
        status: 'failed',
        error: { code: 'NODE_FAILED', message: `the recorded answer is not acceptable: ${problems.join('; ')}`, retryable: false, details: { problems } },
      };
    }
    return { status: 'succeeded', output: { answer, by: decision.by, at: decision.at } };
  },
};
