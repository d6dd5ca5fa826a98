import { z } from 'zod';

/**
 * A model profile of `taskgraph.yaml` (`models:`; DESIGN.md §8): a named model choice for a node
 * role, with its price (USD per million tokens), media kind and capabilities. Re-exported by
 * `core/config.ts`, which holds the rest of the project configuration.
 */

/** Price in USD per million tokens. */
export const PriceSchema = z
  .object({
    input: z.number().nonnegative().describe('USD per 1,000,000 input tokens'),
    output: z.number().nonnegative().describe('USD per 1,000,000 output tokens'),
  })
  .strict();

/** {@link PriceSchema} as a type. */
export type Price = z.infer<typeof PriceSchema>;

/** Providers reachable through the AI SDK. */
export const PROVIDERS = ['openai', 'anthropic', 'openai-compatible'] as const;

/** A model profile: a named model choice for a node role (planner, coder, cheap ...). */
export const ModelProfileSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    model: z.string().min(1),
    /** for `openai-compatible` (required there) or to override the provider's default URL */
    baseURL: z.string().url().optional(),
    /** environment variable that holds the API key; defaults: OPENAI_API_KEY, ANTHROPIC_API_KEY, none for openai-compatible */
    apiKeyEnv: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().positive().optional(),
    price: PriceSchema.optional(),
    /**
     * ms a whole model call may take, first byte to last (default 300,000 = 5 min); a call over it
     * is aborted and retried as a transient failure
     */
    timeoutMs: z.number().int().positive().optional(),
    /**
     * ms a model call may go without receiving a byte (default 60,000); a server that stops sending
     * (or never answers) is aborted after it, however long the total timeout
     */
    idleTimeoutMs: z.number().int().positive().optional(),
    /** a stronger profile used for a node's retries after a failure (model escalation) */
    fallback: z.string().min(1).optional(),
    /**
     * how `llm` nodes with the `edit` template ask this model for changes (default `udiff`):
     * `udiff` unified diffs (strong models), `search-replace` SEARCH/REPLACE blocks, `whole`
     * complete files (small files; costs output tokens in proportion to the file size)
     */
    editFormat: z
      .enum(['udiff', 'search-replace', 'whole'])
      .optional()
      .describe(
        'Edit format the `edit` prompt asks this model for; default "udiff". "udiff": unified diffs (strong models); ' +
          '"search-replace": SEARCH/REPLACE blocks; "whole": complete files, for small files only',
      ),
    /**
     * whether `llm` edit nodes give this model read-only tools (`read_file`, `search`,
     * `list_files`, `symbol`; `nodes/llm-tools.ts`) through the provider's tool calling (default
     * false). The server must support tool calls (OpenAI, Anthropic; Ollama with qwen2.5-coder,
     * llama3.1 and other tool-trained models)
     */
    tools: z.boolean().optional(),
    /** model steps (requests) one tool-using call may take at most, the final answer included (default 6) */
    maxSteps: z.number().int().min(1).max(50).optional(),
    /** tokens of tool results one tool-using call may read in all (default 8,000); past it tools answer "budget exhausted" */
    toolTokens: z.number().int().min(0).optional(),
    /** the model reads images: `llm` nodes may give it `images` inputs (e.g. `screenshot` outputs) as image parts (default false) */
    vision: z.boolean().optional(),
    /**
     * a media model (issue 16): `image` (image generation), `speech` (text to speech) or
     * `transcription` (audio to text), used by the `image`, `speech` and `transcribe` node kinds
     * through the AI SDK's media APIs (provider `openai` or an OpenAI-compatible `baseURL` with
     * provider `openai`); absent: a language model
     */
    media: z.enum(['image', 'speech', 'transcription']).optional(),
    /** what a media model costs (absent: the cost of its calls is recorded as unknown) */
    mediaPrice: z
      .object({
        /** USD per generated image */
        perImage: z.number().nonnegative().optional(),
        /** USD per character of text spoken */
        perCharacter: z.number().nonnegative().optional(),
        /** USD per second of audio transcribed */
        perSecond: z.number().nonnegative().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** {@link ModelProfileSchema} as a type. */
export type ModelProfile = z.infer<typeof ModelProfileSchema>;
