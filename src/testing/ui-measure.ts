/**
 * The web UI's scale figures (issue 12 "Measure and report the time to first render and the frame
 * time while panning"), shared by the browser test (test/e2e/ui.test.ts) and the benchmark
 * (bench/ui-render.mjs). The page is a playwright-core Page (typed structurally here, so the
 * library does not depend on playwright).
 */

/** The part of a playwright-core `Page` {@link measureRunPage} uses. */
export interface MeasurablePage {
  goto(url: string): Promise<unknown>;
  waitForFunction(expression: string, arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  getByTestId(id: string): { boundingBox(): Promise<{ x: number; y: number; width: number; height: number } | null> };
  mouse: { move(x: number, y: number): Promise<void>; down(): Promise<void>; up(): Promise<void> };
}

/** What {@link measureRunPage} measures (ms). */
export interface RunPageFigures {
  nodes: number;
  /** from navigation start until the graph shows nodes and the node list has every node */
  ui_first_render_ms: number;
  /** the layered layout (dagre) alone, as the page measured it (`tg-layout`) */
  ui_layout_ms: number;
  /** requestAnimationFrame callbacks seen while panning */
  ui_pan_frames: number;
  ui_pan_frame_ms_median: number;
  /** 95th percentile of the time between two frames while panning */
  ui_pan_frame_ms_p95: number;
}

// in-page scripts as strings: the library's tsconfig has no DOM types
const RENDERED = (n: number) => `document.querySelectorAll('.react-flow__node').length > 0 && document.querySelectorAll('[data-testid="node-list"] li').length === ${n}`;
const START_FRAMES = `(() => { window.frames_ = []; window.stop_ = false; let last = performance.now();
  const tick = (t) => { window.frames_.push(t - last); last = t; if (!window.stop_) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); })()`;
const STOP_FRAMES = `(() => { window.stop_ = true; return window.frames_.slice(1); })()`;

/**
 * Opens a run page at `url` (a fresh navigation) and measures the time to first render (see
 * {@link RunPageFigures}), then the frame times during a scripted drag of the graph: 120 mouse
 * moves of 8×3 px, out and back, with requestAnimationFrame deltas recorded in the page.
 * @param nodes how many nodes the run has (the list must show them all)
 * @throws Error (playwright TimeoutError) when the page does not render within 30 s
 */
export async function measureRunPage(page: MeasurablePage, url: string, nodes: number): Promise<RunPageFigures> {
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction(RENDERED(nodes), undefined, { timeout: 30_000 });
  const firstRender = (await page.evaluate('performance.now()')) as number;
  const layout = (await page.evaluate(`performance.getEntriesByName('tg-layout').at(-1)?.duration ?? -1`)) as number;
  const box = (await page.getByTestId('graph').boundingBox())!;
  await page.evaluate(START_FRAMES);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 60; i++) await page.mouse.move(cx - i * 8, cy - i * 3);
  for (let i = 59; i >= 0; i--) await page.mouse.move(cx - i * 8, cy - i * 3);
  await page.mouse.up();
  const frames = (await page.evaluate(STOP_FRAMES)) as number[];
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q: number) => +(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN).toFixed(1);
  return { nodes, ui_first_render_ms: Math.round(firstRender), ui_layout_ms: Math.round(layout), ui_pan_frames: frames.length, ui_pan_frame_ms_median: at(0.5), ui_pan_frame_ms_p95: at(0.95) };
}
