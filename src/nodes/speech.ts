import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { NodeExecutor } from '../engine/node-executor.js';
import { fillTemplate } from './llm-prompts.js';
import { callMediaModel, DEFAULT_MEDIA_PROFILES, mediaFileOutput, profileIngredient } from './media-node.js';

const SpeechConfig = z
  .object({
    /** the text to speak; `{{name}}` is replaced by input `name` (`llm-prompts.ts` fillTemplate) */
    text: z.string().min(1),
    /** model profile with `media: speech` (default `speech`) */
    profile: z.string().min(1).default(DEFAULT_MEDIA_PROFILES.speech),
    /** the voice (provider's names, e.g. OpenAI `alloy`, `nova`; default: the provider's) */
    voice: z.string().min(1).optional(),
    /** audio format (OpenAI `response_format`; default mp3) */
    format: z.enum(['mp3', 'wav', 'opus', 'aac', 'flac', 'pcm']).default('mp3'),
    /** how to speak, e.g. "slowly and calmly" (models that take instructions) */
    instructions: z.string().min(1).optional(),
    /** characters of text at most once filled (default 4,096, OpenAI's limit per request) */
    maxChars: z.number().int().positive().max(100_000).default(4096),
  })
  .strict();

/** Config of a `speech` node. */
export type SpeechConfig = z.infer<typeof SpeechConfig>;

/**
 * `speech` nodes (issue 16): text to speech with the AI SDK's `experimental_generateSpeech`
 * (`llm/media-call.ts`) by a `media: speech` model profile, through the run's model client
 * (metered, cassettes). Output `{ mediaType, data: base64, bytes, sha256, format, cost }`, `cost`
 * `priced` (profile `mediaPrice.perCharacter` × characters) or `unknown`. A `transcribe` node
 * takes it as its `audio` input.
 *
 * Cache key adds the SHA-256 of the filled text and the profile's provider and model id (voice,
 * format and instructions are in the config). Errors: CONFIG_INVALID (no media model, empty or
 * too long text), PROVIDER_ERROR, CASSETTE_MISS, BUDGET_EXCEEDED.
 */
export const speechExecutor: NodeExecutor<SpeechConfig> = {
  kind: 'speech',
  version: 1,
  configSchema: SpeechConfig as unknown as z.ZodType<SpeechConfig>,
  cacheable: true,
  recordStart: true,
  sideEffects: () => false,
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    return { text: sha256(fillTemplate(config.text, inputs)), profile: profileIngredient(ctx, config.profile) };
  },
  async execute(config, inputs, ctx) {
    const text = fillTemplate(config.text, inputs).trim();
    if (text === '') throw new TaskgraphError('CONFIG_INVALID', `speech node ${ctx.node.id}: the text is empty`, { hint: 'give the node text (or inputs its {{placeholders}} name)' });
    const chars = [...text].length;
    if (chars > config.maxChars) {
      throw new TaskgraphError('CONFIG_INVALID', `speech node ${ctx.node.id}: the text has ${chars} characters, over maxChars ${config.maxChars}`, {
        details: { chars, maxChars: config.maxChars },
        hint: 'shorten the text, split it over several speech nodes, or raise maxChars if the model takes more',
      });
    }
    const response = await callMediaModel(ctx, {
      kind: 'speech',
      profile: config.profile,
      text,
      format: config.format,
      ...(config.voice ? { voice: config.voice } : {}),
      ...(config.instructions ? { instructions: config.instructions } : {}),
    });
    return { status: 'succeeded', output: { ...mediaFileOutput(response.audio), format: config.format, cost: response.cost }, usage: response.usage };
  },
};
