/**
 * How a status looks: a colour AND a word with a symbol, so status never rests on colour alone
 * (issue 12 "Accessibility").
 */
export interface StatusLook {
  color: string;
  background: string;
  icon: string;
  word: string;
}

const LOOKS: Record<string, StatusLook> = {
  pending: { color: '#555', background: '#f1f1f1', icon: '○', word: 'pending' },
  running: { color: '#0b57d0', background: '#dbe8ff', icon: '▶', word: 'running' },
  succeeded: { color: '#146c2e', background: '#d5f5dc', icon: '✓', word: 'succeeded' },
  cached: { color: '#5b3fa8', background: '#ebe3ff', icon: '⚡', word: 'cached' },
  failed: { color: '#b3261e', background: '#fde0dd', icon: '✗', word: 'failed' },
  skipped: { color: '#666', background: '#e6e6e6', icon: '↷', word: 'skipped' },
  suspended: { color: '#8a5300', background: '#ffecc7', icon: '‖', word: 'waiting' },
  interrupted: { color: '#8a5300', background: '#ffecc7', icon: '■', word: 'interrupted' },
};

/** The look of a node or run status (unknown statuses get a neutral look with the status word). */
export function statusLook(status: string): StatusLook {
  return LOOKS[status] ?? { color: '#333', background: '#eee', icon: '•', word: status };
}

/** `12.3 s`, `4 m 05 s`, `—` for undefined. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} m ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

/** `$0.0123` */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(4)}`;
}
