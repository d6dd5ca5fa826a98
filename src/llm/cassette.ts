import { existsSync, readFileSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { lock } from 'proper-lockfile';
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamResult,
} from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import { secretRedactor } from '../security/redact.js';

/**
 * Cassettes (DESIGN.md §1 "cassette", §8): recorded model exchanges keyed by request hash, so a
 * run can be replayed exactly, offline and without API keys. Both halves work at the AI SDK
 * language-model level (`LanguageModelV4`), below `generateText`, so the code above cannot tell a
 * replayed answer from a live one.
 *
 * File format (JSON, entries sorted by key for stable diffs):
 * `{ "version": 1, "entries": { "<requestHash>": { "model": "provider:model",
 *   "request": <prompt messages, for humans>, "response": <RecordedResponse> } } }`.
 * Binary and special values are tagged: `{"$bytes": base64}`, `{"$url": href}`, `{"$date": iso}`.
 */

/** The cassette file format version this code reads and writes. */
export const CASSETTE_VERSION = 1;

/** What a recorded `doGenerate` result keeps (response id/timestamp and raw HTTP bodies are dropped). */
export interface RecordedResponse {
  /** `LanguageModelV4Content[]`, JSON-encoded */
  content: unknown[];
  /** `LanguageModelV4FinishReason` */
  finishReason: unknown;
  /** `LanguageModelV4Usage` (token counts) */
  usage: unknown;
  /** `SharedV4Warning[]` */
  warnings: unknown[];
  structuredOutputText?: string;
}

/** One recorded exchange. */
export interface CassetteEntry {
  /** `provider:model` */
  model: string;
  /** the prompt messages (`LanguageModelV4Prompt`), stored for people reading the file */
  request: unknown;
  response: RecordedResponse;
}

/**
 * One recorded media exchange (issue 16; `media-cassette.ts`): an image, speech or transcription
 * model's result, its binary data as `{"$bytes": base64}`.
 */
export interface MediaCassetteEntry {
  /** `provider:model` */
  model: string;
  kind: 'image' | 'speech' | 'transcription';
  /** the call options, for people reading the file (audio sent is replaced by its SHA-256 and size) */
  request: unknown;
  /** the model's result, JSON-encoded ({@link encodeJson}) without response metadata */
  media: unknown;
}

/** Any entry of a cassette file. */
export type AnyCassetteEntry = CassetteEntry | MediaCassetteEntry;

/** The JSON file. */
export interface CassetteFile {
  version: typeof CASSETTE_VERSION;
  entries: Record<string, AnyCassetteEntry>;
}

const CassetteFileSchema = z.object({
  version: z.literal(CASSETTE_VERSION),
  entries: z.record(
    z.string().regex(/^[0-9a-f]{64}$/, 'entry keys must be SHA-256 hex request hashes'),
    z.union([
      z.object({ model: z.string(), kind: z.enum(['image', 'speech', 'transcription']), request: z.unknown(), media: z.record(z.string(), z.unknown()) }).strict(),
      z.object({
      model: z.string(),
      request: z.unknown(),
      response: z
        .object({
          content: z.array(z.unknown()),
          finishReason: z.unknown(),
          usage: z.unknown(),
          warnings: z.array(z.unknown()),
          structuredOutputText: z.string().optional(),
        })
        .strict(),
      }),
    ]),
  ),
});

/**
 * Turns a value into plain JSON: `Uint8Array` -> `{$bytes}`, `URL` -> `{$url}`, `Date` ->
 * `{$date}`; `undefined` and functions are dropped. Used both to store and to hash requests.
 */
export function encodeJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (value instanceof URL) return { $url: value.href };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map((v) => (v === undefined || typeof v === 'function' ? null : encodeJson(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && typeof v !== 'function') out[k] = encodeJson(v);
    }
    return out;
  }
  return value;
}

/** Inverse of {@link encodeJson}. */
export function decodeJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeJson);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, v] = entries[0]!;
      if (key === '$bytes' && typeof v === 'string') return new Uint8Array(Buffer.from(v, 'base64'));
      if (key === '$url' && typeof v === 'string') return new URL(v);
      if (key === '$date' && typeof v === 'string') return new Date(v);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, decodeJson(v)]));
  }
  return value;
}

