#!/usr/bin/env node
/**
 * `node bench/mcp-tokens.mjs [--skip-taskmaster]` (after `npm run build`): what an MCP server
 * costs a coding agent before any call (issue 13 "Token cost"). Spawns `taskgraph mcp` (the built
 * CLI, in a scratch copy of examples/calculator) and Task Master's own MCP server
 * (task-master-ai 0.43.1, in an empty scratch directory) over stdio, asks each for its tool list
 * with the MCP SDK's own Client (`listTools`), and counts the list as JSON in o200k_base: for
 * taskgraph `--tools all` and `--tools core`, for Task Master its tiers core, standard and all
 * (its `TASK_MASTER_TOOLS` environment variable). Prints ONE JSON line.
 *
 * Task Master installs 1.4 GB (every provider SDK it supports), so it is not in the main
 * devDependencies: it lives in bench/taskmaster/ with its own lockfile and is installed there
 * with `npm ci` on first use (about 90 s). Its server starts offline and needs no API key to list
 * its tools. `--skip-taskmaster` (or a failed install) reports `taskmaster: null` and why.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { countTokens } = await import('../dist/context/tokenizer.js');
const TM_DIR = join(root, 'bench', 'taskmaster');
const TM_SERVER = join(TM_DIR, 'node_modules', 'task-master-ai', 'dist', 'mcp-server.js');

const base = mkdtempSync(join(tmpdir(), 'tg-bench-mcp-'));
const dir = join(base, 'calculator');
cpSync(join(root, 'examples', 'calculator'), dir, { recursive: true });
rmSync(join(dir, '.taskgraph'), { recursive: true, force: true });
const tmProject = join(base, 'taskmaster-project');
cpSync(join(root, 'examples', 'calculator'), tmProject, { recursive: true });
rmSync(join(tmProject, '.taskgraph'), { recursive: true, force: true });

/**
 * Lists the tools of an MCP server started as `node <args>` and counts them.
 * @returns {Promise<{tools: number, tokens: number}>} tool count and o200k_base tokens of the list's JSON
 */
async function measure(args, cwd, env = {}) {
  const client = new Client({ name: 'taskgraph-bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd, env: { ...process.env, ...env }, stderr: 'ignore' }));
  try {
    const { tools } = await client.listTools();
    return { tools: tools.length, tokens: countTokens(JSON.stringify(tools), 'o200k_base') };
  } finally {
    await client.close();
  }
}

/** Installs bench/taskmaster/ from its lockfile when it is missing; returns why not, or null. */
function ensureTaskMaster() {
  if (existsSync(TM_SERVER)) return null;
  process.stderr.write('  installing task-master-ai 0.43.1 into bench/taskmaster (first run only, about 90 s) ...\n');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: TM_DIR, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !existsSync(TM_SERVER)) return `npm ci in bench/taskmaster failed: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ') || r.error?.message || `exit ${r.status}`}`;
  return null;
}

try {
  const cli = join(root, 'dist', 'cli', 'main.js');
  const all = await measure([cli, '-C', dir, 'mcp', '--tools', 'all'], dir);
  const core = await measure([cli, '-C', dir, 'mcp', '--tools', 'core'], dir);
  const out = { mcp_tool_list_tokens: all.tokens, mcp_tools: all.tools, mcp_tool_list_tokens_core: core.tokens, mcp_tools_core: core.tools, taskmaster: null, taskmaster_skipped: null };
  const skipped = process.argv.includes('--skip-taskmaster') ? '--skip-taskmaster given' : ensureTaskMaster();
  if (skipped) out.taskmaster_skipped = skipped;
  else {
    out.taskmaster = { version: '0.43.1' };
    for (const tier of ['core', 'standard', 'all']) out.taskmaster[tier] = await measure([TM_SERVER], tmProject, { TASK_MASTER_TOOLS: tier });
    out.taskmaster_over_taskgraph_all = Math.round((100 * out.taskmaster.all.tokens) / all.tokens) / 100;
    out.taskmaster_core_over_taskgraph_core = Math.round((100 * out.taskmaster.core.tokens) / core.tokens) / 100;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
