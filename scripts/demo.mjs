// `npm run demo`: the main job on the bundled sample project, with no API key and no network.
// It copies examples/calculator into a temporary git repository and runs `taskgraph do` there,
// replaying examples/demo.cassette.json: scripted model answers recorded by
// scripts/record-demo-cassette.mjs. Then it runs the same goal again: every node is cached.
import { spawnSync } from 'node:child_process';
import { CASSETTE, CLI, GOAL, git, prepareSampleRepo } from './demo-shared.mjs';

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s) => console.log(`\n${bold(`== ${s}`)}\n`);

function taskgraph(dir, ...args) {
  const r = spawnSync(process.execPath, [CLI, '-C', dir, ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\ntaskgraph ${args[0]} exited with ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

const dir = prepareSampleRepo();
step(`sample project: ${dir} (a git repository; its test "multiply multiplies" fails)`);
console.log(spawnSync(process.execPath, ['test/run.mjs'], { cwd: dir, encoding: 'utf8' }).stdout.trim());

step(`taskgraph do "${GOAL}" --replay examples/demo.cassette.json`);
console.log('(the model answers are replayed from a cassette of scripted responses; see README "Run it with a live model")\n');
taskgraph(dir, 'do', GOAL, '--replay', CASSETTE);

const [run] = JSON.parse(spawnSync(process.execPath, [CLI, '-C', dir, 'runs', '--json'], { encoding: 'utf8' }).stdout);
step(`the branch ${run.branch}: one commit per task (the project index, INDEX.md, stays in the store)`);
console.log(git(dir, 'log', '--reverse', '--format=%h %s', `main..${run.branch}`));
step('the worktree passes the tests; your checkout was not touched');
console.log(spawnSync(process.execPath, ['test/run.mjs'], { cwd: run.worktree, encoding: 'utf8' }).stdout.trim());
console.log(`\ngit status of ${dir}: ${git(dir, 'status', '--porcelain') || 'clean'}`);

step('the same goal again: every node is served from the cache (no model call, no test run, no new branch)');
taskgraph(dir, 'do', GOAL, '--replay', CASSETTE);

step('next');
const tg = `node ${CLI} -C ${dir}`;
console.log(`${tg} status                      # tasks and nodes of the newest run`);
console.log(`${tg} graph ${run.planId} --format mermaid`);
console.log(`cat ${dir}/.taskgraph/reports/${run.id}.md`);
console.log(`git -C ${dir} merge ${run.branch}`);
console.log(`${tg} clean --branches              # then remove the run's worktree (in your cache directory) and branch`);
