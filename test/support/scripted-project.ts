import { afterAll, beforeAll } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../src/testing/fake-openai-server.js';
import { ensureBuilt } from './build.js';
import { createSampleRepo, type SampleRepoOptions, type TempProject } from './project.js';
import type { ScriptedModel } from './scripted-model.js';

/** A sample project whose model profiles point at a loopback fake server answering from a script. */
export interface ScriptedProject {
  readonly server: FakeOpenAIServer;
  readonly project: TempProject;
  readonly dir: string;
}

/**
 * Registers `beforeAll`/`afterAll` hooks in the current `describe`: build the CLI, start the fake
 * OpenAI server answering with `model`, copy the sample project pointed at it; close and clean up
 * afterwards. Read the fields inside tests (they are set once `beforeAll` ran).
 * @param repo more options for {@link createSampleRepo} (`baseURL` is the server's)
 */
export function useScriptedProject(model: ScriptedModel, repo: Omit<SampleRepoOptions, 'baseURL'> = {}): ScriptedProject {
  let server: FakeOpenAIServer | undefined;
  let project: TempProject | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    server = await startFakeOpenAIServer({ respond: model.respond });
    project = await createSampleRepo({ ...repo, baseURL: server.url });
  });
  afterAll(async () => {
    await server?.close();
    await project?.cleanup();
  });
  return {
    get server() {
      return server!;
    },
    get project() {
      return project!;
    },
    get dir() {
      return project!.dir;
    },
  };
}
