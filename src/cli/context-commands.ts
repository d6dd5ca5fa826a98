import { existsSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { previewTaskContext } from '../nodes/context.js';
import type { ContextBundle } from '../context/types.js';
import type { ContextOverrides } from '../store/store.js';
import type { CommonOptions } from './commands.js';
import { applyOverrideChanges, hasOverrideChanges, normaliseEntry, type OverrideChanges } from './override-changes.js';
import { choosePlan, requireTask } from './plan-choice.js';
import { type ProjectHandle, withProject } from './wiring.js';
import { safeJson, safeText } from './safe-text.js';

/**
 * `taskgraph context preview TASK` (issue 4, DESIGN.md §7): stores the pin/exclude changes given
 * as flags as the task's context overrides (so every later run honours them), then prints the
 * bundle the task's `context` node would get, built by `previewTaskContext` (src/nodes/context.ts).
 */

/** Options of `context preview`. */
export type ContextPreviewOptions = CommonOptions & OverrideChanges & { plan?: string; by?: string };

/** The parts of a preview bundle this command prints (the shape `previewTaskContext` promises). */
interface PreviewBundle {
  items: Array<{ source: string; title: string; tokens: number; why: string; cut?: string; trimmed?: boolean }>;
  /** tokens of the whole bundle */
  tokens: number;
  /** token budget of the task's `context` node */
  budget: number;
  /** what was left out or trimmed, one entry each */
  cut: string[];
}

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);
const warn = (text: string) => process.stderr.write(`warning: ${text}\n`);

/**
 * Renders a preview for people: one line per item (source tier, title, tokens, why; `cut: ...`
 * when trimmed), then the total against the budget and what was cut.
 */
export function formatPreview(planId: string, taskId: string, overrides: ContextOverrides, bundle: PreviewBundle): string {
  const lines = [`context of ${taskId} (plan ${planId})`];
  if (overrides.pins.length > 0) lines.push(`pinned:   ${overrides.pins.join(', ')}`);
  if (overrides.excludes.length > 0) lines.push(`excluded: ${overrides.excludes.join(', ')}`);
  const source = Math.max(6, ...bundle.items.map((i) => i.source.length));
  const title = Math.min(48, Math.max(5, ...bundle.items.map((i) => i.title.length)));
  const tokens = Math.max(...bundle.items.map((i) => String(i.tokens).length), 1);
  for (const item of bundle.items) {
    const cut = item.cut ? ` (cut: ${item.cut})` : item.trimmed ? ' (trimmed)' : '';
    lines.push(`  ${item.source.padEnd(source)}  ${item.title.padEnd(title)}  ${String(item.tokens).padStart(tokens)} tokens  ${item.why}${cut}`);
  }
  if (bundle.items.length === 0) lines.push('  (no items)');
  lines.push(`total ${bundle.tokens} / ${bundle.budget} tokens (${bundle.items.length} item${bundle.items.length === 1 ? '' : 's'})`);
  lines.push(bundle.cut.length > 0 ? `cut: ${bundle.cut.join('; ')}` : 'cut: nothing');
  return lines.join('\n');
}

/** Entries that are not a task id, contain no glob syntax and name no existing file or directory. */
function missingPaths(dir: string, entries: readonly string[], taskIds: ReadonlySet<string>): string[] {
  return entries.filter((e) => !taskIds.has(e) && !picomatch.scan(e).isGlob && !existsSync(join(dir, e)));
}

/** A task's context as {@link previewContext} returns it. */
export interface ContextPreview {
  planId: string;
  /** the task's stored pins and excludes, after the changes */
  overrides: ContextOverrides;
  /** the bundle the task's `context` node would get now */
  bundle: ContextBundle;
  /** changes that did nothing, and entries naming no task nor existing file (kept), one line each */
  warnings: string[];
}

/**
 * What `taskgraph context preview TASK [--pin ...]`, `POST /tasks/{id}/context/preview` and
 * `POST /tasks/{id}/context/approve` share: stores the pin/exclude changes (if any) as the task's
 * context overrides, so every later run honours them, then builds the bundle the task's `context`
 * node would get (`previewTaskContext`, src/nodes/context.ts).
 * @param target the plan (default: the newest run's plan, else the newest plan), the changes and
 *   who makes them (`by`, default `$USER`; the `context-changed` audit entry written with them)
 * @throws TaskgraphError NOT_FOUND (plan or task), CONFIG_INVALID (an entry both pinned and
 *   excluded, or outside the project)
 */
export async function previewContext(project: ProjectHandle, taskId: string, target: OverrideChanges & { plan?: string | undefined; by?: string | undefined }): Promise<ContextPreview> {
  const planId = await choosePlan(project.store, target.plan);
  await requireTask(project.store, planId, taskId);
  let overrides = await project.store.getContextOverrides(planId, taskId);
  const warnings: string[] = [];
  if (hasOverrideChanges(target)) {
    const taskIds = new Set((await project.store.listTasks(planId)).map((t) => t.id));
    const changed = applyOverrideChanges(overrides, target, taskIds);
    for (const entry of changed.notPresent) warnings.push(`${entry}: nothing to remove`);
    const added = [...(target.pin ?? []), ...(target.exclude ?? [])].map((e) => normaliseEntry(e, taskIds));
    for (const path of missingPaths(project.dir, added, taskIds)) {
      warnings.push(`${path} is not a task id of ${planId} and no such file exists in ${project.dir} yet (kept)`);
    }
    overrides = changed.overrides;
    const who = target.by ?? process.env['USER'] ?? 'a person';
    const change = { pin: [...(target.pin ?? [])], exclude: [...(target.exclude ?? [])], unpin: [...(target.unpin ?? [])], unexclude: [...(target.unexclude ?? [])] };
    await project.store.putContextOverrides(planId, taskId, overrides, {
      at: Date.now(),
      who,
      kind: 'context-changed',
      subject: taskId,
      reason: `context of ${taskId}: ${Object.entries(change).flatMap(([k, v]) => (v.length > 0 ? [`${k} ${v.join(', ')}`] : [])).join('; ')}`,
      details: { plan: planId, task: taskId, ...change, pins: overrides.pins, excludes: overrides.excludes },
    });
  }
  return { planId, overrides, bundle: await previewTaskContext(project, planId, taskId), warnings };
}

/**
 * `taskgraph context preview TASK [--plan ID] [--pin X...] [--exclude X...] [--unpin X...]
 * [--unexclude X...] [--json]`: {@link previewContext}, printed (warnings on stderr). Default
 * plan: the newest run's plan, else the newest plan. `--json` prints
 * `{ planId, task, overrides, ...bundle }`.
 * @returns exit code 0
 * @throws TaskgraphError as {@link previewContext}
 */
export async function contextPreviewCommand(taskId: string, opts: ContextPreviewOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const { planId, overrides, bundle, warnings } = await previewContext(project, taskId, opts);
    for (const w of warnings) warn(w);
    const { task, ...rest } = bundle;
    if (opts.json) out(safeJson({ planId, task, overrides, ...rest }));
    else out(formatPreview(planId, taskId, overrides, bundle));
    return 0;
  });
}
