import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AiSdkModelClient } from '../llm/ai-sdk-client.js';
import type { Usage } from '../store/store.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { rejectionOf } from '../../test/support/expect-error.js';
import { ModelMeter } from './meter.js';

/**
 * The meter with a tool loop (issue 9 item 7): every step is a model call, charged as the loop
 * goes, and the budget is checked before each step, with the real client and the loopback fake.
 */

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const tools = {
  set: { echo: { description: 'echo', inputSchema: z.object({ text: z.string() }), execute: async (i: { text: string }) => i.text } },
  maxSteps: 5,
};

async function setup(maxCalls: number) {
  server = await startFakeOpenAIServer({
    respond: ({ messages }) =>
      messages.filter((m) => m.role === 'tool').length >= 3
        ? { content: 'done', usage: { prompt_tokens: 10, completion_tokens: 1 } }
        : { toolCalls: [{ name: 'echo', arguments: { text: 'x' } }], usage: { prompt_tokens: 10, completion_tokens: 2 } },
  });
  const client = new AiSdkModelClient({ profiles: { m: { provider: 'openai-compatible', model: 'x', baseURL: server.url } } });
  const charges: Usage[] = [];
  let calls = 0;
  const meter = new ModelMeter(client, {
    beforeCall: () => (calls >= maxCalls ? { reason: `run budget reached: ${calls} model calls of ${maxCalls}`, scope: 'run' } : undefined),
    charge: (u) => {
      charges.push(u);
      calls += u.calls;
    },
  });
  return { meter, charges, calls: () => calls };
}

describe('ModelMeter with tools', () => {
  it('charges every step as one call, the same total as one charge would', async () => {
    const { meter, charges, calls } = await setup(100);
    const res = await meter.generate({ profile: 'm', prompt: 'go', tools });
    expect(res.steps).toBe(4);
    expect(calls()).toBe(4);
    expect(meter.usage).toMatchObject({ inputTokens: 40, outputTokens: 7, calls: 4 });
    expect(charges.length).toBeGreaterThan(1); // charged as the loop went
  });

  it('stops the loop before a step the budget does not allow; the steps taken stay charged', async () => {
    const { meter, calls } = await setup(2);
    const error = await rejectionOf(meter.generate({ profile: 'm', prompt: 'go', tools }));
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', message: 'run budget reached: 2 model calls of 2' });
    expect(server!.requests).toHaveLength(2);
    expect(calls()).toBe(2);
    expect(meter.usage).toMatchObject({ inputTokens: 20, outputTokens: 4, calls: 2 });
  });
});
