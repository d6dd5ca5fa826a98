import ms from 'ms';
import { TaskgraphError } from '../core/errors.js';
import { effectiveRunStatus, holderState, isProcessAlive, type LeaseOptions } from '../engine/run-lease.js';
import type { RunLease, RunRecord, RunStatus } from '../store/store.js';
import { hostTag, scratchOwner } from '../workspace/worktree-location.js';

/**
 * What `taskgraph clean` removes (issue item 10), decided without I/O: the worktrees of finished
 * runs, optionally their branches, and scratch worktrees whose process is gone. Never a run whose
 * lease is live, never a run waiting for a person (`suspended`), never a branch another kept run
 * still names (a fully cached run points at an earlier run's branch).
 */

/** Statuses whose worktree `clean` removes: the run is over, or its process is gone (`interrupted`). */
export const CLEANABLE: ReadonlySet<RunStatus> = new Set<RunStatus>(['succeeded', 'failed', 'interrupted']);

/** One run as `clean` sees it: the stored record, its lease, and what of it is still on disk. */
export interface CleanCandidate {
  run: Pick<RunRecord, 'id' | 'status' | 'branch' | 'worktree' | 'updatedAt'>;
  /** the run's lease row, if any */
  lease?: RunLease | undefined;
  /** the stored worktree directory exists */
  worktreeExists: boolean;
  /** the stored branch exists in the repository */
  branchExists: boolean;
}

/** Options of {@link selectRunsToClean}. */
export interface CleanOptions {
  /** `Date.now()` of the reader */
  nowMs: number;
  /** only runs last updated at least this many ms before `nowMs` (`--older-than`) */
  olderThanMs?: number | undefined;
  /** also delete the runs' branches (`--branches`) */
  branches: boolean;
  /** lease TTL, this host and the liveness check (defaults: `run-lease.ts`) */
  lease?: LeaseOptions;
}

/** A run whose worktree (and maybe branch) goes. */
export interface CleanRemoval {
  runId: string;
  /** the status shown for the run now (`effectiveRunStatus`) */
  status: RunStatus;
  /** the stored worktree to remove, when it still exists */
  worktree?: string;
}

/** A branch that goes (`--branches`). */
export interface BranchRemoval {
  branch: string;
  /** the runs whose records name it (all of them are being cleaned) */
  runIds: string[];
}

/** Something left in place, and why (one phrase). */
export interface CleanKept {
  runId: string;
  reason: string;
}

/** The result of {@link selectRunsToClean}. */
export interface CleanSelection {
  runs: CleanRemoval[];
  branches: BranchRemoval[];
  kept: CleanKept[];
}

/**
 * Chooses what to remove. A run is cleaned when its status now is succeeded, failed or
 * interrupted (a `running` run whose lease expired or whose process is gone), its lease is not
 * live, and (with `olderThanMs`) its last update is at least that old. Its worktree goes when
 * it still exists; with `branches`, its stored branch goes when it exists and every run whose
 * record names it is cleaned too. Runs with nothing left on disk are not listed. Pure apart from
 * the lease liveness check.
 * @param candidates every run of the project
 * @param options clock, age limit, whether branches go, lease options
 */
