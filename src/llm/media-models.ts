import { createOpenAI } from '@ai-sdk/openai';
import type { ImageModelV4, ImageModelV4CallOptions, SpeechModelV4, SpeechModelV4CallOptions, TranscriptionModelV4, TranscriptionModelV4CallOptions } from '@ai-sdk/provider';
import type { ModelProfile } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { hashJson, sha256 } from '../core/hash.js';
import { type Cassette, decodeJson, encodeJson } from './cassette.js';
import { profileTimeouts, readKey, type TimeoutDefaults } from './providers.js';
import { timedFetch } from './timed-fetch.js';

/**
 * Media models (issue 16): a profile with `media: image | speech | transcription` -> the AI SDK's
 * image, speech or transcription model (`@ai-sdk/openai`: `.image()`, `.speech()`,
 * `.transcription()`, i.e. `POST /v1/images/generations`, `/v1/audio/speech`,
 * `/v1/audio/transcriptions`), and the cassette halves that record and replay their calls at the
 * same level as language models (`cassette.ts`): below `generateImage` / `generateSpeech` /
 * `transcribe`, so the code above cannot tell a replayed result from a live one.
 */

/** The kinds of media model a profile may be. */
export type MediaKind = 'image' | 'speech' | 'transcription';

/** A media model of the AI SDK's provider spec v4. */
export type MediaModel = ImageModelV4 | SpeechModelV4 | TranscriptionModelV4;

type MediaCallOptions = ImageModelV4CallOptions | SpeechModelV4CallOptions | TranscriptionModelV4CallOptions;

/**
 * Builds the AI SDK media model of a profile: `createOpenAI({ apiKey, baseURL, fetch })` then
 * `.image(model)`, `.speech(model)` or `.transcription(model)`. Every request is bounded by the
 * profile's timeouts (`timed-fetch.ts`).
 * @throws TaskgraphError `MISSING_API_KEY` (names the variable); `CONFIG_INVALID` when the
 *   provider is not `openai` (the only one of the three with these APIs in the AI SDK; an
 *   OpenAI-compatible media server is reached with provider `openai` and its `baseURL`)
 */
export function createMediaModel(profileName: string, profile: ModelProfile, kind: MediaKind, env: NodeJS.ProcessEnv, timeouts: TimeoutDefaults = {}): MediaModel {
  if (profile.provider !== 'openai') {
    throw new TaskgraphError('CONFIG_INVALID', `model profile "${profileName}" (${profile.provider}) cannot be a ${kind} model`, {
      details: { profile: profileName, provider: profile.provider, media: kind },
      hint: `use provider: openai for media profiles (set baseURL for an OpenAI-compatible server)`,
    });
  }
  const apiKey = readKey(profileName, profile, env, profile.apiKeyEnv ?? 'OPENAI_API_KEY');
  const openai = createOpenAI({ apiKey, fetch: timedFetch(profileTimeouts(profile, timeouts)), ...(profile.baseURL ? { baseURL: profile.baseURL } : {}) });
  if (kind === 'image') return openai.image(profile.model);
  if (kind === 'speech') return openai.speech(profile.model);
  return openai.transcription(profile.model);
}

/**
 * The call options that determine a media result, as plain JSON: abort signal, headers and
 * provider options left out; audio bytes sent for transcription replaced by `{ sha256, bytes }`.
 * This is both the hashed request and the request a cassette keeps for people reading it.
 */
export function mediaRequestOf(options: MediaCallOptions): Record<string, unknown> {
  const { abortSignal: _signal, headers: _headers, providerOptions: _provider, ...rest } = options as MediaCallOptions & Record<string, unknown>;
  if ('audio' in rest) {
    const audio = typeof rest.audio === 'string' ? Buffer.from(rest.audio, 'base64') : Buffer.from(rest.audio as Uint8Array);
    rest.audio = { sha256: sha256(audio), bytes: audio.length };
  }
  return encodeJson(rest) as Record<string, unknown>;
}

