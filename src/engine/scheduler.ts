import type { Graph } from '../core/graph.js';
import { BinaryHeap } from '../core/heap.js';
import type { NodeStatus } from '../store/store.js';

/**
 * The scheduler: the ready set of a run, apart from the executor that runs nodes (as Nx keeps
 * `tasks-schedule.ts` apart from `task-orchestrator.ts`). Pure and synchronous: it only tracks
 * node states and hands out ready nodes in a deterministic order — priority (higher first), then
 * id. A node is ready when every predecessor `succeeded` or was `cached`.
 * Each state change is O(out-degree), so a whole run is O(nodes + edges) plus heap costs.
 */
export class Scheduler {
  private graph: Graph;
  private readonly state = new Map<string, NodeStatus>();
  /** predecessors not yet finished successfully */
  private readonly waiting = new Map<string, number>();
  private readonly ready: BinaryHeap<string>;

  /**
   * @param graph the run's graph
   * @param initial node states loaded from the store (missing = pending; `running` and
   *        `suspended` are treated as pending: they run again)
   */
  constructor(graph: Graph, initial: ReadonlyMap<string, NodeStatus> = new Map()) {
    this.graph = graph;
    this.ready = new BinaryHeap<string>((a, b) => {
      const pa = this.graph.nodes.get(a)?.priority ?? 0;
      const pb = this.graph.nodes.get(b)?.priority ?? 0;
      return pa !== pb ? pa > pb : a < b;
    });
    for (const id of graph.order) this.state.set(id, normalise(initial.get(id)));
    for (const id of graph.order) this.recount(id);
  }

  /** Current state of a node. */
  status(id: string): NodeStatus {
    return this.state.get(id) ?? 'pending';
  }

  /** All states. */
  states(): ReadonlyMap<string, NodeStatus> {
    return this.state;
  }

  /**
   * Takes the next ready node (marks it `running`), or undefined.
   * @param admit when given, ready nodes it refuses stay ready and are skipped this time
   *        (the engine uses it to keep one task at a time in a shared worktree)
   */
  next(admit?: (id: string) => boolean): string | undefined {
    const refused: string[] = [];
    let found: string | undefined;
    for (let id = this.ready.pop(); id !== undefined; id = this.ready.pop()) {
      if (this.state.get(id) !== 'pending' || this.waiting.get(id) !== 0) continue;
      if (admit && !admit(id)) {
        refused.push(id);
        continue;
      }
      this.state.set(id, 'running');
      found = id;
      break;
    }
    for (const id of refused) this.ready.push(id);
    return found;
  }

  /**
   * Records a finished node. `succeeded`/`cached` release successors; `failed` leaves them
   * waiting (call {@link skipDownstream}); `suspended` blocks them until a resume.
   */
  finish(id: string, status: Exclude<NodeStatus, 'pending' | 'running'>): void {
    this.state.set(id, status);
    if (status === 'succeeded' || status === 'cached') {
      for (const next of this.graph.succs.get(id) ?? []) {
        const left = (this.waiting.get(next) ?? 1) - 1;
        this.waiting.set(next, left);
        if (left === 0 && this.state.get(next) === 'pending') this.ready.push(next);
      }
    }
  }

  /**
   * Marks every pending node downstream of `id` as `skipped`.
   * @returns the ids skipped, in discovery order
   */
  skipDownstream(id: string): string[] {
    const skipped: string[] = [];
    const stack = [...(this.graph.succs.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (this.state.get(next) !== 'pending') continue;
      this.state.set(next, 'skipped');
      skipped.push(next);
      stack.push(...(this.graph.succs.get(next) ?? []));
    }
    return skipped;
  }

  /**
   * Puts nodes back to `pending` (refinement retries a task's nodes). Their successors stop
   * counting them as finished.
   */
  reset(ids: readonly string[]): void {
    const set = new Set(ids);
    for (const id of ids) this.state.set(id, 'pending');
    for (const id of ids) {
      for (const next of this.graph.succs.get(id) ?? []) if (!set.has(next)) this.recount(next);
      this.recount(id);
    }
  }

  /** Swaps in a larger graph (a `decompose` expansion); new nodes start `pending`. */
  grow(graph: Graph): void {
    this.graph = graph;
    for (const id of graph.order) if (!this.state.has(id)) this.state.set(id, 'pending');
    for (const id of graph.order) this.recount(id);
  }

  /** True when no node is pending-and-ready or running. */
  idle(): boolean {
    for (const s of this.state.values()) if (s === 'running') return false;
    return this.ready.size === 0;
  }

  private recount(id: string): void {
    let left = 0;
    for (const pred of this.graph.preds.get(id) ?? []) {
      const s = this.state.get(pred);
      if (s !== 'succeeded' && s !== 'cached') left++;
    }
    this.waiting.set(id, left);
    if (left === 0 && this.state.get(id) === 'pending') this.ready.push(id);
  }
}

function normalise(status: NodeStatus | undefined): NodeStatus {
  if (status === undefined || status === 'running' || status === 'suspended') return 'pending';
  return status;
}