/**
 * The request hash: SHA-256 (hex) of the canonical JSON (RFC 8785, {@link hashJson}) of
 * `{provider, modelId}` plus the call options that determine the answer: prompt, responseFormat,
 * temperature, maxOutputTokens, topP, topK, presencePenalty, frequencyPenalty, tools, toolChoice,
 * seed, stopSequences, reasoning. Headers, abort signal, provider options and the base URL are
 * left out, so the same request recorded against a fake or a real server replays anywhere.
 * @param provider provider family as in a profile (`openai`, `anthropic`, `openai-compatible`)
 * @param modelId the provider's model id
 */
export function requestHash(provider: string, modelId: string, options: LanguageModelV4CallOptions): string {
  return hashJson(
    encodeJson({
      provider,
      modelId,
      prompt: options.prompt,
      responseFormat: options.responseFormat,
      temperature: options.temperature,
      maxOutputTokens: options.maxOutputTokens,
      topP: options.topP,
      topK: options.topK,
      presencePenalty: options.presencePenalty,
      frequencyPenalty: options.frequencyPenalty,
      tools: options.tools,
      toolChoice: options.toolChoice,
      seed: options.seed,
      stopSequences: options.stopSequences,
      reasoning: options.reasoning,
    }),
  );
}

/** `openai.chat` -> `openai`, `anthropic.messages` -> `anthropic`: the AI SDK provider string's family. */
export function providerFamily(aiSdkProvider: string): string {
  return aiSdkProvider.split('.')[0] ?? aiSdkProvider;
}

/**
 * How {@link Cassette.save} waits for the cassette's lock (proper-lockfile): up to 200 tries, 5 ms
 * growing to 200 ms apart (about 30 s in all); a lock not refreshed for 10 s counts as left over
 * by a dead process and is taken over.
 */
export const CASSETTE_LOCK = { stale: 10_000, retries: { retries: 200, minTimeout: 5, maxTimeout: 200, factor: 1.3 } } as const;

/**
 * A cassette held in memory; {@link Cassette.save} merges it into its file under a lock, so several
 * processes (or several clients in one process) may record into one cassette at once.
 */
export class Cassette {
  private entries: Map<string, AnyCassetteEntry>;
  /** hashes recorded by this instance since the last save: they win over the file's entries */
  private readonly pending = new Set<string>();

  private constructor(
    /** the cassette's file path */
    readonly file: string,
    entries: Record<string, AnyCassetteEntry>,
  ) {
    this.entries = new Map(Object.entries(entries));
  }

