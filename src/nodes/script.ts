import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import type { NodeExecutor, ScriptFunction, ScriptRegistry } from '../engine/node-executor.js';

const ScriptConfig = z
  .object({
    /** registered function name */
    fn: z.string().min(1),
    /** arguments passed to the function */
    args: z.any().default(null),
  })
  .strict();

/** Config of a `script` node. */
export type ScriptConfig = z.infer<typeof ScriptConfig>;

/** Whether a script function changes the worktree when called with `args` (its flag, or its function of the args). */
export function scriptSideEffects(fn: ScriptFunction, args: Json): boolean {
  return typeof fn.sideEffects === 'function' ? fn.sideEffects(args) : fn.sideEffects;
}

/**
 * `script` nodes call a registered TypeScript function (DESIGN.md §4). The cache key adds the
 * function name and version, the function's own ingredients (`ScriptFunction.keyIngredients`)
 * and, for a call with side effects, the worktree HEAD + tree; whether the node has side effects
 * is the function's own flag (or its function of the args).
 * @param scripts the registry (see `builtin-scripts.ts`)
 */
export function scriptExecutor(scripts: ScriptRegistry): NodeExecutor<ScriptConfig> {
  const lookup = (name: string) => {
    const fn = scripts.get(name);
    if (!fn) {
      throw new TaskgraphError('CONFIG_INVALID', `no script function "${name}"`, {
        hint: `registered: ${[...scripts.keys()].sort().join(', ')}`,
      });
    }
    return fn;
  };
  return {
    kind: 'script',
    version: 1,
    configSchema: ScriptConfig,
    cacheable: true,
    sideEffects: (config) => {
      const fn = scripts.get(config.fn);
      return fn ? scriptSideEffects(fn, config.args as Json) : false;
    },
    forecastSafe: (config) => scripts.get(config.fn)?.forecastSafe === true,
    async keyIngredients(config, inputs, ctx) {
      const fn = lookup(config.fn);
      const own = fn.keyIngredients ? await fn.keyIngredients(config.args as Json, inputs, ctx) : {};
      const extra: Record<string, Json> = { ...own, fn: config.fn, fnVersion: fn.version };
      if (scriptSideEffects(fn, config.args as Json) && ctx.workspace) extra['workspace'] = { ...(await ctx.workspace.snapshot()) };
      return extra;
    },
    async execute(config, inputs, ctx) {
      const output = await lookup(config.fn).run(config.args as Json, inputs, ctx);
      return { status: 'succeeded', output };
    },
  };
}
