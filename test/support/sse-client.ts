import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** A Hono app served over real HTTP on loopback. */
export interface ServedApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** stops listening and drops open connections */
  close(): Promise<void>;
}

/** Serves `app` with @hono/node-server on 127.0.0.1, port 0 (a free port). */
export function serveApp(app: Hono<any, any, any>): Promise<ServedApp> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** One server-sent event as received. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** An open `text/event-stream` response. */
export interface SseStream {
  status: number;
  headers: Headers;
  /** the events in arrival order; ends when the server closes the stream */
  events: AsyncGenerator<SseEvent, void, undefined>;
  /** drops the connection (the client goes away) */
  close(): void;
}

/**
 * GETs `url` and parses the body as server-sent events (WHATWG HTML §9.2 event stream format:
 * `field: value` lines, blank line ends an event, `:` lines are comments). A non-2xx or 204
 * response yields no events; read its body with `text()` on the response yourself if needed.
 * @param headers request headers, e.g. `{ 'Last-Event-ID': '12' }`
 */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream & { text(): Promise<string> }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const sse = response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  async function* events(): AsyncGenerator<SseEvent, void, undefined> {
    if (!sse || !response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseBlock(block);
          if (event) yield event;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  }
  return {
    status: response.status,
    headers: response.headers,
    events: events(),
    close: () => controller.abort(),
    text: () => response.text(),
  };
}

function parseBlock(block: string): SseEvent | undefined {
  const event: SseEvent = { data: '' };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'id') event.id = value;
    else if (field === 'event') event.event = value;
  }
  if (data.length === 0 && event.id === undefined && event.event === undefined) return undefined;
  event.data = data.join('\n');
  return event;
}

/** Reads events from `stream` until `stop(event)` holds for one (included) or the stream ends. */
export async function readUntil(stream: SseStream, stop: (event: SseEvent) => boolean = () => false): Promise<SseEvent[]> {
  const got: SseEvent[] = [];
  for (;;) {
    const next = await stream.events.next();
    if (next.done) return got;
    got.push(next.value);
    if (stop(next.value)) return got;
  }
}
