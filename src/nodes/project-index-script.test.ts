import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../engine/node-executor.js';
import { projectIndexScript } from './project-index-script.js';

describe('project-index script: bad input', () => {
  it('needs a run worktree', async () => {
    const ctx = { workspace: undefined } as unknown as NodeContext;
    await expect(projectIndexScript.run({ planId: 'p-1', goal: 'g', leaves: [] }, {}, ctx)).rejects.toMatchObject({ code: 'RUN_STATE' });
  });
  it('says which argument is malformed', async () => {
    const ctx = { workspace: {} } as unknown as NodeContext;
    const error = await projectIndexScript.run({ planId: 'p-1', leaves: 'T1' }, {}, ctx).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toMatch(/goal: .*leaves: /);
  });
});
