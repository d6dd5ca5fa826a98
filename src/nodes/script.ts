import { z } from 'zod';
import { TaskgraphError } from '../core/errors.js';
import type { Json } from '../core/json.js';
import type { NodeExecutor, ScriptRegistry } from '../engine/node-executor.js';

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

/**
 * `script` nodes call a registered TypeScript function (DESIGN.md §4). The cache key adds the
 * function name and version; whether the node has side effects is the function's own flag.
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
    sideEffects: (config) => scripts.get(config.fn)?.sideEffects ?? false,
    forecastSafe: (config) => scripts.get(config.fn)?.forecastSafe === true,
    async keyIngredients(config, _inputs, ctx) {
      const fn = lookup(config.fn);
      const extra: Record<string, Json> = { fn: config.fn, fnVersion: fn.version };
      if (fn.sideEffects && ctx.workspace) extra['workspace'] = { ...(await ctx.workspace.snapshot()) };
      return extra;
    },
    async execute(config, inputs, ctx) {
      const output = await lookup(config.fn).run(config.args as Json, inputs, ctx);
      return { status: 'succeeded', output };
    },
  };
}
