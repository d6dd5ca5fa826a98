import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { NodeExecutor } from '../engine/node-executor.js';
import { fillTemplate } from './llm-prompts.js';
import { callMediaModel, DEFAULT_MEDIA_PROFILES, mediaFileOutput, profileIngredient } from './media-node.js';

const ImageConfig = z
  .object({
    /** the image prompt; `{{name}}` is replaced by input `name` (`llm-prompts.ts` fillTemplate) */
    prompt: z.string().min(1),
    /** model profile with `media: image` (default `image`) */
    profile: z.string().min(1).default(DEFAULT_MEDIA_PROFILES.image),
    /** `WIDTHxHEIGHT` in pixels (default: the model's), e.g. `1024x1024` */
    size: z
      .string()
      .regex(/^\d{1,5}x\d{1,5}$/, 'size is WIDTHxHEIGHT, e.g. 1024x1024')
      .optional(),
  })
  .strict();

/** Config of an `image` node. */
export type ImageConfig = z.infer<typeof ImageConfig>;

/**
 * `image` nodes (issue 16): generate one image from a prompt with the AI SDK's `generateImage`
 * (`llm/media-call.ts`) by a `media: image` model profile, through the run's model client (so it
 * is metered, recorded into and replayed from cassettes like `llm` calls). Output
 * `{ mediaType, data: base64, bytes, sha256, cost: 'priced' | 'unknown' }`; `cost` is `unknown`
 * when the profile has no `mediaPrice.perImage` (the usage's `costUsd` is then 0). The output is
 * also an image input for a `vision` `llm` node (`images: [name]`).
 *
 * Cache key adds the SHA-256 of the filled prompt and the profile's provider and model id (the
 * size is in the config). Errors: CONFIG_INVALID (no media model, profile of another kind, prompt
 * empty once filled), PROVIDER_ERROR, CASSETTE_MISS, BUDGET_EXCEEDED.
 */
export const imageExecutor: NodeExecutor<ImageConfig> = {
  kind: 'image',
  version: 1,
  configSchema: ImageConfig as unknown as z.ZodType<ImageConfig>,
  cacheable: true,
  recordStart: true,
  sideEffects: () => false,
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    return { prompt: sha256(fillTemplate(config.prompt, inputs)), profile: profileIngredient(ctx, config.profile) };
  },
  async execute(config, inputs, ctx) {
    const prompt = fillTemplate(config.prompt, inputs).trim();
    if (prompt === '') throw new TaskgraphError('CONFIG_INVALID', `image node ${ctx.node.id}: the prompt is empty`, { hint: 'give the node a prompt (or inputs its {{placeholders}} name)' });
    const response = await callMediaModel(ctx, { kind: 'image', profile: config.profile, prompt, ...(config.size ? { size: config.size as `${number}x${number}` } : {}) });
    const image = response.images[0];
    if (!image) {
      throw new TaskgraphError('PROVIDER_ERROR', `image node ${ctx.node.id}: the model (${response.model}) returned no image`, { details: { model: response.model }, hint: 'check the model and prompt (a refused prompt returns nothing)' });
    }
    return { status: 'succeeded', output: { ...mediaFileOutput(image), cost: response.cost }, usage: response.usage };
  },
};
