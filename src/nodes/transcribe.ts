import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { NodeContext, NodeExecutor } from '../engine/node-executor.js';
import { callMediaModel, DEFAULT_MEDIA_PROFILES, profileIngredient } from './media-node.js';

const TranscribeConfig = z
  .object({
    /** an audio file of the project (relative to the run's worktree, else the project directory); else the `audio` input */
    file: z.string().min(1).optional(),
    /** model profile with `media: transcription` (default `transcribe`) */
    profile: z.string().min(1).default(DEFAULT_MEDIA_PROFILES.transcription),
    /** audio bytes at most (default 25 MiB, OpenAI's upload limit); larger audio fails the node before any call */
    maxBytes: z.number().int().positive().max(500 * 1024 * 1024).default(25 * 1024 * 1024),
  })
  .strict();

/** Config of a `transcribe` node. */
export type TranscribeConfig = z.infer<typeof TranscribeConfig>;

/**
 * The audio to transcribe: the config's `file` (inside the worktree or project directory) or the
 * `audio` input (a `speech` node's output, or any `{ data: base64 }`, `mediaType` `audio/*` if set).
 * An input's `sha256` (as `speech` outputs carry) is checked against its data.
 * @throws TaskgraphError CONFIG_INVALID (neither or both, file outside or missing, input not audio
 *   or not matching its sha256, over maxBytes)
 */
export function audioOf(config: TranscribeConfig, inputs: Record<string, Json>, ctx: Pick<NodeContext, 'node' | 'projectDir' | 'workspace'>): Buffer {
  const what = `transcribe node ${ctx.node.id}`;
  const input = inputs['audio'];
  if ((config.file === undefined) === (input === undefined)) {
    throw new TaskgraphError('CONFIG_INVALID', `${what}: give exactly one of config.file (an audio file of the project) or the input \`audio\``, {
      hint: 'e.g. config: { file: "docs/intro.mp3" }, or inputs: { audio: { $ref: SPEECH_NODE } }',
    });
  }
  let audio: Buffer;
  if (config.file !== undefined) {
    const dir = ctx.workspace?.dir ?? ctx.projectDir;
    const path = resolve(dir, config.file);
    const rel = relative(dir, path);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new TaskgraphError('CONFIG_INVALID', `${what}: file "${config.file}" is outside the worktree`, { hint: 'give a path relative to the repository root' });
    if (!existsSync(path) || !statSync(path).isFile()) throw new TaskgraphError('CONFIG_INVALID', `${what}: file "${config.file}" does not exist in ${dir}`, { details: { file: config.file } });
    if (statSync(path).size > config.maxBytes) throw tooLarge(what, statSync(path).size, config.maxBytes);
    audio = readFileSync(path);
  } else {
    const mediaType = isJsonObject(input) ? input['mediaType'] : undefined;
    if (!isJsonObject(input) || typeof input['data'] !== 'string' || (mediaType !== undefined && (typeof mediaType !== 'string' || !mediaType.startsWith('audio/')))) {
      throw new TaskgraphError('CONFIG_INVALID', `${what}: the input \`audio\` is not audio`, { hint: 'give it a speech node\'s output ({ $ref: SPEECH_NODE }) or { mediaType: "audio/mpeg", data: BASE64 }' });
    }
    audio = Buffer.from(input['data'], 'base64');
    const declared = input['sha256'];
    if (typeof declared === 'string' && declared !== sha256(audio)) {
      throw new TaskgraphError('CONFIG_INVALID', `${what}: the input \`audio\` does not match its sha256 (the data was altered on the way)`, {
        details: { declared, actual: sha256(audio) },
        hint: 'run the upstream node again (taskgraph run --force NODE); if it repeats, its output was changed when it was stored',
      });
    }
  }
  if (audio.length === 0) throw new TaskgraphError('CONFIG_INVALID', `${what}: the audio is empty`, { hint: 'check the file or the upstream node' });
  if (audio.length > config.maxBytes) throw tooLarge(what, audio.length, config.maxBytes);
  return audio;
}

function tooLarge(what: string, bytes: number, maxBytes: number): TaskgraphError {
  return new TaskgraphError('CONFIG_INVALID', `${what}: the audio is ${bytes} bytes, over maxBytes ${maxBytes}`, {
    details: { bytes, maxBytes },
    hint: 'split or compress the audio, or raise maxBytes if the model takes more',
  });
}

/**
 * `transcribe` nodes (issue 16): audio to text with the AI SDK's `experimental_transcribe`
 * (`llm/media-call.ts`) by a `media: transcription` model profile, through the run's model client
 * (metered, cassettes). The audio is an audio file of the project (`file`) or an upstream `speech`
 * output (input `audio`). Output `{ text, language?, durationSec?, cost }`; `cost` is `priced`
 * (profile `mediaPrice.perSecond` × the duration the server reported) or `unknown`.
 *
 * Cache key adds the audio's SHA-256 (so an edited file re-runs, a renamed one does not) and the
 * profile's provider and model id. Errors: CONFIG_INVALID (audio missing, outside, not audio, over
 * maxBytes; no media model), PROVIDER_ERROR, CASSETTE_MISS, BUDGET_EXCEEDED.
 */
export const transcribeExecutor: NodeExecutor<TranscribeConfig> = {
  kind: 'transcribe',
  version: 1,
  configSchema: TranscribeConfig as unknown as z.ZodType<TranscribeConfig>,
  cacheable: true,
  recordStart: true,
  sideEffects: () => false,
  async keyIngredients(config, inputs, ctx): Promise<Record<string, Json>> {
    return { audio: sha256(audioOf(config, inputs, ctx)), profile: profileIngredient(ctx, config.profile) };
  },
  async execute(config, inputs, ctx) {
    const audio = audioOf(config, inputs, ctx);
    const response = await callMediaModel(ctx, { kind: 'transcription', profile: config.profile, audio: new Uint8Array(audio) });
    const output: Record<string, Json> = { text: response.text, cost: response.cost };
    if (response.language !== undefined) output['language'] = response.language;
    if (response.durationSec !== undefined) output['durationSec'] = response.durationSec;
    return { status: 'succeeded', output, usage: response.usage };
  },
};
