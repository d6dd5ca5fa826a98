import { useEffect, useState } from 'react';
import { api, type RunItem } from './api';
import { formatMs, formatUsd, statusLook } from './status';

/** Calls `fn` now and every `ms` until unmounted. */
export function usePoll(fn: () => Promise<void>, ms: number, deps: unknown[]): void {
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      await fn().catch(() => undefined);
      if (!stop) timer = setTimeout(tick, ms);
    };
    void tick();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

/** The runs list (issue 12): status, goal, cost, tokens and duration of the newest runs, refreshed every 2 s. */
export function RunsPage() {
  const [runs, setRuns] = useState<RunItem[]>();
  const [error, setError] = useState<string>();
  usePoll(
    async () => {
      try {
        setRuns(await api<RunItem[]>('GET', '/runs?limit=50'));
        setError(undefined);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    2000,
    [],
  );
  if (error) return <p role="alert">{error}</p>;
  if (!runs) return <p>Loading runs…</p>;
  if (runs.length === 0) return <p>No runs yet. Start one.</p>;
  return (
    <table className="tg-runs" data-testid="runs">
      <caption>Runs, newest first (live)</caption>
      <thead>
        <tr>
          <th>status</th>
          <th>run</th>
          <th>goal</th>
          <th>cost</th>
          <th>tokens</th>
          <th>duration</th>
          <th>started</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const look = statusLook(r.status);
          return (
            <tr key={r.id} data-run={r.id}>
              <td style={{ color: look.color }}>
                <span aria-hidden="true">{look.icon}</span> {look.word}
              </td>
              <td>
                <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>
              </td>
              <td>{String(r.options.goal ?? r.options.graph ?? r.command)}</td>
              <td>{formatUsd(r.spent.costUsd)}</td>
              <td>{r.spent.tokens}</td>
              <td>{formatMs(r.spent.activeMs)}</td>
              <td>{new Date(r.createdAt).toLocaleString()}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
