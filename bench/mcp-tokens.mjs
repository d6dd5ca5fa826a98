#!/usr/bin/env node
/**
 * `node bench/mcp-tokens.mjs` (after `npm run build`): what `taskgraph mcp` costs a coding agent
 * before any call (issue 13 "Token cost"). Spawns the built CLI's MCP server over stdio in a
 * scratch copy of examples/calculator, asks for its tool list with the SDK's own Client
 * (`listTools`), and counts that list as JSON in o200k_base, for `--tools all` and `--tools core`.
 * Prints ONE JSON line. Task Master's list is not measured here: its package (task-master-ai)
 * pulls in every provider SDK it supports, too heavy a devDependency for one figure; the issue
 * quotes its 0.43.1 numbers (core 7 tools 1,539 tokens, 44 tools 8,662).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { countTokens } = await import('../dist/context/tokenizer.js');

const base = mkdtempSync(join(tmpdir(), 'tg-bench-mcp-'));
const dir = join(base, 'calculator');
cpSync(join(root, 'examples', 'calculator'), dir, { recursive: true });
rmSync(join(dir, '.taskgraph'), { recursive: true, force: true });

/** The tool list of `taskgraph mcp --tools <tier>`: names and o200k_base tokens of its JSON. */
async function measure(tier) {
  const client = new Client({ name: 'taskgraph-bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [join(root, 'dist', 'cli', 'main.js'), '-C', dir, 'mcp', '--tools', tier], env: { ...process.env }, stderr: 'ignore' }));
  try {
    const { tools } = await client.listTools();
    return { tools: tools.length, tokens: countTokens(JSON.stringify(tools), 'o200k_base') };
  } finally {
    await client.close();
  }
}

try {
  const all = await measure('all');
  const core = await measure('core');
  process.stdout.write(
    `${JSON.stringify({ mcp_tool_list_tokens: all.tokens, mcp_tools: all.tools, mcp_tool_list_tokens_core: core.tokens, mcp_tools_core: core.tools, taskmaster: null, taskmaster_skipped: 'task-master-ai not installed (heavy: every provider SDK); its 0.43.1 figures are quoted in issue 13' })}\n`,
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}
