import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ProjectHandle } from '../cli/wiring.js';
import { ApiBridge } from './api-bridge.js';
import { registerResources } from './resources.js';
import { registerTools, type ToolTier } from './tools.js';

/** An MCP server for a project, with what it must close. */
export interface TaskgraphMcp {
  server: McpServer;
  /** Stops the run sessions it started (they run in this process) and closes the MCP server. */
  close(): Promise<void>;
}

/**
 * Builds the MCP server of `taskgraph mcp` for an open project: the tools of `tier`
 * (`tools.ts`) and the plan and report resources (`resources.ts`). Connect it to a transport
 * (stdio in `cli/mcp-command.ts`).
 * @param version the server version announced to clients
 */
export function createTaskgraphMcp(project: ProjectHandle, tier: ToolTier, version = '0.1.0'): TaskgraphMcp {
  const server = new McpServer({ name: 'taskgraph', version }, { capabilities: { tools: {}, resources: {} } });
  const api = new ApiBridge(project);
  registerTools(server, api, project.store, tier);
  registerResources(server, api, project);
  return {
    server,
    close: async () => {
      await api.close();
      await server.close();
    },
  };
}
