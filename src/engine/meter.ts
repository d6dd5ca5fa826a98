import { TaskgraphError } from '../core/errors.js';
import { isUsage, NO_USAGE, sumUsage } from '../core/usage.js';
import { type MediaRequest, type MediaResponse, type ModelClient, type ModelRequest, type ModelResponse, NOT_SENT_CODES } from '../llm/model-client.js';
import type { Usage } from '../store/store.js';
import type { BudgetStop } from './budget.js';

/**
 * The model meter (issue 8 item 14): every model call counts, whatever node or phase makes it
 * (planner levels and repairs, as-needed decomposition, the coder, context summaries) and whether
 * it succeeds or fails. The engine gives each node attempt its own {@link ModelMeter} in place of
 * the project's {@link ModelClient}; the meter asks the run's budget before each call, charges
 * each call as it returns, and its sum is the usage recorded on the attempt.
 */

/** How a meter reaches the run's budget. */
export interface MeterHooks {
  /** before each call: the limit that forbids it, or undefined to go ahead */
  beforeCall(): BudgetStop | undefined;
  /** after each call, success or failure, with what it cost */
  charge(usage: Usage): void;
}

/**
 * What a failed call cost: the `details.usage` the client put on the error (tokens the server
 * reported for an answer that failed the schema, `calls: 1`), nothing for a failure before any
 * request ({@link NOT_SENT_CODES}, or a budget stop), else one call with no known tokens.
 * @param error what `ModelClient.generate` rejected with
 */
export function usageOfFailure(error: unknown): Usage | undefined {
  if (error instanceof TaskgraphError) {
    if (NOT_SENT_CODES.has(error.code) || error.code === 'BUDGET_EXCEEDED') return undefined;
    if (isUsage(error.details['usage'])) return error.details['usage'];
  }
  return { ...NO_USAGE, calls: 1 };
}

/**
 * A {@link ModelClient} that meters another one for one node attempt.
 * Rejects like the client it wraps, and with TaskgraphError `BUDGET_EXCEEDED` (the limit in the
 * message, `details.scope` = `run` | `task`) before a call the budget does not allow; that call is
 * not sent.
 */
export class ModelMeter implements ModelClient {
  private total: Usage = { ...NO_USAGE };

  /**
   * @param inner the project's model client
   * @param hooks the run's budget
   */
  constructor(
    private readonly inner: ModelClient,
    private readonly hooks: MeterHooks,
  ) {}

  /** Tokens, USD and calls of every call made through this meter so far, failed ones included. */
  get usage(): Usage {
    return { ...this.total };
  }

  /**
   * See {@link ModelClient.generate}; the budget is checked first, the call charged after. A
   * request with tools is charged step by step: before each step after the first, the steps so
   * far are charged and the budget checked again (a step it does not allow stops the loop with
   * `BUDGET_EXCEEDED`); the rest is charged when the call returns or fails.
   */
  async generate(request: ModelRequest): Promise<ModelResponse> {
    const check = () => {
      const stop = this.hooks.beforeCall();
      if (stop) {
        throw new TaskgraphError('BUDGET_EXCEEDED', stop.reason, {
          details: { scope: stop.scope, ...(request.label ? { label: request.label } : {}) },
          hint: 'raise the limit and resume the run (e.g. taskgraph resume RUN --max-cost 5)',
        });
      }
    };
    check();
    let charged: Usage = { ...NO_USAGE };
    const sent = request.tools
      ? {
          ...request,
          tools: {
            ...request.tools,
            beforeStep: (spent: Usage) => {
              this.add(minus(spent, charged));
              charged = spent;
              check();
              request.tools?.beforeStep?.(spent);
            },
          },
        }
      : request;
    let response: ModelResponse;
    try {
      response = await this.inner.generate(sent);
    } catch (error) {
      const spent = usageOfFailure(error);
      // steps charged already stand for the failed call; a larger reported usage adds the rest
      if (spent && charged.calls === 0) this.add(spent);
      else if (spent) this.add(minus(spent, charged));
      throw error;
    }
    this.add(minus(response.usage, charged));
    return response;
  }

  /**
   * See {@link ModelClient.media}: the budget is checked first, the call (or its failure) charged
   * after, like {@link generate}.
   * @throws TaskgraphError `CONFIG_INVALID` when the wrapped client has no media models
   */
  async media(request: MediaRequest): Promise<MediaResponse> {
    if (!this.inner.media) {
      throw new TaskgraphError('CONFIG_INVALID', `${request.label ?? 'a node'} needs a ${request.kind} model, but the model client has none`, {
        hint: 'configure model profiles in taskgraph.yaml (a profile with media: ' + request.kind + ') or pass --replay CASSETTE',
      });
    }
    const stop = this.hooks.beforeCall();
    if (stop) {
      throw new TaskgraphError('BUDGET_EXCEEDED', stop.reason, {
        details: { scope: stop.scope, ...(request.label ? { label: request.label } : {}) },
        hint: 'raise the limit and resume the run (e.g. taskgraph resume RUN --max-cost 5)',
      });
    }
    try {
      const response = await this.inner.media(request);
      this.add(response.usage);
      return response;
    } catch (error) {
      const spent = usageOfFailure(error);
      if (spent) this.add(spent);
      throw error;
    }
  }

  private add(usage: Usage): void {
    if (usage.calls === 0 && usage.inputTokens === 0 && usage.outputTokens === 0 && usage.costUsd === 0) return;
    this.total = sumUsage(this.total, usage);
    this.hooks.charge(usage);
  }
}

/** `a - b`, each count at least 0 (`model` from `a`). */
function minus(a: Usage, b: Usage): Usage {
  return {
    inputTokens: Math.max(0, a.inputTokens - b.inputTokens),
    outputTokens: Math.max(0, a.outputTokens - b.outputTokens),
    costUsd: Math.max(0, a.costUsd - b.costUsd),
    calls: Math.max(0, a.calls - b.calls),
    ...(a.model !== undefined ? { model: a.model } : {}),
  };
}
