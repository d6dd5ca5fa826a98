import type { NodeKind } from '../core/graph.js';
import { latestRequest } from '../safety/pending-approval.js';
import type { NodeStatus, Store } from '../store/store.js';

/**
 * Decisions handed to a live run through the store (issue 11 "deciding an approval of a run
 * whose lease is held by a live process hands the decision to that process"). `taskgraph
 * approve|reject|answer` against a run another process holds records the decision and returns;
 * the holder's engine looks for decisions of its suspended `approval` and `human` nodes every
 * {@link DECISION_POLL_MS} while other nodes still run, once more before the session ends, and
 * once after it released the lease (then it resumes the run itself if it can take the lease
 * again). The decider writes first and tries the lease after, the holder releases first and
 * reads after, so one of the two always sees the other: no decision is left unnoticed.
 */

/** ms between looks for new decisions while a live session has suspended nodes and others running. */
export const DECISION_POLL_MS = 1_000;

/**
 * Node kinds that run shell lines through the gate and so may wait for a person's approval of an
 * unlisted line (`policy.safety.commands.unlisted: ask`, `safety/command-approval.ts`).
 */
export const COMMAND_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['command', 'verify', 'setup']);

/**
 * Node kinds that wait for a person's decision recorded in the store (`Store.getDecision`). An
 * `apply` node waits only while its edit needs approval, a {@link COMMAND_KINDS} node while an
 * unlisted line does; the decision counts when it is about the diff or line the node asked about
 * last (`DecisionRecord.subject`, `safety/pending-approval.ts`).
 */
export const DECIDED_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['approval', 'human', 'apply', ...COMMAND_KINDS]);

/**
 * The nodes among `states` that are `suspended`, of a {@link DECIDED_KINDS} kind, not in `skip`,
 * and have a decision in the store now: they can run again and will not suspend.
 * @param kindOf the kind of a node id (the run's graph)
 * @param states node states (the scheduler's, or the store's run nodes)
 * @param skip ids not to report (already picked up once this session)
 * @returns ids in the iteration order of `states`
 */
export async function decidedWaiting(
  store: Store,
  runId: string,
  kindOf: (id: string) => NodeKind | undefined,
  states: ReadonlyMap<string, NodeStatus>,
  skip: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const found: string[] = [];
  for (const [id, status] of states) {
    if (status !== 'suspended' || skip.has(id)) continue;
    const kind = kindOf(id);
    if (kind === undefined || !DECIDED_KINDS.has(kind)) continue;
    const decision = await store.getDecision(runId, id);
    if (!decision) continue;
    // about an earlier diff or line
    if ((kind === 'apply' || COMMAND_KINDS.has(kind)) && decision.subject !== (await latestRequest(store, runId, id))?.subject) continue;
    found.push(id);
  }
  return found;
}

/**
 * The live session's side (one per session): which suspended nodes got a decision, each node
 * at most once a session (a node that suspends again waits for the next session).
 */
export class DecisionWatch {
  private readonly picked = new Set<string>();

  /** @param kindOf the kind of a node id in the session's (possibly grown) graph */
  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private readonly kindOf: (id: string) => NodeKind | undefined,
  ) {}

  /** Whether a node waits for a decision: the session should poll every {@link DECISION_POLL_MS}. */
  waiting(states: ReadonlyMap<string, NodeStatus>): boolean {
    return awaitsDecision(this.kindOf, states);
  }

  /** The suspended nodes decided since the last call (store reads only when one waits). */
  async pickUp(states: ReadonlyMap<string, NodeStatus>): Promise<string[]> {
    if (!this.waiting(states)) return [];
    const ids = await decidedWaiting(this.store, this.runId, this.kindOf, states, this.picked);
    for (const id of ids) this.picked.add(id);
    return ids;
  }
}

/**
 * After a session ended suspended and released the lease: whether a suspended `approval` or
 * `human` node of the run has a decision now (recorded while the session held the lease), so the
 * run should be resumed. Reads the run's graph and node states from the store.
 */
export async function decidedAfterRelease(store: Store, runId: string): Promise<boolean> {
  const run = await store.getRun(runId);
  if (!run || run.status !== 'suspended') return false;
  const kinds = new Map(run.graph.nodes.map((n) => [n.id, n.kind]));
  const states = new Map((await store.listRunNodes(runId)).map((n) => [n.nodeId, n.status]));
  return (await decidedWaiting(store, runId, (id) => kinds.get(id), states)).length > 0;
}

/** Whether any node of `states` is suspended and of a {@link DECIDED_KINDS} kind (worth polling for). */
export function awaitsDecision(kindOf: (id: string) => NodeKind | undefined, states: ReadonlyMap<string, NodeStatus>): boolean {
  for (const [id, status] of states) {
    if (status !== 'suspended') continue;
    const kind = kindOf(id);
    if (kind !== undefined && DECIDED_KINDS.has(kind)) return true;
  }
  return false;
}
