import '@xyflow/react/dist/style.css';
import './styles.css';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { setToken, takeToken } from './api';
import { ApprovalsPage } from './approvals-page';
import { RunPage } from './run-page';
import { RunsPage } from './runs-page';
import { StartRun } from './start-run';

/** The route in the hash: `#/`, `#/approvals`, `#/start`, `#/runs/ID`, `#/runs/ID/node/NODE`. */
function useRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

/** Asks for the token when the page was opened without `#token=` (e.g. a bookmark). */
function TokenForm() {
  const [value, setValue] = useState('');
  return (
    <form
      className="tg-start"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value);
        location.reload();
      }}
    >
      <h2>API token</h2>
      <p>Open the link `taskgraph serve` prints, or paste the token from ~/.config/taskgraph/token.</p>
      <label>
        Token <input type="password" value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit">Use token</button>
    </form>
  );
}

function App({ hasToken }: { hasToken: boolean }) {
  const route = useRoute();
  const run = /^\/runs\/([^/]+)(?:\/node\/(.+))?$/.exec(route);
  const nav = (path: string) => (location.hash = path);
  let page;
  if (!hasToken) page = <TokenForm />;
  else if (run) {
    const runId = decodeURIComponent(run[1]!);
    page = <RunPage runId={runId} openNode={run[2] ? decodeURIComponent(run[2]) : undefined} onOpenNode={(id) => nav(id ? `/runs/${encodeURIComponent(runId)}/node/${encodeURIComponent(id)}` : `/runs/${encodeURIComponent(runId)}`)} />;
  } else if (route === '/approvals') page = <ApprovalsPage />;
  else if (route === '/start') page = <StartRun onStarted={(id) => nav(`/runs/${encodeURIComponent(id)}`)} />;
  else page = <RunsPage />;
  return (
    <>
      <nav className="tg-nav" aria-label="main">
        <strong>taskgraph</strong>
        <a href="#/" aria-current={route === '/' ? 'page' : undefined}>Runs</a>
        <a href="#/approvals" aria-current={route === '/approvals' ? 'page' : undefined}>Approvals</a>
        <a href="#/start" aria-current={route === '/start' ? 'page' : undefined}>Start a run</a>
      </nav>
      <main>{page}</main>
    </>
  );
}

const hasToken = takeToken() !== undefined;
createRoot(document.getElementById('root')!).render(<App hasToken={hasToken} />);
