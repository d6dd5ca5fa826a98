import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import type { ModelProfile } from '../core/config.js';
import { TaskgraphError } from '../core/errors.js';
import { DEFAULT_MODEL_IDLE_TIMEOUT_MS, DEFAULT_MODEL_TIMEOUT_MS, timedFetch } from './timed-fetch.js';

/**
 * Model profile -> AI SDK language model (DESIGN.md §8). API keys come only from the environment
 * object passed in (never from files or the profile itself).
 */

/** Default API key variable per provider; `openai-compatible` servers need none by default. */
export const DEFAULT_API_KEY_ENV: Record<ModelProfile['provider'], string | undefined> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  'openai-compatible': undefined,
};

/** The AI SDK provider name given to `createOpenAICompatible` (model.provider is `openai-compatible.chat`). */
export const OPENAI_COMPATIBLE_NAME = 'openai-compatible';

/**
 * The API key of a profile from `env[variable]`.
 * @throws TaskgraphError `MISSING_API_KEY` naming the variable when it is unset or blank
 */
export function readKey(profileName: string, profile: ModelProfile, env: NodeJS.ProcessEnv, variable: string): string {
  const value = env[variable];
  if (value === undefined || value.trim() === '') {
    throw new TaskgraphError(
      'MISSING_API_KEY',
      `model profile "${profileName}" (${profile.provider}) needs the environment variable ${variable}`,
      {
        details: { profile: profileName, provider: profile.provider, variable },
        hint: `export ${variable}=... (or set apiKeyEnv in the profile to another variable, or use --replay FILE to run from a cassette without a key)`,
      },
    );
  }
  return value;
}

/** Timeouts of a profile's model requests when the profile sets none (ms). */
export interface TimeoutDefaults {
  /** total timeout per request, ms (default {@link DEFAULT_MODEL_TIMEOUT_MS}) */
  timeoutMs?: number;
  /** idle timeout per request, ms (default {@link DEFAULT_MODEL_IDLE_TIMEOUT_MS}) */
  idleTimeoutMs?: number;
}

/**
 * The total and idle timeouts (ms) of a profile's requests: the profile's `timeoutMs` /
 * `idleTimeoutMs`, else `defaults`, else 300,000 / 60,000.
 */
export function profileTimeouts(profile: ModelProfile, defaults: TimeoutDefaults = {}): { totalMs: number; idleMs: number } {
  return {
    totalMs: profile.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS,
    idleMs: profile.idleTimeoutMs ?? defaults.idleTimeoutMs ?? DEFAULT_MODEL_IDLE_TIMEOUT_MS,
  };
}

/**
 * Builds the AI SDK language model for a profile. Every provider gets a {@link timedFetch}, so
 * each HTTP request is bounded by the profile's total and idle timeouts ({@link profileTimeouts}).
 * - `openai`: `createOpenAI({ apiKey, baseURL }).chat(model)`: the Chat Completions API
 *   (`/v1/chat/completions`), which OpenAI-style fakes and proxies also speak.
 * - `anthropic`: `createAnthropic({ apiKey, baseURL })(model)` (Messages API).
 * - `openai-compatible` (Ollama, vLLM, llama.cpp server, LM Studio): `createOpenAICompatible`
 *   with `supportsStructuredOutputs: true`, so schemas are sent as `response_format: json_schema`
 *   (all four servers accept it); `baseURL` is required, the key is optional.
 * @param profileName the profile's name, for error messages
 * @param profile the validated profile
 * @param env where API keys are read: `profile.apiKeyEnv`, else OPENAI_API_KEY / ANTHROPIC_API_KEY
 * @param timeouts timeouts for a profile that sets none
 * @throws TaskgraphError `MISSING_API_KEY` naming the variable when the key is unset or empty
 *   (also for `openai-compatible` when `apiKeyEnv` is set but empty);
 *   `CONFIG_INVALID` when an `openai-compatible` profile has no `baseURL`
 */
export function createLanguageModel(profileName: string, profile: ModelProfile, env: NodeJS.ProcessEnv, timeouts: TimeoutDefaults = {}): LanguageModelV4 {
  const fetch = timedFetch(profileTimeouts(profile, timeouts));
  switch (profile.provider) {
    case 'openai': {
      const apiKey = readKey(profileName, profile, env, profile.apiKeyEnv ?? 'OPENAI_API_KEY');
      return createOpenAI({ apiKey, fetch, ...(profile.baseURL ? { baseURL: profile.baseURL } : {}) }).chat(profile.model);
    }
    case 'anthropic': {
      const apiKey = readKey(profileName, profile, env, profile.apiKeyEnv ?? 'ANTHROPIC_API_KEY');
      return createAnthropic({ apiKey, fetch, ...(profile.baseURL ? { baseURL: profile.baseURL } : {}) })(profile.model);
    }
    case 'openai-compatible': {
      if (!profile.baseURL) {
        throw new TaskgraphError(
          'CONFIG_INVALID',
          `model profile "${profileName}" (openai-compatible) has no baseURL`,
          {
            details: { profile: profileName, provider: profile.provider },
            hint: `set models.${profileName}.baseURL in taskgraph.yaml, e.g. http://localhost:11434/v1 for Ollama`,
          },
        );
      }
      const apiKey = profile.apiKeyEnv ? readKey(profileName, profile, env, profile.apiKeyEnv) : undefined;
      return createOpenAICompatible({
        name: OPENAI_COMPATIBLE_NAME,
        baseURL: profile.baseURL,
        fetch,
        ...(apiKey ? { apiKey } : {}),
        supportsStructuredOutputs: true,
        includeUsage: true,
      })(profile.model);
    }
    default: {
      const provider: never = profile.provider;
      throw new TaskgraphError('CONFIG_INVALID', `model profile "${profileName}" has unknown provider "${String(provider)}"`, {
        hint: 'use one of: openai, anthropic, openai-compatible',
      });
    }
  }
}
