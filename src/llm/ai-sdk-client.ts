import { setTimeout as sleep } from 'node:timers/promises';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { generateText, JSONParseError, NoObjectGeneratedError, Output, stepCountIs, tool, type ToolSet, TypeValidationError } from 'ai';
import pRetry from 'p-retry';
import type { ModelProfile } from '../core/config.js';
import { redactError, TaskgraphError } from '../core/errors.js';
import { Redactor } from '../security/redact.js';
import { type ModelClient, type ModelRequest, type ModelResponse, NOT_SENT_CODES } from './model-client.js';
import { Cassette, recordingModel, replayModel } from './cassette.js';
import { createLanguageModel } from './providers.js';
import { backoffDelayMs } from '../core/backoff.js';
import { classifyProviderError } from './provider-errors.js';
import { findModelTimeout } from './timed-fetch.js';
import { callUsage, validateTokens } from './usage.js';
import { streamAnswer } from './stream-answer.js';
import type { Usage } from '../store/store.js';
import { sumUsage } from '../core/usage.js';

/** Options for {@link AiSdkModelClient}. */
export interface AiSdkModelClientOptions {
  /** model profiles by name (taskgraph.yaml `models`) */
  profiles: Record<string, ModelProfile>;
  /** where API keys are read (default `process.env`) */
  env?: NodeJS.ProcessEnv;
  /** record every live exchange into this cassette file (created or extended; saved after each call) */
  record?: string;
  /** answer only from this cassette file: no network, no API key */
  replay?: string;
  /** retries after the first attempt for transient provider errors (default 3) */
  retries?: number;
  /** backoff base in ms: attempt n waits a random time in [0, min(retryMaxMs, retryBaseMs * 2^(n-1))] (default 500) */
  retryBaseMs?: number;
  /** backoff cap in ms (default 30,000) */
  retryMaxMs?: number;
  /** longest Retry-After in ms the client will wait; a longer one fails the call at once as retryable (default 60,000) */
  maxRetryAfterMs?: number;
  /**
   * total timeout of one request in ms for profiles that set no `timeoutMs` (default 300,000); a
   * timed-out request is retried as a transient failure
   */
  timeoutMs?: number;
  /** idle timeout (no byte received) of one request in ms for profiles that set no `idleTimeoutMs` (default 60,000) */
  idleTimeoutMs?: number;
}

/**
 * The {@link ModelClient} on the AI SDK (DESIGN.md §8). For each request it resolves the profile,
 * builds the language model (live, recording, or replaying a cassette), calls `generateText`
 * (with `Output.object({ schema })` when a schema is given; `streamText` for a plain text
 * request with `onDelta` to a live model, see `stream-answer.ts`) with the SDK's own retries off
 * (`maxRetries: 0`), and retries transient failures itself with p-retry: HTTP 408/409/429/5xx,
 * network errors (ECONNRESET, ...) and timeouts, waiting as the `Retry-After` header says
 * (RFC 9110 §10.2.3) or with exponential backoff and full jitter.
 *
 * Secrets never cross this boundary: the system and user text are redacted before they are sent
 * (or recorded into a cassette), and every error it throws is redacted (`security/redact.ts`,
 * with the values of `env`'s secret variables and of every profile's `apiKeyEnv`).
 *
 * Every HTTP request is bounded by the profile's total and idle timeouts (`timeoutMs`,
 * `idleTimeoutMs`; see `timed-fetch.ts`), so a server that never answers costs at most about
 * (retries + 1) × the idle timeout plus the backoff waits. Token counts the server reports are
 * checked (`usage.ts`): invalid usage fails the call, never becomes a credit.
 *
 * One `generate` is one model call (`usage.calls = 1`), whatever transport retries it took. An
 * error from a call that reached the model (every code but {@link NOT_SENT_CODES}) carries that
 * call's {@link Usage} in `details.usage`: the tokens the server reported for an answer that
 * failed the schema, else zero tokens, and `calls: 1`; callers meter it like a success.
 *
 * Errors (all TaskgraphError): `CONFIG_INVALID` (unknown profile, or both record and replay),
 * `MISSING_API_KEY`, `CASSETTE_MISS`, `PROVIDER_ERROR` (`retryable`, `details.status`),
 * `MODEL_OUTPUT_INVALID` (`details.text` = raw answer, `details.issues`), `ABORTED`; a timeout
 * is a retryable `PROVIDER_ERROR` (`details.timeout` = `total` | `idle`, `details.timeoutMs`);
 * invalid usage is a `PROVIDER_ERROR` that is not retried;
 * cassette files: `NOT_FOUND` / `CONFIG_INVALID` from the constructor.
 */
