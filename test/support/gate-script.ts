import type { ScriptFunction } from '../../src/engine/node-executor.js';

/**
 * A pure script that waits until the test opens it: keeps a branch (and the run's session) live
 * while the test looks at it.
 * @param result what the script returns once opened
 * @returns the script, `open()` to let it finish, and `started`, resolved when it begins
 */
export function gateScript(result: string): { fn: ScriptFunction; open: () => void; started: Promise<void> } {
  let open!: () => void;
  let started!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const began = new Promise<void>((r) => (started = r));
  const fn: ScriptFunction = {
    version: 1,
    sideEffects: false,
    description: 'waits for the test',
    run: async () => {
      started();
      await opened;
      return result;
    },
  };
  return { fn, open, started: began };
}
