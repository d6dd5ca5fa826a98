#!/usr/bin/env node
/**
 * The loopback fake OpenAI server (`dist/testing/fake-openai-server.js`) in its own process, so
 * its CPU time does not share the engine's event loop (a real model server never does).
 * Forked by {@link startFakeServerProcess}; talks over the IPC channel:
 * sends `{ url }` once listening; answers `'count'` with `{ count }` (requests received so far).
 *
 * argv: `<latencyMs> <echo|hash>`: `echo` answers "ok"; `hash` answers `a-<sha256 of the prompt,
 * 16 hex>`, so different prompts get different answers.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/**
 * Forks this file as a child process and waits until it listens.
 * @param {number} latencyMs delay before each answer, ms
 * @param {'echo'|'hash'} mode how the fake answers
 * @returns {Promise<{ url: string, count(): Promise<number>, close(): Promise<void> }>}
 */
export async function startFakeServerProcess(latencyMs, mode) {
  const child = fork(fileURLToPath(import.meta.url), [String(latencyMs), mode], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
  return {
    url,
    count: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m.count));
        child.send('count');
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { startFakeOpenAIServer } = await import('../dist/testing/fake-openai-server.js');
  const latencyMs = Number(process.argv[2] ?? 0);
  const mode = process.argv[3] ?? 'echo';
  const hash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  const server = await startFakeOpenAIServer({
    latencyMs,
    respond: ({ messages }) => ({ content: mode === 'hash' ? `a-${hash(messages.map((m) => m.content).join('\n'))}` : 'ok' }),
  });
  process.on('message', (m) => {
    if (m === 'count') process.send({ count: server.requests.length });
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send({ url: server.url });
}