export class AiSdkModelClient implements ModelClient {
  /** the cassette being recorded or replayed, if any */
  readonly cassette: Cassette | undefined;
  private readonly mode: 'live' | 'record' | 'replay';
  private readonly profiles: Record<string, ModelProfile>;
  private readonly env: NodeJS.ProcessEnv;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly timeoutMs: number | undefined;
  private readonly idleTimeoutMs: number | undefined;
  private readonly liveModels = new Map<string, LanguageModelV4>();
  private readonly redactor: Redactor;

  /**
   * @throws TaskgraphError `CONFIG_INVALID` when both `record` and `replay` are set or the cassette
   *   is malformed; `NOT_FOUND` when the replay cassette does not exist
   */
  constructor(options: AiSdkModelClientOptions) {
    if (options.record && options.replay) {
      throw new TaskgraphError('CONFIG_INVALID', 'cannot record and replay a cassette at the same time', {
        hint: 'pass either --record FILE or --replay FILE',
      });
    }
    this.profiles = options.profiles;
    this.env = options.env ?? process.env;
    this.redactor = new Redactor({ env: this.env, names: Object.values(options.profiles).map((p) => p.apiKeyEnv) });
    this.retries = options.retries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.timeoutMs = options.timeoutMs;
    this.idleTimeoutMs = options.idleTimeoutMs;
    if (options.replay) {
      this.mode = 'replay';
      this.cassette = Cassette.load(options.replay);
    } else if (options.record) {
      this.mode = 'record';
      this.cassette = Cassette.open(options.record);
    } else {
      this.mode = 'live';
      this.cassette = undefined;
    }
  }

  /** See {@link ModelClient.generate}; errors are listed on the class. */
  async generate(request: ModelRequest): Promise<ModelResponse> {
    try {
      return await this.generateRedacted({
        ...request,
        prompt: this.redactor.redact(request.prompt),
        ...(request.system !== undefined ? { system: this.redactor.redact(request.system) } : {}),
      });
    } catch (error) {
      throw error instanceof TaskgraphError ? redactError(error, this.redactor) : error;
    }
  }