  /**
   * Reads a cassette file.
   * @throws TaskgraphError `NOT_FOUND` when the file does not exist; `CONFIG_INVALID` when it is
   *   not JSON or not a version-1 cassette (details.issues lists what is wrong)
   */
  static load(file: string): Cassette {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TaskgraphError('NOT_FOUND', `cassette ${file} does not exist`, {
          cause: error,
          details: { file },
          hint: 'check the path, or record one with --record FILE against a live model or the fake server',
        });
      }
      throw new TaskgraphError('CONFIG_INVALID', `cannot read cassette ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new TaskgraphError('CONFIG_INVALID', `cassette ${file} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
        details: { file },
        hint: 'restore the file from version control or re-record it with --record FILE',
      });
    }
    const parsed = CassetteFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new TaskgraphError('CONFIG_INVALID', `cassette ${file} is malformed: ${issues.slice(0, 3).join('; ')}`, {
        details: { file, issues },
        hint: `a cassette is {"version": ${CASSETTE_VERSION}, "entries": {...}}; restore it or re-record it with --record FILE`,
      });
    }
    return new Cassette(file, parsed.data.entries as Record<string, AnyCassetteEntry>);
  }

  /** A new, empty cassette for `file` (nothing is written until {@link save}). */
  static create(file: string): Cassette {
    return new Cassette(file, {});
  }

  /**
   * {@link load} when the file exists, else {@link create}: recording into an existing cassette
   * keeps its entries and adds or replaces the new ones.
   * @throws like {@link load} for an existing malformed file (it is never silently overwritten)
   */
  static open(file: string): Cassette {
    return existsSync(file) ? Cassette.load(file) : Cassette.create(file);
  }

  /** number of recorded exchanges */
  get size(): number {
    return this.entries.size;
  }

  /** the language-model entry recorded for a request hash (a media entry there: undefined) */
  get(hash: string): CassetteEntry | undefined {
    const entry = this.entries.get(hash);
    return entry && 'response' in entry ? entry : undefined;
  }

  /** the media entry recorded for a request hash (a language-model entry there: undefined) */
  getMedia(hash: string): MediaCassetteEntry | undefined {
    const entry = this.entries.get(hash);
    return entry && 'media' in entry ? entry : undefined;
  }

  /** whether a request hash is recorded */
  has(hash: string): boolean {
    return this.entries.has(hash);
  }

  /**
   * records (or replaces) an exchange, its secrets redacted (`security/redact.ts`): a cassette is
   * a file people commit. A media entry's images and audio (binary as base64) are kept as they are. The hash is of the request as sent, so a replay still finds it.
   */
  set(hash: string, entry: AnyCassetteEntry): void {
    if ('media' in entry) {
      // a media result's binary (base64 images, `$bytes` audio) is not text: a credential pattern
      // matched by chance inside it would corrupt the replay, so only the rest is redacted
      const { images, audio, ...rest } = entry.media as Record<string, unknown>;
      const media = { ...secretRedactor().redactValue(rest), ...(images !== undefined ? { images } : {}), ...(audio !== undefined ? { audio } : {}) };
      this.entries.set(hash, { ...secretRedactor().redactValue({ ...entry, media: {} }), media });
      this.pending.add(hash);
      return;
    }
    this.entries.set(hash, secretRedactor().redactValue(entry));
    this.pending.add(hash);
  }

  /** the request hashes, sorted */
  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The file content: entries sorted by key. */
  toJSON(): CassetteFile {
    const entries: Record<string, AnyCassetteEntry> = {};
    for (const key of this.keys()) entries[key] = this.entries.get(key)!;
    return { version: CASSETTE_VERSION, entries };
  }

  /**
   * Merges this cassette into its file: takes the file's lock (`<file>.lock`, proper-lockfile;
   * {@link CASSETTE_LOCK}), re-reads the file, adds the entries recorded here since the last save
   * (they replace the file's entry for the same request hash; every other entry of the file is
   * kept), writes a temporary file in the same directory and renames it over the cassette (atomic
   * on POSIX file systems), then releases the lock. Two processes recording at once therefore
   * lose nothing, and a killed process leaves either the old or the new file. This instance then
   * also holds the entries other processes recorded.
   * @throws TaskgraphError `CONFIG_INVALID` when the lock cannot be taken, the file on disk has
   *   become malformed (it is never overwritten then), or the file cannot be written
   */
  async save(): Promise<void> {
    let release: () => Promise<void>;
    try {
      release = await lock(this.file, {
        ...CASSETTE_LOCK,
        realpath: false,
        // the rename below is atomic whoever holds the lock; a lost lock costs at most an entry of the other writer
        onCompromised: () => undefined,
      });
    } catch (error) {
      throw new TaskgraphError('CONFIG_INVALID', `cannot lock cassette ${this.file}: ${(error as Error).message}`, {
        cause: error,
        details: { file: this.file },
        hint: `check that the directory is writable; remove ${this.file}.lock if no taskgraph process is recording`,
      });
    }
    const tmp = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.tmp`);
    try {
      const merged = existsSync(this.file) ? Cassette.load(this.file).entries : new Map<string, AnyCassetteEntry>();
      for (const [hash, entry] of this.entries) {
        if (this.pending.has(hash) || !merged.has(hash)) merged.set(hash, entry);
      }
      this.entries = merged;
      await writeFile(tmp, `${JSON.stringify(this.toJSON(), null, 2)}\n`, 'utf8');
      await rename(tmp, this.file);
      this.pending.clear();
    } catch (error) {
      await unlink(tmp).catch(() => undefined); // the temporary file may not exist
      if (error instanceof TaskgraphError) throw error;
      throw new TaskgraphError('CONFIG_INVALID', `cannot write cassette ${this.file}: ${(error as Error).message}`, {
        cause: error,
        details: { file: this.file },
        hint: 'check that the directory exists and is writable',
      });
    } finally {
      await release().catch(() => undefined);
    }
  }
}

function toRecorded(result: LanguageModelV4GenerateResult): RecordedResponse {
  // response metadata (id, timestamp) and raw HTTP bodies are left out: they change on every
  // recording and would make cassette diffs noisy; the AI SDK fills in defaults on replay
  return {
    content: encodeJson(result.content) as unknown[],
    finishReason: encodeJson(result.finishReason),
    usage: encodeJson(result.usage),
    warnings: encodeJson(result.warnings) as unknown[],
    ...(result.structuredOutputText !== undefined ? { structuredOutputText: result.structuredOutputText } : {}),
  };
}

function fromRecorded(recorded: RecordedResponse): LanguageModelV4GenerateResult {
  return {
    content: decodeJson(recorded.content),
    finishReason: decodeJson(recorded.finishReason),
    usage: decodeJson(recorded.usage),
    warnings: decodeJson(recorded.warnings),
    ...(recorded.structuredOutputText !== undefined ? { structuredOutputText: recorded.structuredOutputText } : {}),
  } as LanguageModelV4GenerateResult;
}

/** Options for {@link recordingModel}. */
export interface RecordingOptions {
  /** provider family used in the request hash; default {@link providerFamily}(model.provider) */
  provider?: string;
  /** model id used in the request hash; default model.modelId */
  modelId?: string;
  /** save the cassette after every recorded call (default true), so a killed process keeps them */
  autosave?: boolean;
}

/**
 * Wraps a live model (AI SDK `wrapLanguageModel` + `wrapGenerate` middleware): every successful
 * `doGenerate` result (content, finishReason, usage, warnings) is stored in `cassette` under its
 * {@link requestHash}, including answers that later fail schema validation (a replay must
 * reproduce repairs too). Failed calls are not recorded. Streaming is not supported.
 * @throws (from doStream) TaskgraphError `INTERNAL`: streaming calls cannot be recorded
 */
export function recordingModel(model: LanguageModelV4, cassette: Cassette, options: RecordingOptions = {}): LanguageModelV4 {
  const provider = options.provider ?? providerFamily(model.provider);
  const modelId = options.modelId ?? model.modelId;
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v4',
      wrapGenerate: async ({ doGenerate, params }) => {
        const result = await doGenerate();
        cassette.set(requestHash(provider, modelId, params), {
          model: `${provider}:${modelId}`,
          request: encodeJson(params.prompt),
          response: toRecorded(result),
        });
        if (options.autosave ?? true) await cassette.save();
        return result;
      },
      wrapStream: async (): Promise<LanguageModelV4StreamResult> => {
        throw new TaskgraphError('INTERNAL', `streaming calls cannot be recorded (${provider}:${modelId})`, {
          hint: 'use generateText (ModelClient.generate) when recording a cassette',
        });
      },
    },
  });
}

/** Options for {@link replayModel}. */
export interface ReplayOptions {
  /** who asks (node id / profile), named in CASSETTE_MISS errors; default `provider:modelId` */
  label?: string;
}

/**
 * A language model (spec `v4`) that answers only from a cassette: no API key, no network.
 * `supportedUrls` claims every URL so the AI SDK never downloads prompt attachments.
 * @param provider provider family as in the profile (must equal the one used when recording)
 * @param modelId the profile's model id
 * @throws (from doGenerate) TaskgraphError `CASSETTE_MISS` naming the label, request hash and file;
 *   (from doStream) TaskgraphError `INTERNAL`: streaming is not supported in replay
 */
export function replayModel(provider: string, modelId: string, cassette: Cassette, options: ReplayOptions = {}): LanguageModelV4 {
  const label = options.label ?? `${provider}:${modelId}`;
  return {
    specificationVersion: 'v4',
    provider,
    modelId,
    supportedUrls: { '*/*': [/^.*$/] },
    async doGenerate(params: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
      const hash = requestHash(provider, modelId, params);
      const entry = cassette.get(hash);
      if (!entry) {
        throw new TaskgraphError('CASSETTE_MISS', `no recording for ${label} (request ${hash}) in ${cassette.file}`, {
          details: { label, hash, file: cassette.file, model: `${provider}:${modelId}` },
          hint: 're-record with --record FILE against a live model or the fake server',
        });
      }
      return fromRecorded(entry.response);
    },
    async doStream(): Promise<LanguageModelV4StreamResult> {
      throw new TaskgraphError('INTERNAL', `streaming is not supported in replay (${label}, ${provider}:${modelId})`, {
        hint: 'use generateText (ModelClient.generate) with cassettes',
      });
    },
  };
}
