import { setTimeout as sleep } from 'node:timers/promises';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { generateText, JSONParseError, NoObjectGeneratedError, Output, TypeValidationError } from 'ai';
import pRetry from 'p-retry';
import type { ModelProfile } from '../core/config.js';
import { redactError, TaskgraphError } from '../core/errors.js';
import { Redactor } from '../security/redact.js';
import type { ModelClient, ModelRequest, ModelResponse } from './model-client.js';
import { Cassette, recordingModel, replayModel } from './cassette.js';
import { costUsd } from './pricing.js';
import { createLanguageModel } from './providers.js';
import { backoffDelayMs } from '../core/backoff.js';
import { classifyProviderError } from './provider-errors.js';

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
  /** per-attempt timeout in ms; a timed-out attempt is retried (default none) */
  timeoutMs?: number;
}

/**
 * The {@link ModelClient} on the AI SDK (DESIGN.md §8). For each request it resolves the profile,
 * builds the language model (live, recording, or replaying a cassette), calls `generateText`
 * (with `Output.object({ schema })` when a schema is given) with the SDK's own retries off
 * (`maxRetries: 0`), and retries transient failures itself with p-retry: HTTP 408/409/429/5xx,
 * network errors (ECONNRESET, ...) and timeouts, waiting as the `Retry-After` header says
 * (RFC 9110 §10.2.3) or with exponential backoff and full jitter.
 *
 * Secrets never cross this boundary: the system and user text are redacted before they are sent
 * (or recorded into a cassette), and every error it throws is redacted (`security/redact.ts`,
 * with the values of `env`'s secret variables and of every profile's `apiKeyEnv`).
 *
 * Errors (all TaskgraphError): `CONFIG_INVALID` (unknown profile, or both record and replay),
 * `MISSING_API_KEY`, `CASSETTE_MISS`, `PROVIDER_ERROR` (`retryable`, `details.status`),
 * `MODEL_OUTPUT_INVALID` (`details.text` = raw answer, `details.issues`), `ABORTED`;
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

    const attempt = async (): Promise<ModelResponse> => {
      const timeout = this.timeoutMs !== undefined ? AbortSignal.timeout(this.timeoutMs) : undefined;
      const signals = [request.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
      const abortSignal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const common = {
        model,
        ...(request.system !== undefined ? { system: request.system } : {}),
        prompt: request.prompt,
        maxRetries: 0,
        ...(profile.temperature !== undefined ? { temperature: profile.temperature } : {}),
        ...(profile.maxOutputTokens !== undefined ? { maxOutputTokens: profile.maxOutputTokens } : {}),
        ...(abortSignal ? { abortSignal } : {}),
      };
      try {
        if (request.schema) {
          const result = await generateText({
            ...common,
            output: Output.object({ schema: request.schema, ...(request.schemaName ? { name: request.schemaName } : {}) }),
          });
          return this.response(result.text, result.output, result.usage, profile, modelName, true);
        }
        const result = await generateText(common);
        return this.response(result.text, undefined, result.usage, profile, modelName, false);
      } catch (error) {
        if (request.signal?.aborted) {
          throw new TaskgraphError('ABORTED', `model call ${who} was aborted`, { cause: error });
        }
        if (timeout?.aborted) {
          throw new TaskgraphError('PROVIDER_ERROR', `model call ${who} timed out after ${this.timeoutMs} ms`, {
            cause: error,
            retryable: true,
            details: { timeoutMs: this.timeoutMs, model: modelName },
            hint: 'raise the timeout or try a faster model',
          });
        }
        throw toTaskgraphError(error, who, modelName);
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
      live = createLanguageModel(request.profile, profile, this.env);
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
    usage: { inputTokens: number | undefined; outputTokens: number | undefined },
    profile: ModelProfile,
    modelName: string,
    structured: boolean,
  ): ModelResponse {
    const tokens = { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
    return {
      text,
      ...(structured ? { object } : {}),
      usage: { ...tokens, costUsd: costUsd(tokens, profile.price), model: modelName, calls: 1 },
      model: modelName,
    };
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
