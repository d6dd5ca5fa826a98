import type { Json } from '../core/json.js';
import { isJsonObject } from '../core/json.js';
import { renderBundle } from '../context/render.js';

/**
 * The prompt an agent CLI gets and what is read back from its transcript (`nodes/agent.ts`).
 */

/** The instructions before the context bundle in an agent's prompt. Part of the node's cache key. */
export const AGENT_INSTRUCTIONS = `You are working inside a git repository, in its root directory.
Complete the task below by editing the files in place: make the smallest change that completes it
and makes the project's tests pass. Do not commit, push or create branches: taskgraph verifies,
reviews and commits your change itself. If notes from earlier attempts are present, read them
first: they show what failed and why.`;

/**
 * The prompt of an agent run: {@link AGENT_INSTRUCTIONS}, then the task's context bundle (the
 * output of its `context` node: task, acceptance criteria, notes of failed attempts, code), then
 * the request to edit the files now.
 * @param context the `context` input; a string is used as the task text, other JSON pretty-printed
 */
export function agentPrompt(context: Json | undefined): string {
  if (isJsonObject(context) && Array.isArray(context['items'])) {
    const bundle = renderBundle(context as unknown as { items: Array<{ text: string }> });
    return `${AGENT_INSTRUCTIONS}\n\n${bundle}\n\n---\n\nEdit the files for task ${String(context['task'])} now.`;
  }
  const text = typeof context === 'string' ? context : JSON.stringify(context ?? null, null, 2);
  return `${AGENT_INSTRUCTIONS}\n\n${text}`;
}

/** The keys of a JSON cost report, in the order they are looked for (Claude Code prints `total_cost_usd`). */
const COST_KEYS = ['total_cost_usd', 'cost_usd', 'costUsd'] as const;

/**
 * The cost, in USD, an agent CLI reported in its output as JSON (`claude -p --output-format json`
 * prints `{"type":"result", ..., "total_cost_usd": 0.0123, ...}`): the last value of
 * `total_cost_usd`, `cost_usd` or `costUsd` found in a JSON object on stdout, whole lines first,
 * then (when the transcript was trimmed in the middle) the key wherever it appears.
 * @param stdout the agent's standard output (possibly trimmed)
 * @returns USD, or undefined when it reported none (the cost is then unknown)
 */
export function reportedCostUsd(stdout: string): number | undefined {
  let found: number | undefined;
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    try {
      const value = JSON.parse(text) as unknown;
      if (!isJsonObject(value as Json)) continue;
      for (const key of COST_KEYS) {
        const cost = (value as Record<string, unknown>)[key];
        if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) {
          found = cost;
          break;
        }
      }
    } catch {
      // not a JSON line
    }
  }
  if (found !== undefined) return found;
  const pattern = new RegExp(`"(?:${COST_KEYS.join('|')})"\\s*:\\s*(\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)`, 'g');
  for (const match of stdout.matchAll(pattern)) found = Number(match[1]);
  return found;
}
