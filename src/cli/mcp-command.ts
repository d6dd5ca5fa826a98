import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { TaskgraphError } from '../core/errors.js';
import { createTaskgraphMcp } from '../mcp/mcp-server.js';
import { TOOL_TIERS, type ToolTier } from '../mcp/tools.js';
import { interruptSignal } from './interrupt.js';
import { openProject } from './wiring.js';

/** Options of `taskgraph mcp`. */
export interface McpOptions {
  project: string;
  /** `--session NAME`: what the server writes is tagged (issue 13) */
  session?: string;
  /** `core` (plan, tasks, next_task, task, update_task) or `all` (default; adds decompose, run, decide) */
  tools?: string;
}

/**
 * `taskgraph mcp [--tools core|all]`: serves the project over the Model Context Protocol on
 * stdin/stdout until the client closes stdin or SIGINT/SIGTERM. Nothing but MCP messages is
 * written to stdout; notices go to stderr. Runs it starts go on in this process.
 * @returns exit code 0 after a clean stop
 * @throws TaskgraphError CONFIG_INVALID for an unknown tier; what `openProject` throws
 */
export async function mcpCommand(opts: McpOptions): Promise<number> {
  const tier = (opts.tools ?? 'all') as ToolTier;
  if (!TOOL_TIERS.includes(tier)) throw new TaskgraphError('CONFIG_INVALID', `unknown tool tier "${opts.tools}"`, { hint: `use --tools ${TOOL_TIERS.join(' or --tools ')}` });
  const project = await openProject(opts.project, opts.session !== undefined ? { session: opts.session } : {});
  const mcp = createTaskgraphMcp(project, tier);
  try {
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
      if (interruptSignal.aborted) resolve();
      else interruptSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    await mcp.server.connect(transport);
    await closed;
    return 0;
  } finally {
    await mcp.close();
    await project.close();
  }
}
