import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ProjectHandle } from '../cli/wiring.js';
import { buildRunReport } from '../report/report.js';
import type { ApiBridge } from './api-bridge.js';
import { fitAnswer, fitText } from './fit-answer.js';

/** How many runs the report resources list (the newest). */
const LISTED_RUNS = 50;

/**
 * Registers the MCP resources: `taskgraph://plans/{id}` (a plan as `GET /plans/{id}` gives it,
 * JSON) and `taskgraph://runs/{id}/report` (the run report, Markdown, as `taskgraph report RUN
 * --print`). Both are listed (plans all, runs the newest {@link LISTED_RUNS}) and fitted under
 * 8,000 tokens.
 */
export function registerResources(server: McpServer, api: ApiBridge, project: ProjectHandle): void {
  server.registerResource(
    'plan',
    new ResourceTemplate('taskgraph://plans/{id}', {
      list: async () => ({
        resources: (await api.call<{ id: string; goal: string; tasks: number }[]>('GET', '/plans')).map((p) => ({
          uri: `taskgraph://plans/${encodeURIComponent(p.id)}`,
          name: `plan ${p.id}`,
          description: `${p.tasks} tasks: ${p.goal.slice(0, 80)}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    { description: 'A plan: goal, versions, tasks, tree, graph.', mimeType: 'application/json' },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: fitAnswer(await api.call('GET', `/plans/${encodeURIComponent(String(id))}`)) }] }),
  );

  server.registerResource(
    'report',
    new ResourceTemplate('taskgraph://runs/{id}/report', {
      list: async () => ({
        resources: (await api.call<{ id: string; status: string; command: string }[]>('GET', `/runs?limit=${LISTED_RUNS}`)).map((r) => ({
          uri: `taskgraph://runs/${encodeURIComponent(r.id)}/report`,
          name: `report ${r.id}`,
          description: `${r.command}, ${r.status}`,
          mimeType: 'text/markdown',
        })),
      }),
    }),
    { description: 'A run report (Markdown).', mimeType: 'text/markdown' },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'text/markdown', text: fitText(await buildRunReport(project.store, String(id))) }] }),
  );
}