/**
 * The request hash of a media call: SHA-256 (hex) of the canonical JSON (RFC 8785, `hashJson`)
 * of `{ provider, modelId, kind, ...` {@link mediaRequestOf} `}`: the prompt, n, size, seed for
 * images; text, voice, outputFormat, instructions, speed for speech; the audio's SHA-256 and media
 * type for transcription. The base URL is left out, so a recording replays against any server.
 */
export function mediaRequestHash(provider: string, modelId: string, kind: MediaKind, options: MediaCallOptions): string {
  return hashJson({ provider, modelId, kind, ...mediaRequestOf(options) });
}

/** The result as a cassette keeps it: response metadata and raw request/response bodies dropped. */
function toRecorded(result: object): Record<string, unknown> {
  const { response: _response, request: _request, ...rest } = result as Record<string, unknown>;
  return encodeJson(rest) as Record<string, unknown>;
}

function fromRecorded(modelId: string, media: unknown): never {
  return { ...(decodeJson(media) as object), response: { timestamp: new Date(0), modelId, headers: {} } } as never;
}

/** What the wrappers put in front of a model: the same identity, another `doGenerate`. */
function wrap<M extends MediaModel>(model: Pick<M, 'provider' | 'modelId'> & { maxImagesPerCall?: unknown }, kind: MediaKind, doGenerate: (options: MediaCallOptions) => Promise<unknown>): M {
  return {
    specificationVersion: 'v4',
    provider: model.provider,
    modelId: model.modelId,
    ...(kind === 'image' ? { maxImagesPerCall: model.maxImagesPerCall } : {}),
    doGenerate,
  } as unknown as M;
}

/** Where a media cassette wrapper files its calls. */
export interface MediaCassetteOptions {
  /** provider family of the profile (`openai`), part of the request hash */
  provider: string;
  /** the profile's model id, part of the request hash */
  modelId: string;
  /** save after every recorded call (default true) */
  autosave?: boolean;
}

/**
 * Wraps a live media model: each successful `doGenerate` result (images as base64 strings,
 * speech audio as `{"$bytes": base64}`, transcripts with segments, usage, warnings) is stored in
 * the cassette (redacted like every entry) under {@link mediaRequestHash}. Failed calls are not
 * recorded.
 */
export function recordingMediaModel<M extends MediaModel>(model: M, kind: MediaKind, cassette: Cassette, options: MediaCassetteOptions): M {
  return wrap<M>(model as never, kind, async (callOptions) => {
    const result = await (model.doGenerate as (o: MediaCallOptions) => PromiseLike<object>)(callOptions);
    cassette.set(mediaRequestHash(options.provider, options.modelId, kind, callOptions), {
      model: `${options.provider}:${options.modelId}`,
      kind,
      request: mediaRequestOf(callOptions),
      media: toRecorded(result),
    });
    if (options.autosave ?? true) await cassette.save();
    return result;
  });
}

/**
 * A media model that answers only from a cassette: no API key, no network.
 * @param label who asks, named in `CASSETTE_MISS` errors
 * @throws (from doGenerate) TaskgraphError `CASSETTE_MISS` naming the label, request hash and file
 */
export function replayMediaModel<M extends MediaModel>(kind: MediaKind, cassette: Cassette, options: MediaCassetteOptions & { label?: string }): M {
  const label = options.label ?? `${options.provider}:${options.modelId}`;
  return wrap<M>({ provider: options.provider, modelId: options.modelId, maxImagesPerCall: undefined }, kind, async (callOptions) => {
    const hash = mediaRequestHash(options.provider, options.modelId, kind, callOptions);
    const entry = cassette.getMedia(hash);
    if (!entry || entry.kind !== kind) {
      throw new TaskgraphError('CASSETTE_MISS', `no ${kind} recording for ${label} (request ${hash}) in ${cassette.file}`, {
        details: { label, hash, file: cassette.file, model: `${options.provider}:${options.modelId}` },
        hint: 're-record with --record FILE against a live model or the fake server',
      });
    }
    return fromRecorded(options.modelId, entry.media);
  });
}
