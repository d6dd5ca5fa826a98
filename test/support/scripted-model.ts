import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeReply, FakeRequest } from '../../src/testing/fake-openai-server.js';
import { SAMPLE } from './project.js';

/**
 * Scripted answers for the loopback fake OpenAI server: planner requests get JSON plans, coder
 * requests get edits (unified diffs or SEARCH/REPLACE blocks), chosen by task id and attempt.
 */

/** One task of a scripted plan (planner wire format, see src/planning/plan-schema.ts). */
export interface ScriptTask {
  id: string;
  title: string;
  description?: string;
  acceptance?: string[];
  dependencies?: string[];
  atomic?: boolean;
  files?: string[];
}

/** A planner answer: `{"tasks": [...]}` with every required field filled in. */
export function planJson(tasks: readonly ScriptTask[]): string {
  return JSON.stringify({
    tasks: tasks.map((t) => ({
      id: t.id,
      title: t.title,
      description: t.description ?? t.title,
      acceptance: t.acceptance ?? [`${t.title} is done and the tests pass`],
      dependencies: t.dependencies ?? [],
      atomic: t.atomic ?? true,
      files: t.files ?? [],
    })),
  });
}

export { udiff } from '../../src/testing/udiff.js';

/** One SEARCH/REPLACE block (Aider's format) for `path`. */
export function searchReplace(path: string, search: string, replace: string): string {
  return `${path}\n\`\`\`\n<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n\`\`\`\n`;
}

/** A request as the scripted model saw it. */
export interface SeenRequest {
  role: 'planner' | 'coder' | 'reviewer' | 'other';
  /**
   * task id for coder requests (`# Task T1:`), for planner requests decomposing a task (`## T2:`),
   * for reviewer requests the reviewed task (`# Review of task T1:`) or `PR` for the plan-level review
   */
  task?: string;
  system: string;
  /** all user messages joined */
  user: string;
  /** 1-based count of requests of this role for this task so far (this one included) */
  attempt: number;
}

/** Classifies a fake-server request. */
export function seen(req: FakeRequest): Omit<SeenRequest, 'attempt'> {
  const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  const user = req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  if (system.startsWith('You are the planner')) {
    const task = user.includes('# Task to decompose') ? /## (\S+):/.exec(user.slice(user.indexOf('# Task to decompose')))?.[1] : undefined;
    return { role: 'planner', system, user, ...(task ? { task } : {}) };
  }
  if (system.startsWith('You are the reviewer')) {
    const reviewed = /# Review of task (\S+):/.exec(user)?.[1];
    return { role: 'reviewer', system, user, task: reviewed ?? 'PR' };
  }
  const task = /# Task (\S+):/.exec(user)?.[1];
  if (task) return { role: 'coder', system, user, task };
  return { role: 'other', system, user };
}

/** How the scripted model answers. */
export interface Script {
  /** planner answers: a fixed text, or a function of the request (n = 1-based planner call number) */
  planner?: string | ((req: SeenRequest, n: number) => string | FakeReply);
  /** coder answers per task id: a fixed text, or a function of the request (`req.attempt` counts this task's coder calls) */
  coder?: Record<string, string | ((req: SeenRequest) => string | FakeReply)>;
  /** reviewer answers per reviewed task id, `PR` for the plan-level review (`req.attempt` counts this task's reviews) */
  reviewer?: Record<string, string | ((req: SeenRequest) => string | FakeReply)>;
}

/** A scripted model: pass `respond` to `startFakeOpenAIServer`; `requests` lists what came in. */
export interface ScriptedModel {
  respond: (req: FakeRequest) => FakeReply;
  requests: SeenRequest[];
  /** coder requests for one task, in order */
  coderRequests(task: string): SeenRequest[];
  /** reviewer requests for one task (`PR`: the plan-level review), in order */
  reviewerRequests(task: string): SeenRequest[];
}

/**
 * Builds a responder from a {@link Script}. A request with no scripted answer gets HTTP 400 naming
 * the task (the run then fails with a provider error, so a test sees it).
 */
export function scriptedModel(script: Script): ScriptedModel {
  const requests: SeenRequest[] = [];
  const count = (role: string, task: string | undefined) => requests.filter((r) => r.role === role && r.task === task).length;
  const respond = (req: FakeRequest): FakeReply => {
    const s = seen(req);
    const entry: SeenRequest = { ...s, attempt: count(s.role, s.task) + 1 };
    requests.push(entry);
    const wrap = (a: string | FakeReply): FakeReply => (typeof a === 'string' ? { content: a } : a);
    if (s.role === 'planner' && script.planner !== undefined) {
      const n = requests.filter((r) => r.role === 'planner').length;
      return wrap(typeof script.planner === 'string' ? script.planner : script.planner(entry, n));
    }
    if (s.role === 'coder' && s.task && script.coder?.[s.task] !== undefined) {
      const answer = script.coder[s.task]!;
      return wrap(typeof answer === 'string' ? answer : answer(entry));
    }
    if (s.role === 'reviewer' && s.task && script.reviewer?.[s.task] !== undefined) {
      const answer = script.reviewer[s.task]!;
      return wrap(typeof answer === 'string' ? answer : answer(entry));
    }
    return { status: 400, body: { error: { message: `the scripted model has no answer for this ${s.role} request (task ${s.task ?? '-'})` } } };
  };
  return {
    respond,
    requests,
    coderRequests: (task) => requests.filter((r) => r.role === 'coder' && r.task === task),
    reviewerRequests: (task) => requests.filter((r) => r.role === 'reviewer' && r.task === task),
  };
}

/** Files of the sample calculator project and edits of them. */
export const calc = {
  src: readFileSync(join(SAMPLE, 'src', 'calc.js'), 'utf8'),
  readme: readFileSync(join(SAMPLE, 'README.md'), 'utf8'),
  test: readFileSync(join(SAMPLE, 'test', 'calc.test.mjs'), 'utf8'),
  /** calc.js with a `multiply` whose body is `expr` (`a * b` is right; `Math.abs(a) * b` fails the -2 * 3 check) */
  withMultiply(expr: string, base = readFileSync(join(SAMPLE, 'src', 'calc.js'), 'utf8')): string {
    return `${base}\n/** Multiplies a by b. */\nexport function multiply(a, b) {\n  return ${expr};\n}\n`;
  },
  /** test/calc.test.mjs without its multiply check: the base commit then passes its tests */
  testWithoutMultiply: '',
  /** a separate multiply check (test/multiply.test.mjs) a task brings along */
  multiplyTest: `import { multiply } from '../src/calc.js';\n\ncheck('multiply multiplies', () => {\n  if (multiply(-2, 3) !== -6) throw new Error(\`expected -6, got \${multiply(-2, 3)}\`);\n});\n`,
  /** README.md with a line documenting `multiply` */
  readmeWithMultiply(): string {
    return calc.readme.replace('- `subtract(a, b)`: `a` minus `b`.\n', '- `subtract(a, b)`: `a` minus `b`.\n- `multiply(a, b)`: the product of `a` and `b`.\n');
  },
};
calc.testWithoutMultiply = calc.test.slice(0, calc.test.indexOf("check('multiply multiplies'"));
