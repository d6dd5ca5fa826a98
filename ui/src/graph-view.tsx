import { Background, Controls, Handle, type Node, type NodeProps, Position, ReactFlow, type Edge, MarkerType, useReactFlow } from '@xyflow/react';
import { memo, useEffect, useMemo } from 'react';
import type { RunGraph } from './api';
import { layoutGraph } from './layout';
import { statusLook } from './status';

/** What a box shows. */
interface BoxData extends Record<string, unknown> {
  label: string;
  sub: string;
  status: string;
  critical: boolean;
  selected: boolean;
  task?: string;
  onToggle?: (task: string) => void;
  collapsed?: boolean;
}

/** Aggregate status of several nodes (a collapsed task): failed > running > waiting > pending > done. */
export function aggregateStatus(statuses: string[]): string {
  for (const s of ['failed', 'running', 'suspended', 'interrupted', 'pending']) if (statuses.includes(s)) return s;
  if (statuses.length > 0 && statuses.every((s) => s === 'cached')) return 'cached';
  if (statuses.every((s) => s === 'skipped')) return 'skipped';
  return 'succeeded';
}

const NodeBox = memo(function NodeBox({ data }: NodeProps<Node<BoxData>>) {
  const look = statusLook(data.status);
  return (
    <div
      className={`tg-node${data.critical ? ' tg-critical' : ''}${data.selected ? ' tg-selected' : ''}`}
      style={{ background: look.background, borderColor: look.color }}
      data-status={data.status}
      title={`${data.label}: ${look.word}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="tg-node-label">{data.label}</div>
      <div className="tg-node-status" style={{ color: look.color }}>
        <span aria-hidden="true">{look.icon}</span> {look.word}
        {data.status === 'cached' ? <span className="tg-badge">cache hit</span> : null}
        {data.critical ? <span className="tg-badge tg-badge-crit">critical</span> : null}
        <span className="tg-node-kind">{data.sub}</span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const GroupBox = memo(function GroupBox({ data }: NodeProps<Node<BoxData>>) {
  const look = statusLook(data.status);
  return (
    <div className="tg-group" style={{ borderColor: look.color }}>
      <button className="tg-group-head nodrag" onClick={() => data.onToggle?.(data.task!)} aria-expanded="true" aria-label={`collapse task ${data.task}`}>
        ▾ {data.label} <span style={{ color: look.color }}>{look.icon} {look.word}</span>
      </button>
    </div>
  );
});

const CollapsedBox = memo(function CollapsedBox({ data }: NodeProps<Node<BoxData>>) {
  const look = statusLook(data.status);
  return (
    <div className={`tg-node tg-collapsed${data.critical ? ' tg-critical' : ''}`} style={{ background: look.background, borderColor: look.color }} data-status={data.status}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <button className="tg-group-head nodrag" onClick={() => data.onToggle?.(data.task!)} aria-expanded="false" aria-label={`expand task ${data.task}`}>
        ▸ {data.label}
      </button>
      <div className="tg-node-status" style={{ color: look.color }}>
        <span aria-hidden="true">{look.icon}</span> {look.word} <span className="tg-node-kind">{data.sub}</span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

/** Fits the view to the graph whenever its layout changes (new nodes after an expansion, a task collapsed). */
function FitOnLayout({ layoutKey }: { layoutKey: unknown }) {
  const flow = useReactFlow();
  useEffect(() => {
    const frame = requestAnimationFrame(() => void flow.fitView({ maxZoom: 1.2, minZoom: 0.02 }));
    return () => cancelAnimationFrame(frame);
  }, [layoutKey, flow]);
  return null;
}

const nodeTypes = { tg: NodeBox, tgGroup: GroupBox, tgCollapsed: CollapsedBox };

/** Props of {@link GraphView}. */
export interface GraphViewProps {
  graph: RunGraph;
  statusOf: (nodeId: string) => string;
  critical: { nodes: string[]; edges: Set<string> };
  collapsed: ReadonlySet<string>;
  onToggle: (task: string) => void;
  selected?: string;
  onSelect: (nodeId: string) => void;
  /** bumps when statuses change (the layout is kept; only the boxes' data change) */
  version: number;
}

/**
 * The run's DAG with React Flow: laid out once per graph/collapse change (`layout.ts`), boxes
 * re-coloured as statuses change; only boxes in view are rendered (500-node runs stay smooth).
 */
export function GraphView({ graph, statusOf, critical, collapsed, onToggle, selected, onSelect, version }: GraphViewProps) {
  const layout = useMemo(() => {
    const start = performance.now();
    const laid = layoutGraph(graph, collapsed);
    performance.measure('tg-layout', { start }); // read by the UI's scale test
    return laid;
  }, [graph, collapsed]);
  const kinds = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n.kind])), [graph]);
  const onPath = useMemo(() => new Set(critical.nodes), [critical]);
  const nodes = useMemo<Node<BoxData>[]>(
    () =>
      layout.boxes.map((b) => {
        const statuses = b.members.map(statusOf);
        const status = b.type === 'node' ? statuses[0]! : aggregateStatus(statuses);
        const data: BoxData =
          b.type === 'node'
            ? { label: b.id, sub: kinds.get(b.id) ?? '', status, critical: onPath.has(b.id), selected: b.id === selected }
            : { label: `task ${b.task}`, sub: `${b.members.length} nodes`, status, critical: b.members.some((m) => onPath.has(m)), selected: false, task: b.task!, onToggle, collapsed: b.type === 'collapsed' };
        return {
          id: b.id,
          type: b.type === 'node' ? 'tg' : b.type === 'group' ? 'tgGroup' : 'tgCollapsed',
          position: { x: b.x, y: b.y },
          data,
          draggable: false,
          selectable: b.type !== 'group',
          ...(b.parent ? { parentId: b.parent, extent: 'parent' as const } : {}),
          style: { width: b.width, height: b.height },
          ...(b.type === 'group' ? { zIndex: -1 } : {}),
        };
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [layout, version, selected, onPath, kinds],
  );
  const edges = useMemo<Edge[]>(
    () =>
      layout.edges.map((e) => {
        const hot = e.members.some(([f, t]) => critical.edges.has(`${f}\u0000${t}`));
        return {
          id: e.id,
          source: e.source,
          target: e.target,
          ...(hot ? { className: 'tg-edge-critical', animated: false, style: { stroke: '#d93025', strokeWidth: 3 } } : { style: { stroke: '#9aa0a6' } }),
          markerEnd: { type: MarkerType.ArrowClosed, color: hot ? '#d93025' : '#9aa0a6' },
        };
      }),
    [layout, critical],
  );
  return (
    <div className="tg-graph" data-testid="graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ maxZoom: 1.2, minZoom: 0.05 }}
        minZoom={0.02}
        onlyRenderVisibleElements
        nodesConnectable={false}
        nodesDraggable={false}
        onNodeClick={(_, n) => {
          if (n.type === 'tg') onSelect(n.id);
        }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} />
        <Controls showInteractive={false} />
        <FitOnLayout layoutKey={layout} />
      </ReactFlow>
    </div>
  );
}
