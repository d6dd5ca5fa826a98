import { useEffect, useState } from 'react';
import { api, ApiError, type NodeWhy } from './api';

/**
 * "Why dirty" (issue 12 "Node detail"): whether the node would run again in a new run of this
 * run's goal, plan or graph, and which ingredient of its cache key changed, or that it is a cache
 * hit (`GET /runs/{id}/why?node=`, the explanation `taskgraph why` prints). A forecast builds a
 * scratch worktree, so it is asked once per node opened, and again on "Check again".
 */
export function WhyView({ runId, nodeId }: { runId: string; nodeId: string }) {
  const [why, setWhy] = useState<NodeWhy>();
  const [error, setError] = useState<string>();
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    let live = true;
    setWhy(undefined);
    setError(undefined);
    api<NodeWhy>('GET', `/runs/${encodeURIComponent(runId)}/why?node=${encodeURIComponent(nodeId)}`).then(
      (w) => live && setWhy(w),
      // 404: the node is not in a new run as far as a forecast can see (a planner that runs again plans it anew)
      (e: Error) => live && setError(e instanceof ApiError && e.status === 404 ? `not known before it runs: ${e.message}` : `could not forecast: ${e.message}`),
    );
    return () => {
      live = false;
    };
  }, [runId, nodeId, asked]);
  return (
    <section data-testid="why" aria-live="polite">
      <h4>Why dirty</h4>
      {error ? <p className="tg-failure" data-testid="why-error">{error}</p> : null}
      {!why && !error ? <p>Forecasting a new run…</p> : null}
      {why ? (
        <>
          <p>
            <strong data-testid="why-verdict">{why.forecast.willRun ? (why.forecast.certain ? '↻ would run again' : '↻ would probably run again') : '⚡ cache hit: would not run again'}</strong> in {why.label}
            {why.base ? ` from ${why.base.slice(0, 10)} (HEAD)` : ''}
          </p>
          {why.forecast.willRun ? <p>why: {why.forecast.reason}</p> : null}
          {why.forecast.changed.length > 0 ? (
            <ul data-testid="why-changed">
              {why.forecast.changed.map((c) => (
                <li key={c}>changed: {c}</li>
              ))}
            </ul>
          ) : null}
          <pre className="tg-text">{why.lines.join('\n')}</pre>
        </>
      ) : null}
      <button onClick={() => setAsked((n) => n + 1)}>Check again</button>
    </section>
  );
}
