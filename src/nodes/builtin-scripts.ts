import { setTimeout as sleep } from 'node:timers/promises';
import { TaskgraphError } from '../core/errors.js';
import { isJsonObject, type Json } from '../core/json.js';
import type { ScriptFunction } from '../engine/node-executor.js';
import { projectIndexScript } from './project-index-script.js';

/**
 * Built-in `script` functions:
 * - `noop`: returns `{ args, inputs }` (benchmarks, wiring tests)
 * - `echo`: returns `args`
 * - `sleep`: waits `args.ms` ms (default 10), returns `{ slept: ms }`
 * - `fail`: throws NODE_FAILED with `args.message`
 * - `concat`: joins string inputs in key order with `args.separator` (default "\n")
 * - `git-commit`: commits the worktree with `args.message` (conventional-commit message), returns `{ commit, message }`
 * - `project-index`: builds the project index (INDEX.md) after a plan's tasks and returns it; with `args.commit` also commits INDEX.md (see `project-index-script.ts`)
 */
export const builtinScripts: ReadonlyMap<string, ScriptFunction> = new Map<string, ScriptFunction>([
  [
    'noop',
    { version: 1, sideEffects: false, forecastSafe: true, description: 'returns its args and inputs', run: async (args, inputs) => ({ args, inputs }) },
  ],
  ['echo', { version: 1, sideEffects: false, forecastSafe: true, description: 'returns its args', run: async (args) => args }],
  [
    'sleep',
    {
      version: 1,
      sideEffects: false,
      description: 'waits args.ms milliseconds',
      run: async (args, _inputs, ctx) => {
        const ms = isJsonObject(args) && typeof args['ms'] === 'number' ? args['ms'] : 10;
        await sleep(ms, undefined, { signal: ctx.signal });
        return { slept: ms };
      },
    },
  ],
  [
    'fail',
    {
      version: 1,
      sideEffects: false,
      description: 'fails with args.message',
      run: async (args) => {
        const message = isJsonObject(args) && typeof args['message'] === 'string' ? args['message'] : 'failed on purpose';
        throw new TaskgraphError('NODE_FAILED', message);
      },
    },
  ],
  [
    'concat',
    {
      version: 1,
      sideEffects: false,
      forecastSafe: true,
      description: 'joins string inputs',
      run: async (args, inputs) => {
        const sep = isJsonObject(args) && typeof args['separator'] === 'string' ? args['separator'] : '\n';
        return Object.keys(inputs)
          .sort()
          .map((k) => (typeof inputs[k] === 'string' ? (inputs[k] as string) : JSON.stringify(inputs[k])))
          .join(sep);
      },
    },
  ],
  [
    'git-commit',
    {
      version: 1,
      sideEffects: true,
      forecastSafe: true,
      description: 'commits the worktree with args.message',
      run: async (args, _inputs, ctx): Promise<Json> => {
        if (!ctx.workspace) throw new TaskgraphError('RUN_STATE', 'git-commit needs a run worktree');
        const message = isJsonObject(args) && typeof args['message'] === 'string' ? args['message'] : `chore: ${ctx.node.id}`;
        const commit = await ctx.workspace.commit(message);
        return { commit, message };
      },
    },
  ],
  ['project-index', projectIndexScript],
]);
