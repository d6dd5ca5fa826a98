import { useState } from 'react';
import { api, ApiError, type PlanTask } from './api';

/**
 * A task's dependencies in the plan review (issue 12 "the plan review allows editing tasks, their
 * dependencies ..."): each task it requires, with a button to remove it, and a choice of another
 * task of the plan to require. Edits are `requires` links (`POST|DELETE /context/links`, what
 * `taskgraph link add|rm` does: a versioned, audited plan edit); a dependency that would close a
 * cycle is refused by the server with a 400 naming the cycle, shown here as it comes.
 */
export function DependencyEditor({ planId, task, tasks, onChanged }: { planId: string; task: PlanTask; tasks: PlanTask[]; onChanged: () => void }) {
  const deps = task.dependencies ?? [];
  const choices = tasks.filter((t) => t.id !== task.id && !deps.includes(t.id));
  const [pick, setPick] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const chosen = choices.some((t) => t.id === pick) ? pick : (choices[0]?.id ?? '');
  const link = async (method: 'POST' | 'DELETE', to: string) => {
    setBusy(true);
    try {
      await api(method, '/context/links', { plan: planId, from: task.id, type: 'requires', to, by: 'web' });
      setError(undefined);
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError && e.hint ? `${e.message} (${e.hint})` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="tg-deps" data-testid={`deps-${task.id}`}>
      <span>Requires: </span>
      {deps.length === 0 ? <span>nothing</span> : null}
      {deps.map((d) => (
        <span key={d} className="tg-dep">
          {d}{' '}
          <button aria-label={`${task.id} no longer requires ${d}`} onClick={() => void link('DELETE', d)} disabled={busy}>
            ×
          </button>
        </span>
      ))}
      {choices.length > 0 ? (
        <>
          {' '}
          <label>
            add a required task for {task.id}{' '}
            <select value={chosen} onChange={(e) => setPick(e.target.value)}>
              {choices.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.id} {t.title}
                </option>
              ))}
            </select>
          </label>{' '}
          <button onClick={() => void link('POST', chosen)} disabled={busy || chosen === ''}>
            Add dependency to {task.id}
          </button>
        </>
      ) : null}
      {error ? <p role="alert" className="tg-failure">{error}</p> : null}
    </div>
  );
}
