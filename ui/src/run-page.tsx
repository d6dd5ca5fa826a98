import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, type RunDetail, type RunGraph } from './api';
import { criticalPath } from './critical-path';
import { Gantt } from './gantt';
import { GraphView } from './graph-view';
import { NodeDetailPanel } from './node-detail';
import { NodeList } from './node-list';
import { PlanReview } from './plan-review';
import { followRunEvents, type RunEvent } from './sse';
import { formatMs, formatUsd, statusLook } from './status';

/** Node statuses an event sets directly (the rest arrive with the next GET /runs/{id}). */
function statusFromEvent(e: RunEvent): [string, string][] {
  if (e.type === 'node-start' && e.nodeId) return [[e.nodeId, 'running']];
  if (e.type === 'node-finish' && e.nodeId && typeof e.data.status === 'string') return [[e.nodeId, e.data.status]];
  if (e.type === 'node-skip' && Array.isArray(e.data.nodeIds)) return (e.data.nodeIds as string[]).map((id) => [id, 'skipped']);
  if (e.type === 'approval-requested' && e.nodeId) return [[e.nodeId, 'suspended']];
  return [];
}

/**
 * The run page (issue 12): the run's header (status, goal, tokens, cost, time), the plan review
 * when the run waits at its plan gate, the DAG (or the Gantt timeline) with a keyboard node list
 * beside it, and the node detail panel. Statuses follow the run's event stream live; the run
 * and its graph are fetched again (at most every 400 ms) after events that change them.
 */
