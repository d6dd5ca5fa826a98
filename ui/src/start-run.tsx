import { useState } from 'react';
import { api } from './api';

/** Start a run (issue 12): goal or PRD text, plan approval, and a budget (tokens, USD); POST /run, then the run page. */
export function StartRun({ onStarted }: { onStarted: (runId: string) => void }) {
  const [goal, setGoal] = useState('');
  const [approvePlan, setApprovePlan] = useState(true);
  const [maxTokens, setMaxTokens] = useState('');
  const [maxCost, setMaxCost] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const budget = { ...(maxTokens ? { maxTokens: Number(maxTokens) } : {}), ...(maxCost ? { maxCostUsd: Number(maxCost) } : {}) };
      const started = await api<{ runId: string }>('POST', '/run', { goal, approvePlan, ...(Object.keys(budget).length > 0 ? { budget } : {}) });
      onStarted(started.runId);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="tg-start" onSubmit={submit} aria-label="start a run">
      <h2>Start a run</h2>
      <label htmlFor="goal">Goal or PRD</label>
      <textarea id="goal" value={goal} onChange={(e) => setGoal(e.target.value)} rows={8} required placeholder="Add multiply to the calculator." />
      <label>
        <input type="checkbox" checked={approvePlan} onChange={(e) => setApprovePlan(e.target.checked)} /> Let me review the plan before it runs
      </label>
      <fieldset>
        <legend>Budget (optional; the run suspends when it is reached)</legend>
        <label>
          max tokens <input type="number" min={1} value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} />
        </label>{' '}
        <label>
          max cost (USD) <input type="number" min={0} step="0.01" value={maxCost} onChange={(e) => setMaxCost(e.target.value)} />
        </label>
      </fieldset>
      <button className="tg-primary" type="submit" disabled={busy || !goal.trim()}>
        Start run
      </button>
      {error ? <p role="alert">{error}</p> : null}
    </form>
  );
}
