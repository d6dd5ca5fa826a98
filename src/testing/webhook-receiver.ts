import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST a {@link WebhookReceiver} got. */
export interface ReceivedWebhook {
  /** header names lower-cased */
  headers: Record<string, string>;
  body: string;
  /** ms since the Unix epoch when it arrived */
  at: number;
}

/** How the receiver answers: a status code, or `hang` (never answer). */
export type ReceiverReply = number | 'hang';

/** A loopback HTTP server standing in for a webhook receiver (tests; the network boundary). */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** how the next requests are answered (default 200) */
  reply: (request: ReceivedWebhook, index: number) => ReceiverReply;
  /** resolves once `count` requests arrived */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** closes the server and drops hanging connections */
  close(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1 (`port` 0: any free one; give a port to restart on a known URL).
 * @throws Error when the port cannot be bound
 */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const hanging = new Set<ServerResponse>();
  const receiver = {
    reply: (() => 200) as WebhookReceiver['reply'],
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const got: ReceivedWebhook = { headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const answer = receiver.reply(got, received.length);
      received.push(got);
      for (const w of [...waiters]) if (received.length >= w.count) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
      if (answer === 'hang') hanging.add(res);
      else res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return Object.assign(receiver, {
    url,
    received,
    waitFor(count: number, timeoutMs = 20_000): Promise<ReceivedWebhook[]> {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise<ReceivedWebhook[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`webhook receiver: ${received.length} of ${count} requests after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(received)) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
