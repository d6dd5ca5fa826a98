import { useState } from 'react';
import { api, type PlanTask } from './api';
import { DependencyEditor } from './dependency-editor';

/** Splits a textarea into lines (acceptance criteria, one a line). */
const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** One task of the plan under review, editable (title, description, acceptance criteria: PUT /tasks/{id}; dependencies: `dependency-editor.tsx`). */
function TaskEditor({ planId, task, tasks, onSaved }: { planId: string; task: PlanTask; tasks: PlanTask[]; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(task.title);
  const [description, setDescription] = useState(task.description ?? '');
  const [acceptance, setAcceptance] = useState((task.acceptance ?? []).join('\n'));
  const [error, setError] = useState<string>();
  if (!editing) {
    return (
      <li data-testid="plan-task">
        <strong>{task.id}</strong> {task.title}
        {task.dependencies && task.dependencies.length > 0 ? <span data-testid="after"> (after {task.dependencies.join(', ')})</span> : null}
        {task.description ? <p>{task.description}</p> : null}
        {task.acceptance && task.acceptance.length > 0 ? (
          <ul>
            {task.acceptance.map((a, i) => (
              <li key={i}>✔ {a}</li>
            ))}
          </ul>
        ) : null}
        <DependencyEditor planId={planId} task={task} tasks={tasks} onChanged={onSaved} />
        <button onClick={() => setEditing(true)}>Edit {task.id}</button>
      </li>
    );
  }
  const save = async () => {
    try {
      await api('PUT', `/tasks/${encodeURIComponent(task.id)}`, { plan: planId, title, description, acceptance: lines(acceptance) });
      setEditing(false);
      onSaved();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <li className="tg-task-edit">
      <label>
        Title <input value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <label>
        Description <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />
      </label>
      <label>
        Acceptance criteria (one a line) <textarea value={acceptance} onChange={(e) => setAcceptance(e.target.value)} rows={3} />
      </label>
      <button onClick={save}>Save {task.id}</button> <button onClick={() => setEditing(false)}>Cancel</button>
      {error ? <p role="alert">{error}</p> : null}
    </li>
  );
}

/**
 * Plan review (issue 12): the plan a run waits on at its plan gate, its tasks (editable, with
 * their dependencies), and
 * the approve button (POST /plans/{id}/approve; the server resumes the run).
 */
export function PlanReview({ planId, goal, tasks, onChanged }: { planId: string; goal: string; tasks: PlanTask[]; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string>();
  const approve = async () => {
    setBusy(true);
    try {
      await api('POST', `/plans/${encodeURIComponent(planId)}/approve`, { by: 'web' });
      setMessage('Plan approved; the run goes on.');
      onChanged();
    } catch (e) {
      setMessage((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="tg-plan-review" aria-label="plan review" data-testid="plan-review">
      <h3>‖ Plan {planId} waits for approval</h3>
      <p>Goal: {goal}</p>
      <ol>
        {tasks.map((t) => (
          <TaskEditor key={t.id} planId={planId} task={t} tasks={tasks} onSaved={onChanged} />
        ))}
      </ol>
      <button className="tg-primary" onClick={approve} disabled={busy}>
        Approve plan
      </button>
      {message ? <p role="status">{message}</p> : null}
    </section>
  );
}
