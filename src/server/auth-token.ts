import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TaskgraphError } from '../core/errors.js';

/**
 * The bearer token of `taskgraph serve` (issue 12 "Auth"): one secret per user, created on the
 * first start and kept in the user's configuration directory with mode 0600, or given with
 * `--token`. Requests are checked in constant time ({@link tokenMatches}).
 */

/**
 * Where the token lives: `$XDG_CONFIG_HOME/taskgraph/token`, else `~/.config/taskgraph/token`.
 * @param env the environment to read `XDG_CONFIG_HOME` and `HOME` from
 */
export function tokenPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg && xdg.trim() !== '' ? xdg : join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'taskgraph', 'token');
}

/** Shortest token accepted from `--token`, characters. */
export const MIN_TOKEN_LENGTH = 16;

/** The token in use and where it is kept. */
export interface ServeToken {
  token: string;
  /** the file holding it (mode 0600) */
  path: string;
  /** true when this call created it (first start, no `--token`) */
  created: boolean;
}

/**
 * Reads the stored token, or creates one (32 random bytes, hex) on the first start; with
 * `given` (`--token`) stores that one instead. The file and its directory are made private
 * (0600 and 0700) every time, so a token file loosened by hand is tightened again.
 * @param given the `--token` value, if any (at least {@link MIN_TOKEN_LENGTH} characters, no whitespace)
 * @throws TaskgraphError CONFIG_INVALID (a `--token` too short or with whitespace), STORE_ERROR (the file cannot be read or written)
 */
export async function loadOrCreateToken(given: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ServeToken> {
  const path = tokenPath(env);
  if (given !== undefined && (given.length < MIN_TOKEN_LENGTH || /\s/.test(given))) {
    throw new TaskgraphError('CONFIG_INVALID', `--token must be at least ${MIN_TOKEN_LENGTH} characters without whitespace`, {
      hint: 'leave --token out to have a random one created, or pass e.g. $(openssl rand -hex 32)',
    });
  }
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let token = given;
    let created = false;
    if (token === undefined) {
      const stored = (await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)))).trim();
      if (stored !== '') token = stored;
    }
    if (token === undefined) {
      token = randomBytes(32).toString('hex');
      created = true;
    }
    if (created || given !== undefined) await writeFile(path, `${token}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    return { token, path, created };
  } catch (error) {
    throw new TaskgraphError('STORE_ERROR', `cannot keep the server token in ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'make the directory writable, set XDG_CONFIG_HOME elsewhere, or pass --token',
    });
  }
}

/**
 * Whether `presented` equals `expected`, in time that does not depend on where they differ or on
 * the presented length: both are hashed (sha256) to 32 bytes first, then compared with
 * `crypto.timingSafeEqual`.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

/**
 * The token of an `Authorization: Bearer <token>` header value, or undefined when the header is
 * missing or of another scheme.
 */
export function bearerOf(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
