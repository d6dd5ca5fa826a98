import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { levels, nodeId } from './dag.mjs';

/**
 * The DAG as a LangGraph.js StateGraph, in memory (no checkpointer).
 *
 * State: one `visits` channel whose reducer adds (each node returns `{ visits: 1 }`), so the final
 * state counts node executions. Edges: a root gets `START -> node`; a node with one predecessor
 * `pred -> node`; a node with several predecessors ONE waiting edge `[p1, p2, ...] -> node`
 * (LangGraph's join: the node is triggered once, after every source has finished, through a
 * named-barrier channel), so each node runs exactly once, as in taskgraph. Sinks get
 * `node -> END`. `perNode` counts executions per node outside the state, to check "exactly once".
 * @returns {{ builder: StateGraph, perNode: Int32Array }}
 */
export function buildLangGraph(dag) {
  const State = Annotation.Root({
    visits: Annotation({ reducer: (a, b) => a + b, default: () => 0 }),
  });
  const perNode = new Int32Array(dag.n);
  const builder = new StateGraph(State);
  for (let i = 0; i < dag.n; i++) {
    builder.addNode(nodeId(i), () => {
      perNode[i]++;
      return { visits: 1 };
    });
  }
  const hasSucc = new Uint8Array(dag.n);
  for (let i = 0; i < dag.n; i++) {
    const preds = dag.preds[i];
    for (const p of preds) hasSucc[p] = 1;
    if (preds.length === 0) builder.addEdge(START, nodeId(i));
    else if (preds.length === 1) builder.addEdge(nodeId(preds[0]), nodeId(i));
    else builder.addEdge(preds.map(nodeId), nodeId(i));
  }
  for (let i = 0; i < dag.n; i++) if (!hasSucc[i]) builder.addEdge(nodeId(i), END);
  return { builder, perNode };
}

/**
 * Builds, compiles and invokes the DAG once; times `invoke` alone (compile reported apart).
 * `recursionLimit` is the number of supersteps needed (the critical path) plus slack.
 * @returns {Promise<{ ms: number, compileMs: number, buildMs: number }>} wall times in ms
 * @throws Error when some node did not run exactly once
 */
export async function runLangGraph(dag) {
  const t0 = performance.now();
  const { builder, perNode } = buildLangGraph(dag);
  const t1 = performance.now();
  const graph = builder.compile();
  const t2 = performance.now();
  const recursionLimit = levels(dag).criticalPath + 10;
  const final = await graph.invoke({ visits: 0 }, { recursionLimit });
  const t3 = performance.now();
  const wrong = perNode.findIndex((c) => c !== 1);
  if (wrong !== -1 || final.visits !== dag.n) {
    throw new Error(`LangGraph ran node ${nodeId(wrong)} ${perNode[wrong]} times; visits ${final.visits} of ${dag.n}`);
  }
  return { ms: t3 - t2, compileMs: t2 - t1, buildMs: t1 - t0 };
}
