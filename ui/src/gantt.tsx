import type { AttemptSummary } from './api';
import { formatMs, statusLook } from './status';

const ROW = 18;
const LABEL = 200;
const WIDTH = 900;

/**
 * The run's timeline (issue 12 "a Gantt view"): one row per node, one bar per attempt from its
 * start to its finish (a running attempt up to now), coloured by status with the status word in
 * its tooltip and the row's label. Time is relative to the run's first attempt.
 */
export function Gantt({ attempts, now, critical }: { attempts: AttemptSummary[]; now: number; critical: Set<string> }) {
  if (attempts.length === 0) return <p>No attempts yet.</p>;
  const spans = attempts.map((a) => {
    const start = Date.parse(a.startedAt);
    const end = a.finishedAt ? Date.parse(a.finishedAt) : a.durationMs !== undefined ? start + a.durationMs : now;
    return { a, start, end: Math.max(end, start) };
  });
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(t0 + 1, ...spans.map((s) => s.end));
  const rows: string[] = [];
  for (const s of [...spans].sort((x, y) => x.start - y.start)) if (!rows.includes(s.a.nodeId)) rows.push(s.a.nodeId);
  const rowOf = new Map(rows.map((id, i) => [id, i]));
  const scale = (WIDTH - LABEL - 10) / (t1 - t0);
  const height = rows.length * ROW + 24;
  return (
    <div className="tg-gantt" data-testid="gantt">
      <svg width={WIDTH} height={height} role="img" aria-label={`timeline of ${rows.length} nodes over ${formatMs(t1 - t0)}`}>
        <text x={LABEL} y={12} fontSize={11}>0</text>
        <text x={WIDTH - 10} y={12} fontSize={11} textAnchor="end">{formatMs(t1 - t0)}</text>
        {rows.map((id, i) => (
          <text key={id} x={4} y={24 + i * ROW + 12} fontSize={11} fontWeight={critical.has(id) ? 700 : 400}>
            {id.length > 30 ? `…${id.slice(-29)}` : id}
          </text>
        ))}
        {spans.map(({ a, start, end }) => {
          const look = statusLook(a.status);
          return (
            <rect key={a.seq} x={LABEL + (start - t0) * scale} y={24 + rowOf.get(a.nodeId)! * ROW + 2} width={Math.max(2, (end - start) * scale)} height={ROW - 5} fill={look.color} opacity={0.8} data-status={a.status}>
              <title>{`${a.nodeId} attempt ${a.number}: ${look.word}, ${formatMs(end - start)}`}</title>
            </rect>
          );
        })}
      </svg>
    </div>
  );
}