export function RunPage({ runId, openNode, onOpenNode }: { runId: string; openNode?: string; onOpenNode: (id?: string) => void }) {
  const [detail, setDetail] = useState<RunDetail>();
  const [graph, setGraph] = useState<RunGraph>();
  const [error, setError] = useState<string>();
  const [view, setView] = useState<'graph' | 'timeline'>('graph');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const live = useRef(new Map<string, string>());
  const [version, setVersion] = useState(0);
  // the streamed text of each node's current attempt (`model-delta` events), for its detail panel
  const streams = useRef(new Map<string, string>());
  const [, setStreamVersion] = useState(0);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const wantGraph = useRef(false);

  const load = useCallback(async (withGraph: boolean) => {
    try {
      const [d, g] = await Promise.all([api<RunDetail>('GET', `/runs/${encodeURIComponent(runId)}`), withGraph ? api<RunGraph>('GET', `/runs/${encodeURIComponent(runId)}/graph`) : Promise.resolve(undefined)]);
      live.current.clear();
      for (const n of d.nodes) live.current.set(n.nodeId, n.status);
      setDetail(d);
      if (g) setGraph((old) => (old && old.nodes.length === g.nodes.length && old.edges.length === g.edges.length ? old : g));
      setVersion((v) => v + 1);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [runId]);

  const scheduleLoad = useCallback(
    (withGraph: boolean) => {
      wantGraph.current ||= withGraph;
      if (refetchTimer.current) return;
      refetchTimer.current = setTimeout(() => {
        refetchTimer.current = undefined;
        const graphToo = wantGraph.current;
        wantGraph.current = false;
        void load(graphToo);
      }, 400);
    },
    [load],
  );

  useEffect(() => {
    setDetail(undefined);
    setGraph(undefined);
    void load(true);
    const controller = new AbortController();
    void followRunEvents(
      runId,
      (e) => {
        let changed = false;
        for (const [id, status] of statusFromEvent(e)) {
          live.current.set(id, status);
          changed = true;
        }
        if (changed) setVersion((v) => v + 1);
        if (e.nodeId !== undefined && (e.type === 'model-delta' || e.type === 'node-start')) {
          const text = e.type === 'model-delta' ? String(e.data['text'] ?? '') : '';
          const before = e.type === 'model-delta' && e.data['restart'] !== true ? (streams.current.get(e.nodeId) ?? '') : '';
          streams.current.set(e.nodeId, before + text);
          if (e.type === 'model-delta') {
            setStreamVersion((v) => v + 1);
            return; // streamed text changes nothing the run page fetches
          }
        }
        if (e.type !== 'log') scheduleLoad(e.type === 'graph-expand' || e.type === 'run-finish' || e.type === 'run-start');
      },
      controller.signal,
      () => void load(true),
    );
    return () => {
      controller.abort();
      if (refetchTimer.current) clearTimeout(refetchTimer.current);
      refetchTimer.current = undefined;
    };
  }, [runId, load, scheduleLoad]);

  const statusOf = useCallback((id: string) => live.current.get(id) ?? 'pending', []);
  const durations = useMemo(() => {
    const m = new Map<string, number>();
    for (const a of detail?.attempts ?? []) m.set(a.nodeId, (m.get(a.nodeId) ?? 0) + (a.durationMs ?? 0));
    return m;
  }, [detail]);
  const critical = useMemo(() => (graph ? criticalPath(graph, (id) => durations.get(id) ?? 0) : { nodes: [], edges: new Set<string>() }), [graph, durations]);
  const criticalSet = useMemo(() => new Set(critical.nodes), [critical]);
  const toggle = useCallback((task: string) => setCollapsed((old) => {
    const next = new Set(old);
    if (next.has(task)) next.delete(task);
    else next.add(task);
    return next;
  }), []);

  if (error && !detail) return <p role="alert">Could not load run {runId}: {error}</p>;
  if (!detail || !graph) return <p>Loading run {runId}…</p>;
  const run = detail.run;
  const look = statusLook(run.status);
  const gate = detail.nodes.find((n) => n.nodeId === 'approve-plan' && n.status === 'suspended');
  const tasks = [...new Set(graph.nodes.map((n) => n.task).filter((t): t is string => t !== undefined))];
  const total = detail.usage.total;
  return (
    <div className="tg-run">
      <header className="tg-run-head">
        <h2>
          Run {run.id}{' '}
          <span className="tg-status-pill" style={{ color: look.color, background: look.background }} data-testid="run-status">
            {look.icon} {look.word}
          </span>
        </h2>
        <p>
          {String(run.options.goal ?? run.command)} · {total.inputTokens + total.outputTokens} tokens · {formatUsd(total.costUsd)} · active {formatMs(detail.usage.activeMs)} · {graph.nodes.length} nodes
          {run.reason && run.status !== 'succeeded' && run.status !== 'running' ? ` · ${run.reason}` : ''}
        </p>
      </header>
      {gate && detail.plan ? <PlanReview planId={detail.plan.id} goal={detail.plan.goal} tasks={detail.plan.tasks} onChanged={() => void load(true)} /> : null}
      <div className="tg-toolbar" role="toolbar" aria-label="view">
        <button aria-pressed={view === 'graph'} onClick={() => setView('graph')}>Graph</button>
        <button aria-pressed={view === 'timeline'} onClick={() => setView('timeline')}>Timeline</button>
        {tasks.length > 0 ? (
          <>
            <button onClick={() => setCollapsed(new Set(tasks))}>Collapse all tasks</button>
            <button onClick={() => setCollapsed(new Set())}>Expand all tasks</button>
          </>
        ) : null}
        <span className="tg-legend">critical path: red edges and “critical” badges · ⚡ cache hit</span>
      </div>
      <div className="tg-run-body">
        <NodeList ids={graph.nodes.map((n) => n.id)} statusOf={statusOf} critical={criticalSet} selected={openNode} onOpen={(id) => onOpenNode(id)} />
        {view === 'graph' ? (
          <GraphView graph={graph} statusOf={statusOf} critical={critical} collapsed={collapsed} onToggle={toggle} selected={openNode} onSelect={(id) => onOpenNode(id)} version={version} />
        ) : (
          <Gantt attempts={detail.attempts} now={Date.now()} critical={criticalSet} />
        )}
        {openNode ? <NodeDetailPanel runId={runId} nodeId={openNode} version={version} streaming={streams.current.get(openNode)} onClose={() => onOpenNode(undefined)} /> : null}
      </div>
    </div>
  );
}
