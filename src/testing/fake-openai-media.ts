import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The media routes of the loopback OpenAI fake (`fake-openai-server.ts`), shaped as the OpenAI API
 * reference describes them (https://platform.openai.com/docs/api-reference/images/create,
 * .../audio/createSpeech, .../audio/createTranscription): image generation answers JSON with
 * base64 images, speech answers the audio bytes, transcription reads `multipart/form-data` (parsed
 * with the WHATWG `Request.formData()` of Node's fetch, not by hand) and answers JSON.
 */

/** An HTTP error a media route answers with (body: an OpenAI-style error object). */
export type FakeMediaError = { status: number; headers?: Record<string, string> };

/**
 * A `POST /v1/images/generations` request (OpenAI images reference: JSON `{ model, prompt, n,
 * size, response_format, ... }`) and its answer: base64 images (`data[].b64_json`), optional
 * `usage` (`input_tokens`, `output_tokens`; GPT Image models report it).
 */
export type FakeImageHandler = (body: any) => { images: Buffer[]; usage?: { input_tokens: number; output_tokens: number } } | FakeMediaError;

/**
 * A `POST /v1/audio/speech` request (OpenAI audio reference: JSON `{ model, input, voice,
 * response_format, speed, instructions }`) and its answer: the audio bytes, sent with the
 * content type of `response_format` (mp3 -> audio/mpeg, wav -> audio/wav, ...).
 */
export type FakeSpeechHandler = (body: any) => { audio: Buffer } | FakeMediaError;

/** A `POST /v1/audio/transcriptions` request as the fake parsed it from `multipart/form-data`. */
export interface FakeTranscriptionRequest {
  model: string;
  /** the bytes of the `file` part */
  file: Buffer;
  /** the `file` part's filename and content type */
  filename: string;
  mediaType: string;
  /** the other form fields (`response_format`, `language`, `timestamp_granularities[]` joined by commas, ...) */
  fields: Record<string, string>;
}

/**
 * Answers a transcription: `text`, and `language` (a name such as `english`, as OpenAI sends it)
 * and `duration` (seconds). With `response_format: verbose_json` they are sent as the verbose
 * object (`task`, `language`, `duration`, `text`, `segments`); otherwise `{ text, usage: { type:
 * 'duration', seconds } }` as the `json` format does.
 */
export type FakeTranscriptionHandler = (req: FakeTranscriptionRequest) => { text: string; language?: string; duration?: number } | FakeMediaError;

/** The paths served here. */
export const MEDIA_PATHS: ReadonlySet<string> = new Set(['/v1/images/generations', '/v1/audio/speech', '/v1/audio/transcriptions']);

/** Content type of speech audio by `response_format` (IANA media types). */
const AUDIO_TYPES: Record<string, string> = { mp3: 'audio/mpeg', wav: 'audio/wav', opus: 'audio/opus', aac: 'audio/aac', flac: 'audio/flac', pcm: 'audio/pcm' };

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function fail(res: ServerResponse, error: FakeMediaError, what: string): void {
  json(res, error.status, { error: { message: `fake server: ${what} error ${error.status}`, type: error.status >= 500 ? 'server_error' : 'invalid_request_error', code: String(error.status) } }, error.headers);
}

/**
 * Serves one media request (`path` in {@link MEDIA_PATHS}) and records it in `log` (its path and
 * JSON body, or for a transcription the parsed form with the file's size instead of its bytes).
 * A route without a handler answers 404; a body that does not parse answers 400.
 */
export async function handleMedia(
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  handlers: { image?: FakeImageHandler; speech?: FakeSpeechHandler; transcription?: FakeTranscriptionHandler },
  log: Array<{ path: string; body: any }>,
): Promise<void> {
  const raw = await readBytes(req);
  const route = path === '/v1/images/generations' ? 'image' : path === '/v1/audio/speech' ? 'speech' : 'transcription';
  if (!handlers[route]) {
    json(res, 404, { error: { message: `fake server: no ${route} handler`, type: 'invalid_request_error', code: '404' } });
    return;
  }
  if (route === 'transcription') {
    let form: FormData;
    try {
      form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type'] ?? '') }, body: raw }).formData();
    } catch {
      fail(res, { status: 400 }, 'request body is not multipart/form-data;');
      return;
    }
    const file = form.get('file');
    if (!(file instanceof Blob)) {
      fail(res, { status: 400 }, 'no file part;');
      return;
    }
    const fields: Record<string, string> = {};
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') fields[name] = fields[name] === undefined ? value : `${fields[name]},${value}`;
    }
    const parsed: FakeTranscriptionRequest = {
      model: fields['model'] ?? '',
      file: Buffer.from(await file.arrayBuffer()),
      filename: (file as File).name ?? '',
      mediaType: file.type,
      fields,
    };
    log.push({ path, body: { ...fields, file: { filename: parsed.filename, mediaType: parsed.mediaType, bytes: parsed.file.length } } });
    const answer = handlers.transcription!(parsed);
    if ('status' in answer) return fail(res, answer, 'transcription');
    if (fields['response_format'] === 'verbose_json') {
      const duration = answer.duration ?? 0;
      json(res, 200, { task: 'transcribe', language: answer.language ?? 'english', duration, text: answer.text, segments: [{ id: 0, seek: 0, start: 0, end: duration, text: answer.text, tokens: [], temperature: 0, avg_logprob: 0, compression_ratio: 1, no_speech_prob: 0 }] });
    } else {
      json(res, 200, { text: answer.text, ...(answer.language ? { language: answer.language } : {}), ...(answer.duration !== undefined ? { usage: { type: 'duration', seconds: answer.duration } } : {}) });
    }
    return;
  }
  let body: any;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    fail(res, { status: 400 }, 'request body is not JSON;');
    return;
  }
  log.push({ path, body });
  if (route === 'image') {
    const answer = handlers.image!(body);
    if ('status' in answer) return fail(res, answer, 'image');
    const usage = answer.usage ? { ...answer.usage, total_tokens: answer.usage.input_tokens + answer.usage.output_tokens } : undefined;
    json(res, 200, { created: Math.floor(Date.now() / 1000), data: answer.images.map((b) => ({ b64_json: b.toString('base64') })), ...(usage ? { usage } : {}) });
    return;
  }
  const answer = handlers.speech!(body);
  if ('status' in answer) return fail(res, answer, 'speech');
  res.writeHead(200, { 'content-type': AUDIO_TYPES[String(body.response_format ?? 'mp3')] ?? 'application/octet-stream', 'content-length': answer.audio.length });
  res.end(answer.audio);
}
