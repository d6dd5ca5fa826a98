import type { NodeKind } from '../core/graph.js';
import type { ExecutorRegistry, NodeExecutor, ScriptFunction, ScriptRegistry } from '../engine/node-executor.js';
import { agentExecutor } from './agent.js';
import { applyExecutor } from './apply.js';
import { approvalExecutor } from './approval.js';
import { builtinScripts } from './builtin-scripts.js';
import { commandExecutor } from './command.js';
import { contextExecutor } from './context.js';
import { decomposeExecutor } from './decompose.js';
import { humanExecutor } from './human.js';
import { llmExecutor } from './llm.js';
import { notifyExecutor } from './notify.js';
import { planApprovalExecutor } from './plan-approval.js';
import { pythonExecutor } from './python.js';
import { reviewExecutor } from './review.js';
import { screenshotExecutor } from './screenshot.js';
import { scriptExecutor } from './script.js';
import { setupExecutor } from './setup.js';
import { subgraphExecutor } from './subgraph.js';
import { verifyExecutor } from './verify.js';
import { webExecutor } from './web.js';

/**
 * The wiring of node kinds, in one place (like Kysely's `src/kysely.ts`): every executor the
 * engine knows, plus the `script` functions. A kind without an executor here fails graph
 * validation with "no executor for kind".
 * @param extraScripts more `script` functions to register (name -> function); they override built-ins
 */
export function defaultRegistry(extraScripts: ReadonlyMap<string, ScriptFunction> = new Map()): {
  executors: ExecutorRegistry;
  scripts: ScriptRegistry;
} {
  const scripts = new Map([...builtinScripts, ...extraScripts]);
  const list: NodeExecutor<any>[] = [
    scriptExecutor(scripts),
    commandExecutor,
    llmExecutor,
    contextExecutor,
    applyExecutor,
    verifyExecutor,
    approvalExecutor,
    humanExecutor,
    decomposeExecutor,
    setupExecutor,
    reviewExecutor,
    planApprovalExecutor,
    agentExecutor,
    subgraphExecutor,
    pythonExecutor,
    notifyExecutor,
    webExecutor,
    screenshotExecutor,
  ];
  return { executors: new Map<NodeKind, NodeExecutor<any>>(list.map((e) => [e.kind, e])), scripts };
}
