import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleMedia, MEDIA_PATHS } from './fake-openai-media.js';
import type { FakeImageHandler, FakeSpeechHandler, FakeTranscriptionHandler } from './fake-openai-media.js';

export type { FakeImageHandler, FakeMediaError, FakeSpeechHandler, FakeTranscriptionHandler, FakeTranscriptionRequest } from './fake-openai-media.js';

/**
 * A loopback fake of the OpenAI chat completions API (`POST /v1/chat/completions`) and, when
 * given handlers, of its media APIs (images, speech, transcriptions: `fake-openai-media.ts`), the one fake
 * taskgraph uses, placed at the network boundary: the real AI SDK providers (`openai` with a
 * `baseURL`, or `openai-compatible`) talk HTTP to it exactly as they would to a real server.
 * Tests script its answers; the demo's recording script records a cassette against it.
 *
 * Wire format follows the OpenAI chat completions reference
 * (https://platform.openai.com/docs/api-reference/chat): a JSON `chat.completion` object, or with
 * `stream: true` server-sent events of `chat.completion.chunk` objects ended by `data: [DONE]`.
 */

/** One chat message as the fake hands it to `respond`; `content` is flattened to plain text. */
export interface FakeChatMessage {
  role: string;
  /** the message text; array content (`[{type:'text', text}]`) is joined with newlines; a `tool` message's result text */
  content: string;
  /** an assistant message's tool calls (`tool_calls`), arguments parsed from their JSON text */
  toolCalls?: FakeToolCall[];
  /** a `tool` message: the id of the call it answers */
  toolCallId?: string;
}

/** A tool call of the fake's answer, or of an assistant message it received. */
export interface FakeToolCall {
  /** the function (tool) name */
  name: string;
  /** the arguments (sent as their JSON text, as OpenAI does) */
  arguments: unknown;
  /** the call id; default `call_<m>_<i>` (m = messages in the request, i = index), so a rerun of the same exchange gets the same ids */
  id?: string;
}

/** What `respond` sees for each request. */
export interface FakeRequest {
  /** the `model` field of the request body */
  model: string;
  messages: FakeChatMessage[];
  /** the whole parsed JSON request body (e.g. `response_format`, `temperature`) */
  body: any;
  /** the request headers (lower-case names), e.g. `authorization: Bearer <key>` */
  headers: IncomingHttpHeaders;
}

/**
 * The fake's answer to one request: either a successful completion or an HTTP error.
 * - `{ content, usage? }`: HTTP 200 with `content` as the assistant message. When `usage` is
 *   missing, tokens are estimated as `ceil(chars / 4)` (prompt: all message contents; completion:
 *   `content`), the rule of thumb "1 token ≈ 4 characters of English" from OpenAI's help article
 *   "What are tokens and how to count them?". Good enough for tests; not a tokenizer.
 *   `usage` is sent as given, so a test can make the server report impossible counts (negative,
 *   fractional, huge). With `trickleMs`, the headers go out at once and the JSON body follows one
 *   byte every `trickleMs` ms (a server that is alive but too slow; SSE streams ignore it).
 *   With `dropAfterChunks` n, a streaming answer sends n content chunks and then the connection
 *   is cut (a server or proxy that dies mid-answer); JSON answers ignore it.
 * - `{ status, body?, headers? }`: that HTTP status with `body` as JSON (default: an OpenAI-style
 *   `{ error: { message, type, code } }`) and extra response headers (e.g. `Retry-After`).
 * - `{ toolCalls, content?, usage? }`: HTTP 200 with an assistant message that calls tools
 *   (`tool_calls: [{ id, type: 'function', function: { name, arguments } }]`, `content` or
 *   null) and `finish_reason: 'tool_calls'`; the client then runs the tools and sends their
 *   results back as `role: 'tool'` messages ({@link FakeChatMessage.toolCallId}). JSON only: a
 *   streaming request gets HTTP 500.
 * - `{ noAnswer: true }`: the request is read and nothing is ever sent back, not even headers (a
 *   hung server); the connection stays open until the client gives up or the fake is closed.
 */
export type FakeReply =
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number }; trickleMs?: number; dropAfterChunks?: number }
  | { toolCalls: FakeToolCall[]; content?: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { status: number; body?: any; headers?: Record<string, string> }
  | { noAnswer: true };

/** Options for {@link startFakeOpenAIServer}. */
export interface FakeOpenAIServerOptions {
  /** decides the answer to each chat completion request (may be async) */
  respond: (req: FakeRequest) => FakeReply | Promise<FakeReply>;
  /** the media routes' answers; a route without a handler answers 404 */
  media?: { image?: FakeImageHandler; speech?: FakeSpeechHandler; transcription?: FakeTranscriptionHandler };
  /** delay before each answer, in ms (default 0) */
  latencyMs?: number;
}

/** A running fake server. */
export interface FakeOpenAIServer {
  /** base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`: use as a profile's `baseURL` */
  url: string;
  /** the parsed JSON body of every chat request received, in arrival order (failed ones included) */
  requests: any[];
  /** every media request received: its path (`/v1/images/generations` ...) and JSON body or parsed form */
  mediaRequests: Array<{ path: string; body: any }>;
  /** stops listening and drops open connections */
  close(): Promise<void>;
}

/** Token estimate used when a reply gives no usage: `ceil(chars / 4)` (see {@link FakeReply}). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A tool call's `arguments` JSON text, parsed (kept as text when it is not JSON). */
function parseArguments(text: unknown): unknown {
  if (typeof text !== 'string') return text ?? {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function flattenContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : ''))
      .filter((t) => t !== '')
      .join('\n');
  }
  return content == null ? '' : JSON.stringify(content);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(status: number, message: string): unknown {
  return { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: String(status) } };
}

