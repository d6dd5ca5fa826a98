import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Finding and killing every process a command started, whatever it did to escape: background
 * jobs (same process group), `setsid` children (own session, so not in the group) and daemons
 * whose parent already exited (re-parented to init, so no parent link leads to them).
 *
 * Three nets, used together:
 * 1. the process group of the spawned process (`detached: true` makes it a group leader);
 * 2. descendants found through the parent links in `/proc/<pid>/stat`, collected *before*
 *    anything is killed (a killed parent's children are re-parented and the links are lost);
 * 3. an environment cookie: every command gets {@link TREE_COOKIE_VAR} set to a random value, and
 *    every process whose `/proc/<pid>/environ` holds it belongs to the command. The idea is
 *    Jenkins' ProcessTreeKiller (`hudson.util.ProcessTree`, the `BUILD_ID`/`JENKINS_NODE_COOKIE`
 *    variable). A process that clears its own environment before `setsid` escapes nets 1 and 3;
 *    inside a PID namespace (src/sandbox/confine.ts) nothing escapes, because killing the
 *    namespace's init kills every process in it.
 *
 * Linux only: where `/proc` is missing, nets 2 and 3 find nothing and only the group is killed.
 */

/** Name of the environment variable that marks every process of one command. Not a secret. */
export const TREE_COOKIE_VAR = 'TASKGRAPH_COMMAND_ID';

/** A fresh cookie value for {@link TREE_COOKIE_VAR}: 16 random bytes as hex (32 characters). */
export function newTreeCookie(): string {
  return randomBytes(16).toString('hex');
}

/** Numeric entries of `/proc` (process ids); empty where there is no `/proc`. */
function procPids(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) if (/^\d+$/.test(name)) pids.push(Number(name));
  return pids;
}

/**
 * The parent pid in a `/proc/<pid>/stat` line. Field 2 (comm) is in parentheses and may itself
 * hold spaces and parentheses, so the fields are counted from the *last* `)` (proc(5)).
 * @returns the ppid, or undefined for a line that does not parse
 */
export function parentPidOf(statLine: string): number | undefined {
  const close = statLine.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = statLine.slice(close + 2).split(' '); // state ppid pgrp ...
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/**
 * Every living descendant of `root` (children, grandchildren, …, not `root` itself), found through
 * the parent links of `/proc/<pid>/stat`. A snapshot: call it before killing anything.
 * @returns pids, parents before children; empty without `/proc` or when `root` has no children
 */
export function descendantPids(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of procPids()) {
    let line: string;
    try {
      line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const ppid = parentPidOf(line);
    if (ppid === undefined) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const found: number[] = [];
  const queue = [root];
  const seen = new Set(queue);
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Every process whose initial environment holds `name=value` (read from `/proc/<pid>/environ`;
 * processes of other users are unreadable and skipped). This process is never returned.
 * @returns pids; empty without `/proc`
 */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const nul = Buffer.from([0]);
  const found: number[] = [];
  for (const pid of procPids()) {
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    // entries are NUL-terminated; a leading NUL lets the first entry match too
    if (Buffer.concat([nul, environ]).includes(needle)) found.push(pid);
  }
  return found;
}

/** What identifies one command's processes for {@link killProcessTree}. */
export interface ProcessTreeHandle {
  /** pid of the spawned process, leader of its own process group (spawned with `detached: true`) */
  pid: number;
  /** value of {@link TREE_COOKIE_VAR} the command was started with, if any */
  cookie?: string;
}

/**
 * Kills (SIGKILL) a command's whole process tree: the descendants of `pid` are collected first
 * (only while `pid` is alive and not yet reaped: `alive`), then the process group `pid` is
 * killed, then the collected descendants, then every process carrying the cookie. Idempotent;
 * processes already gone are skipped. Never throws.
 * @param alive whether `pid` is still ours (running or a zombie not yet reaped); after it was
 *   reaped its pid may belong to another process, so its parent links are not followed
 * @returns how many processes or groups a signal was delivered to
 */
export function killProcessTree(handle: ProcessTreeHandle, alive: boolean): number {
  const targets = new Set(alive ? descendantPids(handle.pid) : []);
  if (handle.cookie) for (const pid of pidsWithEnv(TREE_COOKIE_VAR, handle.cookie)) targets.add(pid);
  let delivered = 0;
  const killed = new Set<number>();
  const send = (id: number) => {
    try {
      process.kill(id, 'SIGKILL');
      delivered++;
      return true;
    } catch {
      return false; // already gone, or not ours
    }
  };
  if (handle.pid > 1) send(-handle.pid);
  for (const pid of targets) if (pid > 1 && pid !== process.pid && send(pid)) killed.add(pid);
  // a process that was forking while the first sweep read /proc leaves a child the sweep did not
  // see; sweep the cookie again until a pass finds no process it has not signalled (at most 5)
  for (let pass = 0; handle.cookie && pass < 5; pass++) {
    const fresh = pidsWithEnv(TREE_COOKIE_VAR, handle.cookie).filter((pid) => pid > 1 && pid !== process.pid && !killed.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) if (send(pid)) killed.add(pid);
  }
  return delivered;
}
