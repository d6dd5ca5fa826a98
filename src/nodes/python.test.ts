import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectConfigSchema } from '../core/config.js';
import type { GraphSpecInput } from '../core/graph.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { defaultRegistry } from './index.js';
import { lastJsonLine } from './python.js';

const config = ProjectConfigSchema.parse({});

/** One store and project directory for the file: a real python3 runs each script. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tg-python-'));
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const { executors, scripts } = defaultRegistry();
  const events: EngineEvent[] = [];
  const run = async (graph: GraphSpecInput) => {
    events.length = 0;
    const summary = await new Engine({ store, executors, scripts, projectDir: dir, config, observers: [(e) => events.push(e)] }).start({ graph, command: 'test' });
    const executed = events.filter((e) => e.type === 'node-finish' && e.status !== 'cached').map((e) => (e as { nodeId: string }).nodeId);
    return { summary, executed, attempt: async (id: string) => (await store.listAttempts(summary.runId, id)).at(-1)! };
  };
  return { dir, run };
}

const SCRIPT = `import json, sys
data = json.load(sys.stdin)
print("progress: working")
print(json.dumps({"sum": data["a"] + data["b"], "argv": sys.argv[1:], "py": sys.version_info[0]}))
`;

describe('python node', () => {
  it('sends inputs as JSON on stdin, takes the last stdout line as output, and caches by the script content', async () => {
    const { dir, run } = await setup();
    writeFileSync(join(dir, 'add.py'), SCRIPT);
    const graph: GraphSpecInput = {
      nodes: [
        { id: 'a', kind: 'script', config: { fn: 'echo', args: 40 } },
        { id: 'py', kind: 'python', config: { script: 'add.py', args: ['x'] }, inputs: { a: { $ref: 'a' }, b: 2 } },
      ],
    };
    const first = await run(graph);
    expect(first.summary.status).toBe('succeeded');
    expect((await first.attempt('py')).output).toEqual({ sum: 42, argv: ['x'], py: 3 });
    // unchanged script: a cache hit
    const second = await run(graph);
    expect(second.executed).not.toContain('py');
    // same path, new content: the key changes and the node runs again
    writeFileSync(join(dir, 'add.py'), SCRIPT.replace('data["a"] + data["b"]', 'data["a"] * data["b"]'));
    const third = await run(graph);
    expect(third.executed).toContain('py');
    expect((await third.attempt('py')).output).toMatchObject({ sum: 80 });
  });

  it('types its failures: non-zero exit with the stderr tail, output that is not JSON, timeout', async () => {
    const { run } = await setup();
    const result = await run({
      nodes: [
        { id: 'boom', kind: 'python', config: { code: 'import sys\nprint("partial")\nraise ValueError("bad input 7")' } },
        { id: 'text', kind: 'python', config: { code: 'print("{not json")' } },
        { id: 'slow', kind: 'python', config: { code: 'import time\ntime.sleep(30)', timeoutMs: 300 } },
        { id: 'inline', kind: 'python', config: { code: 'import json,sys\nprint(json.dumps(json.load(sys.stdin)))' }, inputs: { q: 'ünï "x"' } },
      ],
    });
    expect(result.summary.status).toBe('failed');
    const boom = await result.attempt('boom');
    expect(boom.error).toMatchObject({ code: 'PYTHON_FAILED', details: { exitCode: 1 } });
    expect(boom.error!.message).toContain('ValueError: bad input 7');
    expect((await result.attempt('text')).error).toMatchObject({ code: 'PYTHON_OUTPUT_INVALID', details: { line: '{not json' } });
    const slow = await result.attempt('slow');
    expect(slow.error).toMatchObject({ code: 'PYTHON_TIMEOUT' });
    expect(slow.durationMs).toBeLessThan(5_000);
    expect((await result.attempt('inline')).output).toEqual({ q: 'ünï "x"' });
  });

  it('refuses a script outside the worktree or missing, and a config with both or neither of script and code', async () => {
    const { run } = await setup();
    const outside = await run({ nodes: [{ id: 'p', kind: 'python', config: { script: '../etc/x.py' } }] });
    expect((await outside.attempt('p')).error).toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(run({ nodes: [{ id: 'p', kind: 'python', config: { script: 'a.py', code: 'print(1)' } }] })).rejects.toThrow(/exactly one of/);
  });

  it('reads the last non-empty line', () => {
    expect(lastJsonLine('a\n[1,2]\n\n')).toEqual({ ok: true, value: [1, 2] });
    expect(lastJsonLine('')).toEqual({ ok: false, line: '' });
  });
});