export function selectRunsToClean(candidates: readonly CleanCandidate[], options: CleanOptions): CleanSelection {
  const runs: CleanRemoval[] = [];
  const kept: CleanKept[] = [];
  const cleaned = new Set<string>();
  for (const { run, lease, worktreeExists, branchExists } of candidates) {
    const onDisk = worktreeExists || (options.branches && branchExists);
    const status = effectiveRunStatus(run, lease, options.nowMs, options.lease);
    const live = lease !== undefined && holderState(lease, options.nowMs, options.lease) === 'live';
    let reason: string | undefined;
    if (live) reason = `its lease is live (process ${lease.pid} on ${lease.host})`;
    else if (!CLEANABLE.has(status)) reason = status === 'suspended' ? 'suspended: waiting for a person or a raised budget' : status;
    else if (options.olderThanMs !== undefined && !(options.nowMs - Date.parse(run.updatedAt) >= options.olderThanMs)) {
      reason = `finished less than ${ms(options.olderThanMs, { long: true })} ago`;
    }
    if (reason !== undefined) {
      if (onDisk) kept.push({ runId: run.id, reason });
      continue;
    }
    cleaned.add(run.id);
    if (onDisk) runs.push({ runId: run.id, status, ...(worktreeExists && run.worktree ? { worktree: run.worktree } : {}) });
  }
  const branches: BranchRemoval[] = [];
  if (options.branches) {
    const named = new Map<string, { runIds: string[]; exists: boolean }>();
    for (const { run, branchExists } of candidates) {
      if (!run.branch?.startsWith('taskgraph/')) continue;
      const entry = named.get(run.branch) ?? { runIds: [], exists: false };
      entry.runIds.push(run.id);
      entry.exists ||= branchExists;
      named.set(run.branch, entry);
    }
    for (const [branch, { runIds, exists }] of named) {
      if (!exists || !runIds.some((id) => cleaned.has(id))) continue;
      const holders = runIds.filter((id) => !cleaned.has(id));
      if (holders.length > 0) {
        for (const id of runIds.filter((r) => cleaned.has(r))) kept.push({ runId: id, reason: `branch ${branch} stays: run ${holders.join(', ')} still uses it` });
        continue;
      }
      branches.push({ branch, runIds });
    }
  }
  return { runs, branches, kept };
}

/** A registered worktree that may be a scratch worktree (`worktree-location.ts`). */
export interface ScratchCandidate {
  path: string;
  /** ms since the epoch the directory was last modified */
  mtimeMs: number;
}

/** Options of {@link selectLeftoverScratch}. */
export interface ScratchOptions {
  nowMs: number;
  olderThanMs?: number | undefined;
  /** this host's tag (default {@link hostTag}) */
  host?: string;
  /** whether a pid is alive on this host (default {@link isProcessAlive}) */
  isAlive?: (pid: number) => boolean;
}

/**
 * The scratch worktrees left by a process that is gone: named `scratch-<pid>-<host>-<random>`,
 * made on this host by a pid that no longer exists (one made on another host is never judged
 * here), and (with `olderThanMs`) not modified for that long. Pure apart from `isAlive`.
 * @param entries the repository's worktrees (any; only scratch ones are considered)
 */
export function selectLeftoverScratch(entries: readonly ScratchCandidate[], options: ScratchOptions): Array<ScratchCandidate & { pid: number }> {
  const host = options.host ?? hostTag();
  const alive = options.isAlive ?? isProcessAlive;
  const out: Array<ScratchCandidate & { pid: number }> = [];
  for (const entry of entries) {
    const owner = scratchOwner(entry.path);
    if (!owner || owner.host !== host || owner.pid === process.pid || alive(owner.pid)) continue;
    if (options.olderThanMs !== undefined && !(options.nowMs - entry.mtimeMs >= options.olderThanMs)) continue;
    out.push({ ...entry, pid: owner.pid });
  }
  return out;
}

/**
 * Parses `--older-than`: a number with a unit, as the `ms` package reads it (`30m`, `12h`,
 * `7d`, `2w`, `1.5h`, `90 minutes`).
 * @returns milliseconds (>= 0)
 * @throws TaskgraphError CONFIG_INVALID for a bare number, a negative or unreadable duration
 */
export function parseOlderThan(text: string): number {
  const parsed = /^\s*\d+(\.\d+)?\s*[A-Za-z]+\s*$/.test(text) ? ms(text.trim() as ms.StringValue) : undefined;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    throw new TaskgraphError('CONFIG_INVALID', `--older-than needs a duration like 7d, 12h or 30m, got "${text}"`, {
      hint: 'write a number followed by a unit: s, m, h, d or w (e.g. --older-than 7d)',
    });
  }
  return parsed;
}
