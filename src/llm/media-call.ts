import type { ImageModelV4, SpeechModelV4, TranscriptionModelV4 } from '@ai-sdk/provider';
import { generateImage, generateSpeech, transcribe } from 'ai';
import type { ModelProfile } from '../core/config.js';
import type { Usage } from '../store/store.js';
import type { MediaFile, MediaRequest, MediaResponse } from './model-client.js';
import type { MediaModel } from './media-models.js';
import { validateTokens } from './usage.js';

/**
 * One media call through the AI SDK's own functions (`generateImage`,
 * `generateSpeech`, `transcribe`; ai 7 also exports them as `experimental_*`, now deprecated), with the SDK's retries off (the
 * client retries), and its usage and cost (issue 16).
 */

/** Media type of speech audio by output format (OpenAI `response_format`, IANA media types). */
export const SPEECH_MEDIA_TYPES: Readonly<Record<string, string>> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  pcm: 'audio/pcm',
};

/**
 * USD of a media call from the profile's `mediaPrice`: `perImage × images`, `perCharacter ×
 * characters of text`, `perSecond × seconds transcribed`; undefined when the price (or, for a
 * transcript, its duration) is not known.
 */
export function mediaCostUsd(profile: ModelProfile, measure: { images?: number; characters?: number; seconds?: number }): number | undefined {
  const price = profile.mediaPrice;
  if (measure.images !== undefined) return price?.perImage === undefined ? undefined : price.perImage * measure.images;
  if (measure.characters !== undefined) return price?.perCharacter === undefined ? undefined : price.perCharacter * measure.characters;
  if (measure.seconds !== undefined) return price?.perSecond === undefined ? undefined : price.perSecond * measure.seconds;
  return undefined;
}

/**
 * Makes the call. Throws whatever the AI SDK or the model throws (the client classifies it).
 * @param model the media model for `request.kind` (live, recording or replaying)
 * @param profile the media profile (for `mediaPrice`)
 * @param modelName `provider:model`, recorded on the usage
 * @param who the caller, for usage errors
 */
export async function callMedia(model: MediaModel, request: MediaRequest, profile: ModelProfile, modelName: string, who: string): Promise<MediaResponse> {
  const signal = request.signal ? { abortSignal: request.signal } : {};
  const usage = (tokens: { inputTokens: number; outputTokens: number }, cost: number | undefined): { usage: Usage; model: string; cost: 'priced' | 'unknown' } => ({
    usage: { ...tokens, costUsd: cost ?? 0, model: modelName, calls: 1 },
    model: modelName,
    cost: cost === undefined ? 'unknown' : 'priced',
  });
  if (request.kind === 'image') {
    const n = request.n ?? 1;
    const result = await generateImage({
      model: model as ImageModelV4,
      prompt: request.prompt,
      n,
      // one request for all images, so a cassette replays the same single request
      maxImagesPerCall: n,
      ...(request.size ? { size: request.size } : {}),
      maxRetries: 0,
      ...signal,
    });
    const images: MediaFile[] = result.images.map((image) => ({ mediaType: image.mediaType, data: image.uint8Array }));
    const tokens = validateTokens({ inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens }, who, modelName);
    return { kind: 'image', images, ...usage(tokens, mediaCostUsd(profile, { images: images.length })) };
  }
  if (request.kind === 'speech') {
    const format = request.format ?? 'mp3';
    const result = await generateSpeech({
      model: model as SpeechModelV4,
      text: request.text,
      outputFormat: format,
      ...(request.voice ? { voice: request.voice } : {}),
      ...(request.instructions ? { instructions: request.instructions } : {}),
      maxRetries: 0,
      ...signal,
    });
    // the SDK guesses the type from the bytes and falls back to audio/mp3; the format asked is surer
    const mediaType = SPEECH_MEDIA_TYPES[format] ?? result.audio.mediaType;
    return { kind: 'speech', audio: { mediaType, data: result.audio.uint8Array }, ...usage({ inputTokens: 0, outputTokens: 0 }, mediaCostUsd(profile, { characters: [...request.text].length })) };
  }
  const result = await transcribe({ model: model as TranscriptionModelV4, audio: request.audio, maxRetries: 0, ...signal });
  const durationSec = result.durationInSeconds;
  return {
    kind: 'transcription',
    text: result.text,
    ...(result.language ? { language: result.language } : {}),
    ...(durationSec !== undefined ? { durationSec } : {}),
    ...usage({ inputTokens: 0, outputTokens: 0 }, durationSec === undefined ? undefined : mediaCostUsd(profile, { seconds: durationSec })),
  };
}
