import { TaskgraphError } from '../core/errors.js';
import { sumUsage } from '../core/usage.js';
import { isJsonObject } from '../core/json.js';
import type { ModelClient } from '../llm/model-client.js';
import type { Usage } from '../store/store.js';
import { type PlanIssue, type PlanOutput, PlanOutputSchema, type PlanParseResult, parsePlanText, parsePlanValue } from './plan-schema.js';
import { buildRepairPrompt, trimMiddle } from './prompts.js';
import { formatPlanIssues, type ValidatePlanOptions, validatePlanOutput } from './validate-plan.js';

/** Characters of the last invalid answer quoted in a `PLAN_INVALID` error. */
export const ERROR_ECHO_CHARS = 2000;

/** Progress of planning, for live display and logs. `level` is `goal` or the id of the task being decomposed. */
export type PlanEvent =
  | { type: 'plan:request'; level: string; depth: number; attempt: number }
  | { type: 'plan:repair'; level: string; depth: number; attempt: number; issues: PlanIssue[] }
  | { type: 'plan:level'; level: string; depth: number; taskIds: string[] }
  | { type: 'plan:depth-limit'; taskId: string; depth: number };

/** One planner level request: what to ask and how to check the answer. */
export interface PlanLevelRequest {
  client: ModelClient;
  profile: string;
  system: string;
  prompt: string;
  /** `goal` or the id of the task being decomposed (events, labels, errors) */
  level: string;
  depth: number;
  /** repair rounds allowed after the first answer (>= 0) */
  maxRepairs: number;
  /** turns the raw schema-valid answer into this level's form (e.g. strips a repeated `T2.` id prefix) before validation */
  normalize?: (output: PlanOutput) => PlanOutput;
  validate?: ValidatePlanOptions;
  signal?: AbortSignal;
  onEvent?: (event: PlanEvent) => void;
}

/** A valid answer for one level and what it cost. */
export interface PlanLevelResult {
  output: PlanOutput;
  /** summed over every call of this level, including failed ones that reported usage */
  usage: Usage;
  calls: number;
  repairs: number;
}

/**
 * Asks the planner model for one level of tasks and repairs invalid answers: the answer is
 * checked against `PlanOutputSchema` (decoded from `response.object`, else from the raw text)
 * and with {@link validatePlanOutput}; when it has problems, the request is sent again with the
 * previous answer and the list of problems appended, up to `maxRepairs` times. A client
 * rejection with `MODEL_OUTPUT_INVALID` counts as an invalid answer: its `details.text` is
 * checked the same way (and accepted if it passes, e.g. JSON inside a code fence).
 * @throws TaskgraphError `PLAN_INVALID` after `maxRepairs` repairs, with the last answer (trimmed to
 *   {@link ERROR_ECHO_CHARS} characters) and its problems in the message and in `details`
 * @throws whatever the client throws besides `MODEL_OUTPUT_INVALID` (PROVIDER_ERROR, CASSETTE_MISS ...)
 */
export async function requestPlanLevel(request: PlanLevelRequest): Promise<PlanLevelResult> {
  let usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
  let calls = 0;
  let prompt = request.prompt;
  let lastText = '';
  let lastIssues: PlanIssue[] = [];
  for (let attempt = 0; attempt <= request.maxRepairs; attempt++) {
    if (attempt > 0) {
      request.onEvent?.({ type: 'plan:repair', level: request.level, depth: request.depth, attempt, issues: lastIssues });
      prompt = buildRepairPrompt(request.prompt, lastText, lastIssues);
    }
    request.onEvent?.({ type: 'plan:request', level: request.level, depth: request.depth, attempt });
    calls++;
    let parsed: PlanParseResult;
    try {
      const response = await request.client.generate({
        profile: request.profile,
        system: request.system,
        prompt,
        schema: PlanOutputSchema,
        schemaName: 'plan',
        label: request.level === 'goal' ? 'plan' : `plan:${request.level}`,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      usage = sumUsage(usage, response.usage);
      if (response.object !== undefined) {
        lastText = response.text.trim() !== '' ? response.text : JSON.stringify(response.object);
        parsed = parsePlanValue(response.object);
      } else {
        lastText = response.text;
        parsed = parsePlanText(response.text);
      }
    } catch (error) {
      if (!(error instanceof TaskgraphError) || error.code !== 'MODEL_OUTPUT_INVALID') throw error;
      const reported = error.details['usage'];
      if (isUsage(reported)) usage = sumUsage(usage, reported);
      else usage = { ...usage, calls: usage.calls + 1 };
      const text = error.details['text'];
      lastText = typeof text === 'string' ? text : '';
      parsed = parsePlanText(lastText);
    }
    if (parsed.ok) {
      const output = request.normalize ? request.normalize(parsed.plan) : parsed.plan;
      const issues = validatePlanOutput(output, request.validate);
      if (issues.length === 0) {
        request.onEvent?.({ type: 'plan:level', level: request.level, depth: request.depth, taskIds: output.tasks.map((t) => t.id) });
        return { output, usage, calls, repairs: attempt };
      }
      lastIssues = issues;
    } else {
      lastIssues = parsed.issues;
    }
  }
  const what = request.level === 'goal' ? 'the goal' : `task ${request.level}`;
  const shown = lastText.trim() === '' ? '(empty answer)' : trimMiddle(lastText.trim(), ERROR_ECHO_CHARS);
  throw new TaskgraphError(
    'PLAN_INVALID',
    `the planner's answer for ${what} is still invalid after ${request.maxRepairs} repair${request.maxRepairs === 1 ? '' : 's'}.\nProblems:\n${formatPlanIssues(lastIssues)}\nLast answer (trimmed):\n${shown}`,
    {
      details: { level: request.level, depth: request.depth, calls, issues: lastIssues, output: shown },
      hint: 'plan again, raise policy.maxRepairs, or point the planner role at a stronger model profile in taskgraph.yaml',
    },
  );
}


function isUsage(value: unknown): value is Usage {
  return (
    isJsonObject(value) &&
    typeof value['inputTokens'] === 'number' &&
    typeof value['outputTokens'] === 'number' &&
    typeof value['costUsd'] === 'number' &&
    typeof value['calls'] === 'number'
  );
}
