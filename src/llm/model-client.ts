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
  /**
   * read-only tools the model may call (AI SDK tool calling) before it answers; only for
   * requests without `schema`. Each step of the loop is one HTTP request and one model call.
   */
  tools?: ModelTools;
  /**
   * receives the answer's text as it arrives, chunk by chunk (the model call streams:
   * AI SDK `streamText`). Only plain text requests stream: a request with `schema` or `tools`,
   * or a client on a cassette (recording or replaying), never calls it and answers as without
   * it. The response (text, usage, errors) is the same either way. `restart` is true on the first
   * chunk of a retried try whose failed try already streamed text: that earlier text is void.
   */
  onDelta?: ModelDeltaListener;
  /**
   * images sent after `prompt` in the same user message, as image parts (vision-capable models;
   * `nodes/llm.ts` refuses a profile without `vision: true`). A request with images never streams.
   */
  images?: readonly ModelImage[];
}

/** An image given to a model: PNG/JPEG/WebP bytes as base64 (no `data:` prefix). */
export interface ModelImage {
  /** `image/png`, `image/jpeg`, `image/webp` */
  mediaType: string;
  /** base64 of the image bytes */
  data: string;
}

/** See {@link ModelRequest.onDelta}: a chunk of the answer's text; `restart`: forget what came before. */
export type ModelDeltaListener = (text: string, restart: boolean) => void;

/** One tool the model may call: its result is plain text handed back to the model. */
export interface ModelTool {
  description: string;
  /** the arguments' schema (sent to the model as JSON Schema, checked before `execute`) */
  inputSchema: z.ZodType;
  /** runs the tool; resolves to the text the model sees (errors should be answered as text) */
  execute(input: any): Promise<string>;
}

/** The tools of a request and the bounds of its loop. */
export interface ModelTools {
  /** tools by name (`read_file`, `search`, ...) */
  set: Record<string, ModelTool>;
  /** model steps (requests) at most, the final answer included (>= 1) */
  maxSteps: number;
  /**
   * called before each step after the first with what the steps so far cost (tokens, USD,
   * `calls` = steps): the budget check of a metered client; throwing a TaskgraphError stops the
   * loop with it
   */
  beforeStep?: (spent: Usage) => void;
  /** called before each try of the whole exchange (a transient failure retries it from the first step): tools forget what the failed try recorded */
  reset?: () => void;
}

/** What a model call returns. */
export interface ModelResponse {
  /** raw text of the answer */
  text: string;
  /** the parsed, schema-valid object when `schema` was given */
  object?: unknown;
  /** tokens and USD cost of this call, all steps summed (calls = the steps a tool loop took, else 1) */
  usage: Usage;
  /** model steps taken (1 without tools) */
  steps?: number;
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