  private async generateRedacted(request: ModelRequest): Promise<ModelResponse> {
    const profile = this.profiles[request.profile];
    if (!profile) {
      const known = Object.keys(this.profiles).sort();
      throw new TaskgraphError('CONFIG_INVALID', `unknown model profile "${request.profile}"${request.label ? ` (asked by ${request.label})` : ''}; known profiles: ${known.length ? known.join(', ') : '(none)'}`, {
        details: { profile: request.profile, known },
        hint: `add models.${request.profile} to taskgraph.yaml or use one of the known profiles`,
      });
    }
    const modelName = `${profile.provider}:${profile.model}`;
    const who = `${request.label ? `${request.label} ` : ''}(profile "${request.profile}", ${modelName})`;
    const model = this.modelFor(request, profile);

    // plain text calls to a live model stream (a cassette records and replays whole answers)
    let streamed = false; // whether an earlier try already streamed text
    const images = request.images ?? [];
    const listener = request.onDelta && !request.schema && !request.tools && images.length === 0 && this.mode === 'live' ? request.onDelta : undefined;
    // images (issue 16, `screenshot` outputs) go as image parts of one user message after the text;
    // the cassette's request hash and record hold them (`cassette.ts` encodes their bytes)
    const input =
      images.length > 0
        ? { messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: request.prompt }, ...images.map((i) => ({ type: 'image' as const, image: i.data, mediaType: i.mediaType }))] }] }
        : { prompt: request.prompt };
    const attempt = async (): Promise<ModelResponse> => {
      request.tools?.reset?.();
      let first = true;
      const onDelta = listener
        ? (text: string) => {
            listener(text, first && streamed);
            first = false;
            streamed = true;
          }
        : undefined;
      const common = {
        model,
        ...(request.system !== undefined ? { system: request.system } : {}),
        ...input,
        maxRetries: 0,
        ...(profile.temperature !== undefined ? { temperature: profile.temperature } : {}),
        ...(profile.maxOutputTokens !== undefined ? { maxOutputTokens: profile.maxOutputTokens } : {}),
        ...(request.signal ? { abortSignal: request.signal } : {}),
      };
      let tokens = { inputTokens: 0, outputTokens: 0 };
      try {
        if (request.schema) {
          const result = await generateText({
            ...common,
            output: Output.object({ schema: request.schema, ...(request.schemaName ? { name: request.schemaName } : {}) }),
          });
          return this.response(result.text, result.output, validateTokens(result.usage, who, modelName), profile, modelName, true);
        }
        if (request.tools) {
          const tools = request.tools;
          const set: ToolSet = {};
          for (const [name, t] of Object.entries(tools.set)) {
            set[name] = tool({ description: t.description, inputSchema: t.inputSchema, execute: async (input: unknown) => t.execute(input) });
          }
          const result = await generateText({
            ...common,
            tools: set,
            stopWhen: stepCountIs(tools.maxSteps),
            prepareStep: ({ stepNumber, steps }) => {
              if (stepNumber > 0 && tools.beforeStep) {
                let spent: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
                for (const step of steps) spent = sumUsage(spent, callUsage(validateTokens(step.usage, who, modelName), profile.price, modelName));
                tools.beforeStep(spent);
              }
              return undefined;
            },
          });
          const steps = Math.max(1, result.steps.length);
          const response = this.response(result.text, undefined, validateTokens(result.totalUsage, who, modelName), profile, modelName, false);
          return { ...response, usage: { ...response.usage, calls: steps }, steps };
        }
        if (onDelta) {
          const result = await streamAnswer({ ...common, prompt: request.prompt }, onDelta);
          return this.response(result.text, undefined, validateTokens(result.usage, who, modelName), profile, modelName, false);
        }
        const result = await generateText(common);
        return this.response(result.text, undefined, validateTokens(result.usage, who, modelName), profile, modelName, false);
      } catch (error) {
        let failure: TaskgraphError;
        const timeout = findModelTimeout(error);
        if (request.signal?.aborted) {
          failure = new TaskgraphError('ABORTED', `model call ${who} was aborted`, { cause: error });
        } else if (timeout) {
          failure = new TaskgraphError('PROVIDER_ERROR', `model call ${who} timed out: ${timeout.message}`, {
            cause: error,
            retryable: true,
            details: { timeout: timeout.kind, timeoutMs: timeout.ms, model: modelName },
            hint: `raise models.${request.profile}.${timeout.kind === 'total' ? 'timeoutMs' : 'idleTimeoutMs'} in taskgraph.yaml, or check that the model server is up`,
          });
        } else {
          try {
            // an answer that failed the schema still cost what the server reports
            if (NoObjectGeneratedError.isInstance(error) && error.usage) tokens = validateTokens(error.usage, who, modelName);
            failure = toTaskgraphError(error, who, modelName);
          } catch (invalid) {
            failure = invalid as TaskgraphError;
          }
        }
        if (!NOT_SENT_CODES.has(failure.code)) failure.details.usage = { ...callUsage(tokens, profile.price, modelName) };
        throw failure;
      }
    };

    // p-retry 6 still calls onFailedAttempt after shouldRetry said no, so both ask this
    const willRetry = (error: unknown): error is TaskgraphError =>
      error instanceof TaskgraphError &&
      error.retryable &&
      !(typeof error.details.retryAfterMs === 'number' && error.details.retryAfterMs > this.maxRetryAfterMs);

    try {
      return await pRetry(attempt, {
        retries: this.retries,
        // p-retry only counts attempts here; the wait is computed in onFailedAttempt below
        minTimeout: 0,
        maxTimeout: 0,
        ...(request.signal ? { signal: request.signal } : {}),
        shouldRetry: willRetry,
        onFailedAttempt: async (error) => {
          if (error.retriesLeft <= 0 || !willRetry(error)) return;
          const retryAfterMs = error.details.retryAfterMs;
          const wait =
            typeof retryAfterMs === 'number' ? retryAfterMs : backoffDelayMs(error.attemptNumber, this.retryBaseMs, this.retryMaxMs);
          await sleep(wait, undefined, request.signal ? { signal: request.signal } : undefined);
        },
      });
    } catch (error) {
      if (error instanceof TaskgraphError) {
        // p-retry stamps the failing attempt's number on the error
        const attempts = (error as { attemptNumber?: unknown }).attemptNumber;
        if (typeof attempts === 'number') error.details.attempts = attempts;
        throw error;
      }
      if (request.signal?.aborted) throw new TaskgraphError('ABORTED', `model call ${who} was aborted`, { cause: error });
      throw toTaskgraphError(error, who, modelName);
    }
  }

  private modelFor(request: ModelRequest, profile: ModelProfile): LanguageModelV4 {
    if (this.mode === 'replay') {
      const label = request.label ? `${request.label} (profile "${request.profile}")` : `profile "${request.profile}"`;
      return replayModel(profile.provider, profile.model, this.cassette!, { label });
    }
    let live = this.liveModels.get(request.profile);
    if (!live) {
      live = createLanguageModel(request.profile, profile, this.env, {
        ...(this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {}),
        ...(this.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.idleTimeoutMs } : {}),
      });
      if (this.mode === 'record') {
        live = recordingModel(live, this.cassette!, { provider: profile.provider, modelId: profile.model });
      }
      this.liveModels.set(request.profile, live);
    }
    return live;
  }

  private response(
    text: string,
    object: unknown,
    tokens: { inputTokens: number; outputTokens: number },
    profile: ModelProfile,
    modelName: string,
    structured: boolean,
  ): ModelResponse {
    const usage: Usage = callUsage(tokens, profile.price, modelName);
    return { text, ...(structured ? { object } : {}), usage, model: modelName };
  }
}

