import { useEffect, useState } from 'react';
import { api, type NodeDetail } from './api';
import { DiffView, looksLikeDiff } from './diff-view';
import { formatMs, formatUsd, statusLook } from './status';
import { WhyView } from './why-view';

/** A context bundle (the output of a `context` node) as far as the UI reads it. */
interface Bundle {
  task: string;
  budget: number;
  tokens: number;
  items: { tier: number; title: string; tokens: number; why: string; text: string; cut?: string }[];
  cut: string[];
}

const isBundle = (v: unknown): v is Bundle => !!v && typeof v === 'object' && Array.isArray((v as Bundle).items) && typeof (v as Bundle).budget === 'number';

/** The context bundle with its manifest: each item's tier, tokens and why it is there, and what was cut. */
function BundleView({ bundle }: { bundle: Bundle }) {
  return (
    <div className="tg-bundle" data-testid="bundle">
      <p>
        Context bundle for task {bundle.task}: {bundle.tokens} of {bundle.budget} tokens, {bundle.items.length} items.
      </p>
      <table>
        <thead>
          <tr>
            <th>tier</th>
            <th>item</th>
            <th>tokens</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          {bundle.items.map((item, i) => (
            <tr key={i}>
              <td>{item.tier}</td>
              <td>
                <details>
                  <summary>{item.title}</summary>
                  <pre>{item.text}</pre>
                </details>
              </td>
              <td>{item.tokens}</td>
              <td>
                {item.why}
                {item.cut ? ` (${item.cut})` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {bundle.cut.length > 0 ? (
        <>
          <h5>Cut</h5>
          <ul>
            {bundle.cut.map((c, i) => (
              <li key={i}>{c}</li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

/** Any JSON value: a bundle as a manifest table, diffs as diff views, long strings as text, the rest as JSON. */
function Value({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (isBundle(value)) return <BundleView bundle={value} />;
  if (typeof value === 'string') return looksLikeDiff(value) ? <DiffView diff={value} /> : <pre className="tg-text">{value}</pre>;
  if (value && typeof value === 'object' && !Array.isArray(value) && depth < 2) {
    return (
      <dl className="tg-kv">
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <Value value={v} depth={depth + 1} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <pre className="tg-text">{JSON.stringify(value, null, 2)}</pre>;
}

/**
 * A node's details (issue 12 "Node detail"): its inputs (an input that reads another node shows
 * that node's output: the context bundle with its manifest for an `llm` node), the prompt
 * (system and template from the node's config), each attempt with its status, failure note,
 * tokens, cost and output (the model's answer; a diff rendered as a diff view), and "why dirty"
 * (`why-view.tsx`): whether a new run would run it again, and why. While the node runs,
 * `streaming` (the text its model call streamed so far, from `model-delta` events) is shown.
 */
export function NodeDetailPanel({ runId, nodeId, version, streaming, onClose }: { runId: string; nodeId: string; version: number; streaming?: string | undefined; onClose: () => void }) {
  const [detail, setDetail] = useState<NodeDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    api<NodeDetail>('GET', `/runs/${encodeURIComponent(runId)}/node?node=${encodeURIComponent(nodeId)}`).then(
      (d) => live && (setDetail(d), setError(undefined)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [runId, nodeId, version]);
  if (error) return <aside className="tg-detail" role="alert">{error}</aside>;
  if (!detail || detail.node.id !== nodeId) return <aside className="tg-detail">Loading {nodeId}…</aside>;
  const look = statusLook(detail.status);
  const { system, prompt, ...config } = detail.node.config as { system?: string; prompt?: string } & Record<string, unknown>;
  return (
    <aside className="tg-detail" aria-label={`node ${nodeId}`} data-testid="node-detail">
      <header>
        <h3>{nodeId}</h3>
        <button onClick={onClose} aria-label="close details">×</button>
      </header>
      <p>
        <span style={{ color: look.color }} data-testid="detail-status">
          {look.icon} {look.word}
        </span>{' '}
        · kind {detail.node.kind}
        {detail.node.task ? ` · task ${detail.node.task}` : ''}
      </p>
      <WhyView runId={runId} nodeId={nodeId} />
      {system || prompt ? (
        <section>
          <h4>Prompt</h4>
          {system ? <Value value={system} /> : null}
          {prompt ? <Value value={prompt} /> : null}
        </section>
      ) : null}
      {Object.keys(config).length > 0 ? (
        <details>
          <summary>Config</summary>
          <Value value={config} />
        </details>
      ) : null}
      <section>
        <h4>Inputs</h4>
        {Object.keys(detail.node.inputs).length === 0 ? <p>none</p> : null}
        {Object.entries(detail.node.inputs).map(([name, v]) => {
          const ref = v && typeof v === 'object' && '$ref' in v ? String((v as { $ref: string }).$ref) : undefined;
          return (
            <details key={name} open={isBundle(detail.resolvedInputs[name])}>
              <summary>
                {name}
                {ref ? ` ← ${ref}` : ''}
              </summary>
              <Value value={detail.resolvedInputs[name]} />
            </details>
          );
        })}
      </section>
      {detail.status === 'running' && streaming ? (
        <section>
          <h4>Answer so far (streaming)</h4>
          <pre className="tg-text" data-testid="streaming">{streaming}</pre>
        </section>
      ) : null}
      <section>
        <h4>Attempts ({detail.attempts.length})</h4>
        {detail.attempts.map((a) => {
          const al = statusLook(a.status);
          return (
            <div key={a.seq} className="tg-attempt" data-testid="attempt">
              <p>
                #{a.number}{' '}
                <span style={{ color: al.color }}>
                  {al.icon} {al.word}
                </span>{' '}
                · {formatMs(a.durationMs)} · {a.usage.inputTokens + a.usage.outputTokens} tokens ({a.usage.inputTokens} in, {a.usage.outputTokens} out) · {formatUsd(a.usage.costUsd)}
                {a.usage.model ? ` · ${a.usage.model}` : ''}
              </p>
              {a.error ? (
                <p className="tg-failure">
                  failure: {a.error.code}: {a.error.message}
                  {a.error.hint ? ` (${a.error.hint})` : ''}
                </p>
              ) : null}
              {a.suspendReason ? <p className="tg-failure">waiting: {a.suspendReason}</p> : null}
              {a.output !== undefined ? (
                <details open={a === detail.attempts.at(-1)}>
                  <summary>Output{typeof (a.output as { text?: unknown })?.text === 'string' ? " (the model's answer)" : ''}</summary>
                  <Value value={a.output} />
                </details>
              ) : null}
            </div>
          );
        })}
      </section>
    </aside>
  );
}
