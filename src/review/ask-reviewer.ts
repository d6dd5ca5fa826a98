import type { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { isJsonObject } from '../core/json.js';
import type { ModelClient } from '../llm/model-client.js';
import { sumUsage } from '../core/usage.js';
import type { Usage } from '../store/store.js';

/** One structured request to the reviewer model. */
export interface ReviewerRequest<T> {
  client: ModelClient;
  /** the reviewer profile (`roles.reviewer`, or its fallback on a retry) */
  profile: string;
  system: string;
  prompt: string;
  /** the answer's schema (`TaskReviewSchema`, `PrReviewSchema`) */
  schema: z.ZodType<T>;
  schemaName: string;
  /** who asks (the node id), for cassettes and error messages */
  label: string;
  /** repair rounds after an invalid answer (`policy.maxRepairs`) */
  maxRepairs: number;
  signal?: AbortSignal;
}

/**
 * Asks the reviewer model for a schema-valid object (AI SDK structured output through the model
 * client). An answer that fails the schema (the client's MODEL_OUTPUT_INVALID, or an object that
 * does not parse) is asked again with the problems appended, up to `maxRepairs` times, like the
 * planner's repairs (`planning/plan-level.ts`).
 * @returns the parsed object and the usage of every call made (failed ones that reported usage included)
 * @throws TaskgraphError MODEL_OUTPUT_INVALID when the answer is still invalid after the repairs
 *   (details: `text`, `issues`, `usage`); whatever the client throws otherwise
 */
export async function askReviewer<T>(request: ReviewerRequest<T>): Promise<{ value: T; usage: Usage }> {
  let usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
  let prompt = request.prompt;
  let lastText = '';
  let issues: string[] = [];
  for (let round = 0; round <= request.maxRepairs; round++) {
    if (round > 0) {
      prompt = `${request.prompt}\n\n## Your previous answer was invalid\n${issues.map((i) => `- ${i}`).join('\n')}\n\nPrevious answer:\n${lastText.slice(0, 2000)}\n\nAnswer again with JSON that matches the schema, nothing else.`;
    }
    let candidate: unknown;
    try {
      const response = await request.client.generate({
        profile: request.profile,
        system: request.system,
        prompt,
        schema: request.schema,
        schemaName: request.schemaName,
        label: round === 0 ? request.label : `${request.label} repair ${round}`,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      usage = sumUsage(usage, response.usage);
      lastText = response.text;
      candidate = response.object ?? parseJson(response.text);
    } catch (error) {
      if (!(error instanceof TaskgraphError) || error.code !== 'MODEL_OUTPUT_INVALID') throw error;
      const reported = error.details['usage'];
      usage = isJsonObject(reported as never) ? sumUsage(usage, reported as unknown as Usage) : { ...usage, calls: usage.calls + 1 };
      lastText = typeof error.details['text'] === 'string' ? error.details['text'] : '';
      candidate = parseJson(lastText);
    }
    const parsed = request.schema.safeParse(candidate);
    if (parsed.success) return { value: parsed.data, usage };
    issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`);
  }
  throw new TaskgraphError('MODEL_OUTPUT_INVALID', `the reviewer's answer for ${request.label} is still invalid after ${request.maxRepairs} repair${request.maxRepairs === 1 ? '' : 's'}: ${issues.join('; ')}`, {
    details: { text: lastText.slice(0, 2000), issues, usage },
    hint: 'point roles.reviewer at a model that follows JSON schemas, raise policy.maxRepairs, or turn review off in taskgraph.yaml',
  });
}

/** JSON in a text, inside a code fence or bare; undefined when it does not parse. */
function parseJson(text: string): unknown {
  const m = /```(?:json)?\s*\n([\s\S]*?)```/.exec(text);
  try {
    return JSON.parse((m ? m[1]! : text).trim());
  } catch {
    return undefined;
  }
}