/** Maps schema failures to MODEL_OUTPUT_INVALID and everything else via classifyProviderError. */
function toTaskgraphError(error: unknown, who: string, modelName: string): TaskgraphError {
  if (error instanceof TaskgraphError) return error;
  if (NoObjectGeneratedError.isInstance(error)) {
    const issues = schemaIssues(error.cause);
    return new TaskgraphError(
      'MODEL_OUTPUT_INVALID',
      `model ${who} answered with output that does not match the schema: ${issues.slice(0, 3).join('; ') || error.message}`,
      {
        cause: error,
        details: { text: error.text ?? '', issues, model: modelName, finishReason: error.finishReason },
        hint: 'repair the prompt (give the model the issues and its raw text) or use a stronger model',
      },
    );
  }
  return classifyProviderError(error, who, modelName);
}

/** Human-readable issues from the cause of a NoObjectGeneratedError (JSON or schema errors). */
function schemaIssues(cause: unknown): string[] {
  if (JSONParseError.isInstance(cause)) return [`invalid JSON: ${messageOf(cause.cause) ?? cause.message}`];
  if (TypeValidationError.isInstance(cause)) {
    const inner = cause.cause as { issues?: Array<{ path?: PropertyKey[]; message?: string }> } | undefined;
    if (inner && Array.isArray(inner.issues)) {
      return inner.issues.map((i) => `${(i.path ?? []).map(String).join('.') || '(root)'}: ${i.message ?? 'invalid'}`);
    }
    return [messageOf(cause.cause) ?? cause.message];
  }
  const message = messageOf(cause);
  return message ? [message] : [];
}

function messageOf(value: unknown): string | undefined {
  return value instanceof Error ? value.message : undefined;
}
