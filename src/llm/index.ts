/**
 * The model layer (DESIGN.md §8): the ModelClient interface, its AI SDK implementation, providers,
 * cassettes (record / replay), provider error classification and pricing.
 */
export { NOT_SENT_CODES, type MediaFile, type MediaRequest, type MediaResponse, type ModelClient, type ModelDeltaListener, type ModelRequest, type ModelResponse } from './model-client.js';
export { createMediaModel, mediaRequestHash, recordingMediaModel, replayMediaModel, type MediaKind, type MediaModel } from './media-models.js';
export { callMedia, mediaCostUsd, SPEECH_MEDIA_TYPES } from './media-call.js';
export { AiSdkModelClient, type AiSdkModelClientOptions } from './ai-sdk-client.js';
export { createLanguageModel, DEFAULT_API_KEY_ENV, OPENAI_COMPATIBLE_NAME, profileTimeouts, type TimeoutDefaults } from './providers.js';
export { DEFAULT_MODEL_IDLE_TIMEOUT_MS, DEFAULT_MODEL_TIMEOUT_MS, findModelTimeout, ModelTimeoutError, timedFetch, type TimedFetchOptions } from './timed-fetch.js';
export { callUsage, MAX_TOKENS_PER_CALL, validateTokens, type ReportedTokens } from './usage.js';
export {
  Cassette,
  CASSETTE_LOCK,
  CASSETTE_VERSION,
  decodeJson,
  encodeJson,
  providerFamily,
  recordingModel,
  replayModel,
  requestHash,
  type AnyCassetteEntry,
  type CassetteEntry,
  type MediaCassetteEntry,
  type CassetteFile,
  type RecordedResponse,
  type RecordingOptions,
  type ReplayOptions,
} from './cassette.js';
export { backoffDelayMs, classifyProviderError, parseRetryAfterMs, TRANSIENT_NETWORK_CODES } from './provider-errors.js';
export { costUsd, TOKENS_PER_PRICE_UNIT, type TokenCounts } from './pricing.js';