let completionCounter = 0;

/** Sends 200 headers at once, then `body` one byte every `everyMs` ms, until done or the client goes away. */
async function trickle(res: ServerResponse, body: Buffer, everyMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.flushHeaders();
  for (let i = 0; i < body.length; i++) {
    if (res.destroyed || res.socket?.destroyed) return;
    res.write(body.subarray(i, i + 1));
    await sleep(everyMs);
  }
  res.end();
}

/**
 * Starts the fake on `127.0.0.1`, port chosen by the OS.
 * Routes: `POST /v1/chat/completions` (JSON or SSE when `stream: true`); `POST
 * /v1/images/generations`, `/v1/audio/speech`, `/v1/audio/transcriptions` (multipart) when
 * `options.media` has their handler (see `fake-openai-media.ts`); anything else is 404.
 * A `respond` that throws yields HTTP 500 with the error message.
 * @returns the server handle once it is listening
 */
export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions): Promise<FakeOpenAIServer> {
  const requests: any[] = [];
  const mediaRequests: Array<{ path: string; body: any }> = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(500, `fake server failure: ${String(error)}`));
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path && MEDIA_PATHS.has(path)) {
      await handleMedia(path, req, res, options.media ?? {}, mediaRequests);
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendJson(res, 404, errorBody(404, `fake server: no route ${req.method} ${req.url}`));
      return;
    }
    let body: any;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      sendJson(res, 400, errorBody(400, 'fake server: request body is not JSON'));
      return;
    }
    requests.push(body);
    const messages: FakeChatMessage[] = (Array.isArray(body.messages) ? body.messages : []).map((m: any) => ({
      role: String(m?.role ?? ''),
      content: flattenContent(m?.content),
      ...(Array.isArray(m?.tool_calls)
        ? { toolCalls: m.tool_calls.map((c: any) => ({ id: String(c?.id ?? ''), name: String(c?.function?.name ?? ''), arguments: parseArguments(c?.function?.arguments) })) }
        : {}),
      ...(typeof m?.tool_call_id === 'string' ? { toolCallId: m.tool_call_id } : {}),
    }));
    const model = String(body.model ?? '');

    let reply: FakeReply;
    try {
      reply = await options.respond({ model, messages, body, headers: req.headers });
    } catch (error) {
      sendJson(res, 500, errorBody(500, error instanceof Error ? error.message : String(error)));
      return;
    }
    if (options.latencyMs) await sleep(options.latencyMs);

    if ('noAnswer' in reply) return; // hold the connection: closeAllConnections() ends it
    if ('status' in reply) {
      sendJson(res, reply.status, reply.body ?? errorBody(reply.status, `fake server error ${reply.status}`), reply.headers);
      return;
    }

    const promptChars = messages.reduce((n, m) => n + m.content.length, 0);
    const promptTokens = reply.usage?.prompt_tokens ?? Math.ceil(promptChars / 4);
    const id = `chatcmpl-fake-${++completionCounter}`;
    const created = Math.floor(Date.now() / 1000);
    if ('toolCalls' in reply) {
      if (body.stream === true) {
        sendJson(res, 500, errorBody(500, 'fake server: tool calls are answered to non-streaming requests only'));
        return;
      }
      const calls = reply.toolCalls.map((c, i) => ({
        id: c.id ?? `call_${messages.length}_${i}`,
        type: 'function',
        function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
      }));
      const completionTokens = reply.usage?.completion_tokens ?? estimateTokens(JSON.stringify(calls) + (reply.content ?? ''));
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.content ?? null, tool_calls: calls }, finish_reason: 'tool_calls', logprobs: null }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      });
      return;
    }
    const completionTokens = reply.usage?.completion_tokens ?? estimateTokens(reply.content);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const chunk = (choice: unknown, extra: Record<string, unknown> = {}) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: choice === null ? [] : [choice], ...extra })}\n\n`;
      res.write(chunk({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }));
      for (let i = 0, n = 0; i < reply.content.length; i += 16, n++) {
        if (n === reply.dropAfterChunks) {
          await new Promise<void>((resolve) => res.write('', () => resolve())); // what was written goes out first
          res.destroy();
          return;
        }
        res.write(chunk({ index: 0, delta: { content: reply.content.slice(i, i + 16) }, finish_reason: null }));
      }
      res.write(chunk({ index: 0, delta: {}, finish_reason: 'stop' }));
      if (body.stream_options?.include_usage) res.write(chunk(null, { usage }));
      res.end('data: [DONE]\n\n');
      return;
    }

    const completion = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop', logprobs: null }],
      usage,
    };
    if (reply.trickleMs !== undefined) {
      await trickle(res, Buffer.from(JSON.stringify(completion)), reply.trickleMs);
      return;
    }
    sendJson(res, 200, completion);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    mediaRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
