import { rmdir, stat } from 'node:fs/promises';
import { TaskgraphError } from '../core/errors.js';
import { RunLeaseHolder } from '../engine/run-lease.js';
import { gitText, runGit } from '../workspace/git-run.js';
import { deleteRunBranch, listWorktrees, removeRunWorkspace } from '../workspace/run-worktree.js';
import { removeRunTaskLeftovers, runTaskLeftovers } from '../workspace/task-worktree.js';
import { worktreeParentDir } from '../workspace/worktree-location.js';
import { type CleanCandidate, parseOlderThan, type ScratchCandidate, selectLeftoverScratch, selectRunsToClean } from './clean-selection.js';
import { isGitRepo } from './run-common.js';
import { safeJson, safeText } from './safe-text.js';
import { type ProjectHandle, withProject } from './wiring.js';

/** Options of `taskgraph clean`. */
export interface CleanCommandOptions {
  project: string;
  /** list what would be removed, remove nothing */
  dryRun?: boolean;
  /** only runs (and scratch worktrees) at least this old, e.g. `7d` */
  olderThan?: string;
  /** also delete the cleaned runs' branches */
  branches?: boolean;
  json?: boolean;
}

/** One thing `clean` could not remove. */
interface CleanError {
  what: 'worktree' | 'branch' | 'scratch';
  target: string;
  message: string;
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Every run of the project with its lease and what of it is still on disk (one git call for all branches). */
async function candidatesOf(project: ProjectHandle): Promise<CleanCandidate[]> {
  const refs = await gitText(project.dir, ['for-each-ref', '--format=%(refname)', 'refs/heads/taskgraph/']);
  const branches = new Set(refs.split('\n').filter(Boolean).map((ref) => ref.slice('refs/heads/'.length)));
  const out: CleanCandidate[] = [];
  for (const run of await project.store.listRuns()) {
    out.push({
      run,
      lease: await project.store.getRunLease(run.id),
      worktreeExists: run.worktree ? await isDir(run.worktree) : false,
      branchExists: run.branch ? branches.has(run.branch) : false,
    });
  }
  return out;
}

/** The repository's registered worktrees with their modification times (scratch ones are picked later). */
async function worktreeEntries(projectDir: string): Promise<ScratchCandidate[]> {
  const out: ScratchCandidate[] = [];
  for (const entry of await listWorktrees(projectDir)) {
    const info = await stat(entry.path).catch(() => undefined);
    if (info?.isDirectory()) out.push({ path: entry.path, mtimeMs: info.mtimeMs });
  }
  return out;
}

/**
 * `taskgraph clean`: removes the worktrees of finished runs (succeeded, failed, or interrupted:
 * a run whose process is gone) and of their tasks (`taskgraph/<run>-tasks/*`, issue 10), with
 * `--branches` also their `taskgraph/<run>` and task branches, and the
 * scratch worktrees of forecasts and plans whose process is gone; never a run whose lease is live
 * or that waits for a person (`clean-selection.ts`). `--older-than 7d` keeps anything newer;
 * `--dry-run` lists and removes nothing. Each run's lease is taken while its worktree and branch
 * go, so a `resume` cannot start in a worktree being removed. Worktrees go with `git worktree
 * remove --force` (a directory that is not a worktree of the repository is never deleted), then
 * `git worktree prune`. The store keeps every record: `status` and `report` of a cleaned run
 * still work and say the worktree was removed (and the branch deleted).
 * @returns 0, or 1 when something could not be removed (listed, with git's reason)
 * @throws TaskgraphError CONFIG_INVALID for a bad `--older-than`; GIT_ERROR outside a git
 *   repository with a commit
 */
export async function cleanCommand(opts: CleanCommandOptions): Promise<number> {
  const olderThanMs = opts.olderThan === undefined ? undefined : parseOlderThan(opts.olderThan);
  return withProject(opts, async (project) => {
    if (!(await isGitRepo(project.dir))) {
      throw new TaskgraphError('GIT_ERROR', `${project.dir} is not a git repository with a commit`, { hint: 'run clean in the project that `taskgraph do` ran in (or pass -C DIR)' });
    }
    const nowMs = Date.now();
    const selection = selectRunsToClean(await candidatesOf(project), { nowMs, olderThanMs, branches: opts.branches === true });
    const scratch = selectLeftoverScratch(await worktreeEntries(project.dir), { nowMs, olderThanMs });
    const errors: CleanError[] = [];
    const done = { worktrees: [] as Array<{ runId: string; status: string; path: string }>, branches: [] as Array<{ branch: string; runIds: string[] }>, scratch: [] as Array<{ path: string; pid: number }> };
    if (opts.dryRun) {
      for (const r of selection.runs) if (r.worktree) done.worktrees.push({ runId: r.runId, status: r.status, path: r.worktree });
      for (const r of selection.runs) {
        const left = await runTaskLeftovers(project.dir, r.runId);
        for (const dir of left.worktrees) done.worktrees.push({ runId: r.runId, status: r.status, path: dir });
        if (opts.branches) for (const branch of left.branches) done.branches.push({ branch, runIds: [r.runId] });
      }
      done.branches.push(...selection.branches);
      done.scratch.push(...scratch.map((s) => ({ path: s.path, pid: s.pid })));
    } else {
      const holders: RunLeaseHolder[] = [];
      const locked = new Set<string>();
      try {
        for (const r of selection.runs) {
          try {
            holders.push(await RunLeaseHolder.acquire(project.store, r.runId));
          } catch (error) {
            locked.add(r.runId); // a process took the run since we looked: leave it alone
            selection.kept.push({ runId: r.runId, reason: firstLine(error) });
            continue;
          }
          try {
            // the worktrees (and with --branches the branches) of tasks the run did not integrate
            const left = await removeRunTaskLeftovers(project.dir, r.runId, opts.branches === true);
            for (const dir of left.worktrees) done.worktrees.push({ runId: r.runId, status: r.status, path: dir });
            for (const branch of left.branches) done.branches.push({ branch, runIds: [r.runId] });
          } catch (error) {
            errors.push({ what: 'worktree', target: `${r.runId} task worktrees`, message: firstLine(error) });
          }
          if (!r.worktree) continue;
          try {
            await removeRunWorkspace({ projectDir: project.dir, dir: r.worktree, force: true });
            done.worktrees.push({ runId: r.runId, status: r.status, path: r.worktree });
          } catch (error) {
            errors.push({ what: 'worktree', target: r.worktree, message: firstLine(error) });
          }
        }
        for (const b of selection.branches) {
          if (b.runIds.some((id) => locked.has(id))) continue;
          try {
            if (await deleteRunBranch(project.dir, b.branch)) done.branches.push(b);
          } catch (error) {
            errors.push({ what: 'branch', target: b.branch, message: firstLine(error) });
          }
        }
      } finally {
        for (const holder of holders) await holder.release().catch(() => undefined);
      }
      for (const s of scratch) {
        try {
          await runGit(project.dir, ['worktree', 'remove', '--force', s.path]);
          done.scratch.push({ path: s.path, pid: s.pid });
        } catch (error) {
          errors.push({ what: 'scratch', target: s.path, message: firstLine(error) });
        }
      }
      await runGit(project.dir, ['worktree', 'prune']);
      // the default parent (<cache>/worktrees/<project key>) goes when nothing is left in it
      if (project.config.worktreeDir === undefined) await rmdir(await worktreeParentDir(project.dir)).catch(() => undefined);
    }
    if (opts.json) {
      process.stdout.write(`${safeJson({ dryRun: opts.dryRun === true, ...done, kept: selection.kept, errors })}\n`);
      return errors.length > 0 ? 1 : 0;
    }
    const verb = (now: string, then: string) => (opts.dryRun ? then : now);
    const lines: string[] = [];
    for (const w of done.worktrees) lines.push(`${verb('removed', 'would remove')} worktree ${w.path} (run ${w.runId}, ${w.status})`);
    for (const b of done.branches) lines.push(`${verb('deleted', 'would delete')} branch ${b.branch}`);
    for (const s of done.scratch) lines.push(`${verb('removed', 'would remove')} scratch worktree ${s.path} (process ${s.pid} is gone)`);
    for (const k of selection.kept) lines.push(`kept run ${k.runId}: ${k.reason}`);
    for (const e of errors) lines.push(`could not remove ${e.what} ${e.target}: ${e.message}`);
    if (done.worktrees.length + done.branches.length + done.scratch.length === 0) lines.unshift('nothing to clean');
    if (opts.dryRun) lines.push('dry run: nothing was removed (run again without --dry-run to remove)');
    else if (done.worktrees.length > 0 && !opts.branches) lines.push('the branches stay (add --branches to delete them too); status and report of these runs still work');
    process.stdout.write(`${safeText(lines.join('\n'))}\n`);
    return errors.length > 0 ? 1 : 0;
  });
}
