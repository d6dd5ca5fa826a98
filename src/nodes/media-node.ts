import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import type { Json } from '../core/json.js';
import type { NodeContext } from '../engine/node-executor.js';
import type { MediaFile, MediaRequest, MediaResponse } from '../llm/model-client.js';

/**
 * What the media node kinds (`image`, `speech`, `transcribe`; issue 16) share: the model call
 * through `ctx.models.media` (metered like every model call), the binary output shape and the
 * profile's part of the cache key.
 */

/** Default profile names of the media kinds (taskgraph.yaml `models.<name>` with `media` set). */
export const DEFAULT_MEDIA_PROFILES = { image: 'image', speech: 'speech', transcription: 'transcribe' } as const;

/**
 * Calls the node's media model.
 * @throws TaskgraphError `CONFIG_INVALID` when no model client with media models is configured,
 *   and whatever `ModelClient.media` throws (PROVIDER_ERROR, CASSETTE_MISS, BUDGET_EXCEEDED ...)
 */
export async function callMediaModel<K extends MediaRequest['kind']>(ctx: NodeContext, request: MediaRequest & { kind: K }): Promise<MediaResponse & { kind: K }> {
  if (!ctx.models?.media) {
    throw new TaskgraphError('CONFIG_INVALID', `${ctx.node.kind} node ${ctx.node.id} needs a ${request.kind} model, but none is configured`, {
      hint: `add a model profile with media: ${request.kind} to taskgraph.yaml, or pass --replay CASSETTE`,
    });
  }
  return (await ctx.models.media({ ...request, label: ctx.node.id, signal: ctx.signal })) as MediaResponse & { kind: K };
}

/**
 * A binary output: `{ mediaType, data: base64, bytes, sha256 }` (sha256 hex of the bytes). An
 * output whose JSON is over the store's blob threshold (64 KiB) is kept once in the blob table
 * (`store/store.ts` BLOB_THRESHOLD_BYTES); the node need not do anything for that.
 */
export function mediaFileOutput(file: MediaFile): { mediaType: string; data: string; bytes: number; sha256: string } {
  const bytes = Buffer.from(file.data);
  return { mediaType: file.mediaType, data: bytes.toString('base64'), bytes: bytes.length, sha256: sha256(bytes) };
}

/**
 * The profile's cache-key ingredient: its name, provider and model id (a profile pointed at
 * another model makes new outputs), or just the name when the project has no such profile (the
 * call then fails with the client's error).
 */
export function profileIngredient(ctx: NodeContext, name: string): Json {
  const profile = ctx.config.models[name];
  return profile && 'model' in profile ? { name, provider: profile.provider, model: profile.model } : { name };
}
