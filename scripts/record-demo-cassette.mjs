// Records examples/demo.cassette.json: runs the real `taskgraph do` against the loopback fake
// OpenAI-compatible server, which answers with the scripted responses below (a plan with one
// decomposition, and coder edits of which the first one for T1 has a sign bug, so the demo
// shows a failing verify, the failure note, and the fix). The demo then replays this cassette.
//
//   npm run build && node scripts/record-demo-cassette.mjs
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASSETTE, CLI, GOAL, ROOT, prepareSampleRepo } from './demo-shared.mjs';

const { startFakeOpenAIServer } = await import(join(ROOT, 'dist', 'testing', 'fake-openai-server.js'));
const { udiff } = await import(join(ROOT, 'dist', 'testing', 'udiff.js'));

const task = (id, title, description, acceptance, files, dependencies = [], atomic = true) => ({
  id,
  title,
  description,
  acceptance,
  dependencies,
  atomic,
  files,
});

const PLAN = {
  tasks: [
    task('T1', 'Add multiply', 'Add multiply(a, b) to src/calc.js; it returns the product of a and b.', ['calc.multiply(6, 7) returns 42', 'the multiply check in test/calc.test.mjs passes'], ['src/calc.js']),
    task(
      'T2',
      'Add divide with a division-by-zero guard',
      'Add divide(a, b) to src/calc.js and make it throw a RangeError when b is 0, with checks in test/divide.test.mjs.',
      ['divide(8, 2) returns 4', 'divide(1, 0) throws a RangeError', 'checks in test/divide.test.mjs cover both'],
      ['src/calc.js', 'test/divide.test.mjs'],
      [],
      false,
    ),
    task('T3', 'Document multiply and divide in the README', 'Describe multiply and divide in the API section of README.md.', ['README.md lists multiply and divide with their behaviour'], ['README.md'], ['T1', 'T2']),
  ],
};

const SUBPLAN_T2 = {
  tasks: [
    task('1', 'Add divide', 'Add divide(a, b) to src/calc.js returning a / b, with a check in test/divide.test.mjs.', ['divide(8, 2) returns 4', 'test/divide.test.mjs checks it'], ['src/calc.js', 'test/divide.test.mjs']),
    task('2', 'Throw a RangeError on division by zero', 'Make divide throw a RangeError("division by zero") when b is 0, with a check.', ['divide(1, 0) throws a RangeError', 'test/divide.test.mjs checks it'], ['src/calc.js', 'test/divide.test.mjs'], ['1']),
  ],
};

// file states as the tasks go
const sample = (p) => readFileSync(join(ROOT, 'examples', 'calculator', p), 'utf8');
const calc0 = sample('src/calc.js');
const multiply = (body) => `${calc0}\n/** Multiplies a by b. */\nexport function multiply(a, b) {\n  return ${body};\n}\n`;
const calcBuggy = multiply('Math.abs(a) * b');
const calc1 = multiply('a * b');
const calc2 = `${calc1}\n/** Divides a by b. */\nexport function divide(a, b) {\n  return a / b;\n}\n`;
const calc3 = `${calc1}\n/** Divides a by b; throws a RangeError when b is 0. */\nexport function divide(a, b) {\n  if (b === 0) throw new RangeError('division by zero');\n  return a / b;\n}\n`;
const divTest1 = `import { divide } from '../src/calc.js';\n\ncheck('divide divides', () => {\n  if (divide(8, 2) !== 4) throw new Error(\`expected 4, got \${divide(8, 2)}\`);\n});\n`;
const divTest2 = `${divTest1}\ncheck('divide by zero throws a RangeError', () => {\n  try {\n    divide(1, 0);\n  } catch (error) {\n    if (error instanceof RangeError) return;\n    throw new Error(\`expected a RangeError, got \${error}\`);\n  }\n  throw new Error('expected a RangeError, nothing was thrown');\n});\n`;
const readme0 = sample('README.md');
const readme1 = readme0.replace(
  '- `subtract(a, b)`: `a` minus `b`.\n',
  '- `subtract(a, b)`: `a` minus `b`.\n- `multiply(a, b)`: the product of `a` and `b`.\n- `divide(a, b)`: `a` divided by `b`; throws a `RangeError` when `b` is 0.\n',
);


const EDITS = {
  T1: (retry) => udiff([['src/calc.js', calc0, retry ? calc1 : calcBuggy]]),
  'T2.1': () => udiff([['src/calc.js', calc1, calc2], ['test/divide.test.mjs', null, divTest1]]),
  'T2.2': () => udiff([['src/calc.js', calc2, calc3], ['test/divide.test.mjs', divTest1, divTest2]]),
  T3: () => udiff([['README.md', readme0, readme1]]),
};

function respond({ messages }) {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const user = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  if (system.startsWith('You are the planner')) {
    if (user.includes('# Task to decompose') && user.includes('## T2:')) return { content: JSON.stringify(SUBPLAN_T2) };
    return { content: JSON.stringify(PLAN) };
  }
  const id = /# Task (\S+):/.exec(user)?.[1];
  if (id && EDITS[id]) return { content: EDITS[id](user.includes('## Notes from earlier attempts')) };
  return { status: 400, body: { error: { message: `the demo script has no answer for this request (task ${id})` } } };
}

const server = await startFakeOpenAIServer({ respond });
const dir = prepareSampleRepo('taskgraph-record-');
const config = readFileSync(join(dir, 'taskgraph.yaml'), 'utf8').replaceAll('http://127.0.0.1:11434/v1', server.url);
writeFileSync(join(dir, 'taskgraph.yaml'), config);
rmSync(CASSETTE, { force: true });
// async spawn: the fake server lives in this process and must keep answering while the CLI runs
const child = spawn(process.execPath, [CLI, '-C', dir, 'do', GOAL, '--record', CASSETTE], { stdio: 'inherit', env: { ...process.env, CI: '1' } });
const status = await new Promise((resolve) => child.on('close', resolve));
await server.close();
console.log(`\nrecorded ${server.requests.length} model exchanges into ${CASSETTE} (project: ${dir})`);
process.exit(status ?? 1);
