import type { z } from 'zod';
import type { Usage } from '../store/store.js';

/**
 * The ModelProvider boundary (DESIGN.md §8): the engine and planner ask a `ModelClient` for text
 * or a schema-checked object by *profile name*; the implementation (`ai-sdk-client.ts`) resolves
 * the profile to an AI SDK language model (OpenAI, Anthropic, OpenAI-compatible), wraps it with
 * the cassette recorder/replayer, and prices the usage. Tests put a loopback fake server behind
 * the same code.
 */
export interface ModelRequest {
  /** model profile name from taskgraph.yaml (`planner`, `coder`, ...) */
  profile: string;
  system?: string;
  /** the user message */
  prompt: string;
  /** when set, the model must answer with JSON matching this schema (AI SDK `Output.object`) */
  schema?: z.ZodType;
  /** a name for the schema (providers that support it use it) */
  schemaName?: string;
  /** who asks, for error messages (e.g. node id `T1/edit`) */
  label?: string;
  signal?: AbortSignal;
}

/** What a model call returns. */
export interface ModelResponse {
  /** raw text of the answer */
  text: string;
  /** the parsed, schema-valid object when `schema` was given */
  object?: unknown;
  /** tokens and USD cost of this call (calls = 1) */
  usage: Usage;
  /** `provider:model` */
  model: string;
}

/**
 * Error codes of failures that happen before a request reaches a model (unknown profile, missing
 * key, a cassette without the answer): such a failure is not a model call and carries no usage.
 */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set(['CONFIG_INVALID', 'MISSING_API_KEY', 'CASSETTE_MISS']);

/**
 * Calls models by profile.
 * Rejects with TaskgraphError: `MISSING_API_KEY` (names the variable), `CASSETTE_MISS` (names the
 * label and request hash), `MODEL_OUTPUT_INVALID` (details.text = raw output, details.issues),
 * `PROVIDER_ERROR` (retryable for 429/5xx/timeouts), `CONFIG_INVALID` (unknown profile).
 * Every rejection but {@link NOT_SENT_CODES} is a call that reached a model: it carries that
 * call's `Usage` (`calls: 1`, the tokens the server reported, if any) in `details.usage`.
 */
export interface ModelClient {
  generate(request: ModelRequest): Promise<ModelResponse>;
}
