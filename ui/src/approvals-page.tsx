import { useState } from 'react';
import { api, type PendingApproval, type RunItem } from './api';
import { DiffView } from './diff-view';
import { usePoll } from './runs-page';

/** One pending approval: subject, risk score and reasons, the diff (or command), and approve / reject with a comment. */
function ApprovalCard({ item, onDecided }: { item: PendingApproval; onDecided: () => void }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(true);
    try {
      await api('POST', '/approvals', { runId: item.runId, nodeId: item.nodeId, decision, ...(comment.trim() ? { comment: comment.trim() } : {}), by: 'web' });
      onDecided();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const id = `c-${item.runId}-${item.nodeId}`.replace(/[^a-zA-Z0-9_-]/g, '-');
  return (
    <article className="tg-approval" data-testid="approval" aria-label={`approval ${item.nodeId} of ${item.runId}`}>
      <h3>
        {item.nodeId} <small>run <a href={`#/runs/${encodeURIComponent(item.runId)}`}>{item.runId}</a></small>
      </h3>
      <p>
        <strong data-testid="risk">risk {item.risk}</strong> · {item.stat.files} files, +{item.stat.added} −{item.stat.deleted} · {item.subject}
      </p>
      <ul className="tg-reasons">
        {item.reasons.map((r, i) => (
          <li key={i}>⚠ {r}</li>
        ))}
      </ul>
      {item.command ? <pre className="tg-text">$ {item.command}</pre> : null}
      {item.diff ? <DiffView diff={item.diff} label={`diff of ${item.nodeId}`} /> : null}
      <label htmlFor={id}>Comment (sent to the model on reject)</label>
      <textarea id={id} value={comment} onChange={(e) => setComment(e.target.value)} rows={2} />
      <div>
        <button className="tg-primary" disabled={busy} onClick={() => decide('approve')}>
          ✓ Approve
        </button>{' '}
        <button className="tg-danger" disabled={busy} onClick={() => decide('reject')}>
          ✗ Reject
        </button>
      </div>
      {error ? <p role="alert">{error}</p> : null}
    </article>
  );
}

/**
 * The approvals inbox (issue 12): every pending approval (diffs and commands waiting for a
 * person) and the runs waiting at their plan gate, refreshed every 2 s.
 */
export function ApprovalsPage() {
  const [items, setItems] = useState<PendingApproval[]>();
  const [plans, setPlans] = useState<RunItem[]>([]);
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  usePoll(
    async () => {
      try {
        const [pending, runs] = await Promise.all([api<PendingApproval[]>('GET', '/approvals?status=pending'), api<RunItem[]>('GET', '/runs?limit=50')]);
        setItems(pending);
        setPlans(runs.filter((r) => r.status === 'suspended' && /plan \S+ awaits approval/.test(r.reason ?? '')));
        setError(undefined);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    2000,
    [tick],
  );
  if (error) return <p role="alert">{error}</p>;
  if (!items) return <p>Loading approvals…</p>;
  return (
    <div className="tg-approvals" data-testid="approvals">
      <h2>Approvals inbox</h2>
      {plans.length > 0 ? (
        <section>
          <h3>Plans waiting for review</h3>
          <ul>
            {plans.map((r) => (
              <li key={r.id}>
                ‖ <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>: {String(r.options.goal ?? '')} (plan {r.planId})
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {items.length === 0 ? <p>Nothing waits for a decision.</p> : null}
      {items.map((item) => (
        <ApprovalCard key={`${item.runId}/${item.nodeId}/${item.at}`} item={item} onDecided={() => setTick((t) => t + 1)} />
      ))}
    </div>
  );
}
