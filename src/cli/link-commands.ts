import { TaskgraphError } from '../core/errors.js';
import { LINK_TYPES, type LinkType, type TaskLink } from '../core/task.js';
import type { CommonOptions } from './commands.js';
import { setDependency } from '../planning/plan-edit.js';
import { checkNewLink } from '../store/link-rules.js';
import { choosePlan, requireTask } from './plan-choice.js';
import { applyPlanEdit, whoOf } from './task-edit-commands.js';
import { type ProjectHandle, withProject } from './wiring.js';
import { safeJson, safeText } from './safe-text.js';

/**
 * `taskgraph link add|rm|ls` (issue 4): typed links between the tasks of a plan (DESIGN.md §1).
 * `requires` orders the scheduler (it is the same fact as a task dependency: the store keeps
 * both in sync), so adding or removing one is a plan edit (`task-edit-commands.ts`): the edited
 * plan is validated whole, stored as a new version and audited; `refers` only feeds context; `duplicates` and `relates_to` are recorded for
 * people and tools. The store checks every new link (`src/store/link-rules.ts`), so a `requires`
 * cycle is refused whoever adds it.
 */

/** Options of the link commands: `--by` names who edits the plan (a `requires` link is a plan edit, default $USER). */
export type LinkOptions = CommonOptions & { plan?: string; by?: string };

/** Prints a line of output; text from a model or a repository is made terminal-safe here. */
const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/**
 * Parses a link type argument.
 * @throws TaskgraphError CONFIG_INVALID when it is not one of {@link LINK_TYPES}
 */
export function parseLinkType(text: string): LinkType {
  const found = LINK_TYPES.find((t) => t === text);
  if (found) return found;
  throw new TaskgraphError('CONFIG_INVALID', `unknown link type "${text}"`, { hint: `use one of: ${LINK_TYPES.join(', ')} (FROM TYPE TO, e.g. T3 requires T1)` });
}

/** One line for a link: `T3 requires T1`. */
export function formatLink(link: TaskLink): string {
  return `${link.from} ${link.type} ${link.to}`;
}

async function resolveLink(project: ProjectHandle, from: string, type: string, to: string, opts: LinkTarget): Promise<TaskLink> {
  const linkType = parseLinkType(type);
  const planId = await choosePlan(project.store, opts.plan);
  await requireTask(project.store, planId, from);
  await requireTask(project.store, planId, to);
  return { planId, from, to, type: linkType };
}

/** Who names a link and where: the plan (default: the newest run's plan, else the newest plan) and who edits. */
export type LinkTarget = { plan?: string | undefined; by?: string | undefined; session?: string | undefined };

/**
 * Adds a link (idempotent): what `taskgraph link add` and `POST /context/links` do. A `requires`
 * link is a plan edit (validated whole, a new plan version, audited, refused while a run executes
 * the plan); the other types are stored as they are.
 * @returns the link, with the plan it is in
 * @throws TaskgraphError CONFIG_INVALID (type), NOT_FOUND (plan or task, named),
 *   PLAN_INVALID (a `requires` cycle, with its path; a self link)
 */
export async function addTaskLink(project: ProjectHandle, from: string, type: string, to: string, target: LinkTarget): Promise<TaskLink> {
  const link = await resolveLink(project, from, type, to, target);
  if (link.type !== 'requires') await project.store.addLink(link);
  else {
    const tasks = await project.store.listTasks(link.planId);
    checkNewLink(link, tasks.flatMap((t) => t.dependencies.map((d) => ({ from: t.id, to: d }))));
    if (!tasks.find((t) => t.id === from)!.dependencies.includes(to)) await applyPlanEdit(project.store, link.planId, whoOf(target), (ts) => setDependency(ts, from, to, true), { session: target.session, webhooks: project.webhooks?.outbox });
  }
  return link;
}

/**
 * Removes a link (a `requires` link also drops the dependency, as a plan edit): what `taskgraph
 * link rm` and `DELETE /context/links` do.
 * @returns the link removed
 * @throws TaskgraphError CONFIG_INVALID (type), NOT_FOUND (plan, task, or no such link: the
 *   hint lists the links of FROM)
 */
export async function removeTaskLink(project: ProjectHandle, from: string, type: string, to: string, target: LinkTarget): Promise<TaskLink> {
  const link = await resolveLink(project, from, type, to, target);
  const links = await project.store.listLinks(link.planId, from);
  if (!links.some((l) => l.from === from && l.to === to && l.type === link.type)) {
    const own = links.filter((l) => l.from === from).map(formatLink);
    throw new TaskgraphError('NOT_FOUND', `no link ${formatLink(link)} in plan ${link.planId}`, {
      details: { link },
      hint: own.length > 0 ? `links from ${from}: ${own.join('; ')}` : `${from} has no outgoing links (taskgraph link ls ${from})`,
    });
  }
  if (link.type === 'requires') await applyPlanEdit(project.store, link.planId, whoOf(target), (ts) => setDependency(ts, from, to, false), { session: target.session, webhooks: project.webhooks?.outbox });
  else await project.store.removeLink(link);
  return link;
}

/**
 * The links of a plan, or those of one task (either end), sorted by (from, to, type): what
 * `taskgraph link ls` and `GET /context/links/{taskId}` show.
 * @throws TaskgraphError NOT_FOUND (plan or task)
 */
export async function listTaskLinks(project: ProjectHandle, taskId: string | undefined, plan: string | undefined): Promise<{ planId: string; links: TaskLink[] }> {
  const planId = await choosePlan(project.store, plan);
  if (taskId !== undefined) await requireTask(project.store, planId, taskId);
  return { planId, links: await project.store.listLinks(planId, taskId) };
}

/**
 * `taskgraph link add FROM TYPE TO [--plan ID]`: {@link addTaskLink}, printed.
 * @returns exit code 0
 * @throws TaskgraphError as {@link addTaskLink}
 */
export async function linkAddCommand(from: string, type: string, to: string, opts: LinkOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const link = await addTaskLink(project, from, type, to, opts);
    if (opts.json) out(safeJson(link));
    else out(`linked ${formatLink(link)} (plan ${link.planId})${link.type === 'requires' ? `: ${from} now runs after ${to}` : ''}`);
    return 0;
  });
}

/**
 * `taskgraph link rm FROM TYPE TO [--plan ID]`: {@link removeTaskLink}, printed.
 * @returns exit code 0
 * @throws TaskgraphError as {@link removeTaskLink}
 */
export async function linkRmCommand(from: string, type: string, to: string, opts: LinkOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const link = await removeTaskLink(project, from, type, to, opts);
    if (opts.json) out(safeJson(link));
    else out(`removed ${formatLink(link)} (plan ${link.planId})`);
    return 0;
  });
}

/**
 * `taskgraph link ls [TASK] [--plan ID] [--json]`: {@link listTaskLinks}, printed.
 * @returns exit code 0
 * @throws TaskgraphError NOT_FOUND (plan or task)
 */
export async function linkLsCommand(taskId: string | undefined, opts: LinkOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const { planId, links } = await listTaskLinks(project, taskId, opts.plan);
    if (opts.json) {
      out(safeJson(links));
      return 0;
    }
    if (links.length === 0) out(`no links${taskId ? ` of ${taskId}` : ''} in plan ${planId}: add one with \`taskgraph link add FROM TYPE TO\``);
    const width = Math.max(0, ...links.map((l) => l.from.length));
    const typeWidth = Math.max(...LINK_TYPES.map((t) => t.length));
    for (const l of links) out(`${l.from.padEnd(width)}  ${l.type.padEnd(typeWidth)}  ${l.to}`);
    return 0;
  });
}
