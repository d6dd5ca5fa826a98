import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VerifyGate } from '../core/config.js';
import { exists } from './detect.js';

/**
 * Detecting lint and type-check gates for `taskgraph init` (`verify.gates`, issue 9 item 8): the
 * common tools' configuration files in the project root name the tool. Detection reads files
 * only; nothing is run.
 */

/** A detected gate and the file that revealed it. */
export interface DetectedGate extends VerifyGate {
  /** the repository-relative file (or `file [section]`) that names the tool */
  source: string;
}

const ESLINT_FILES = [
  'eslint.config.js',
  'eslint.config.mjs',
  'eslint.config.cjs',
  'eslint.config.ts',
  'eslint.config.mts',
  '.eslintrc',
  '.eslintrc.js',
  '.eslintrc.cjs',
  '.eslintrc.json',
  '.eslintrc.yml',
  '.eslintrc.yaml',
];

async function text(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The gates the project root's files suggest, in a fixed order (eslint, tsc, ruff, mypy):
 * - an ESLint config file (or `eslintConfig` in package.json) -> `eslint`: `npx eslint .`
 * - `tsconfig.json` -> `tsc`: `npx tsc --noEmit`
 * - `ruff.toml`, `.ruff.toml` or `[tool.ruff]` in pyproject.toml -> `ruff`: `ruff check .`
 * - `mypy.ini`, `.mypy.ini`, `[mypy]` in setup.cfg or `[tool.mypy]` in pyproject.toml -> `mypy`: `mypy .`
 * @param dir the project directory
 * @returns the gates, empty when none is recognised; never rejects (unreadable files count as absent)
 */
export async function detectGates(dir: string): Promise<DetectedGate[]> {
  const gates: DetectedGate[] = [];
  const pkg = await text(join(dir, 'package.json'));
  const pyproject = await text(join(dir, 'pyproject.toml'));
  const setupCfg = await text(join(dir, 'setup.cfg'));

  let eslint: string | undefined;
  for (const f of ESLINT_FILES) if (!eslint && (await exists(join(dir, f)))) eslint = f;
  if (!eslint && /"eslintConfig"\s*:/.test(pkg)) eslint = 'package.json [eslintConfig]';
  if (eslint) gates.push({ name: 'eslint', command: 'npx eslint .', source: eslint });

  if (await exists(join(dir, 'tsconfig.json'))) gates.push({ name: 'tsc', command: 'npx tsc --noEmit', source: 'tsconfig.json' });

  let ruff: string | undefined;
  for (const f of ['ruff.toml', '.ruff.toml']) if (!ruff && (await exists(join(dir, f)))) ruff = f;
  if (!ruff && /^\[tool\.ruff(\.|\])/m.test(pyproject)) ruff = 'pyproject.toml [tool.ruff]';
  if (ruff) gates.push({ name: 'ruff', command: 'ruff check .', source: ruff });

  let mypy: string | undefined;
  for (const f of ['mypy.ini', '.mypy.ini']) if (!mypy && (await exists(join(dir, f)))) mypy = f;
  if (!mypy && /^\[mypy[\]-]/m.test(setupCfg)) mypy = 'setup.cfg [mypy]';
  if (!mypy && /^\[tool\.mypy(\.|\])/m.test(pyproject)) mypy = 'pyproject.toml [tool.mypy]';
  if (mypy) gates.push({ name: 'mypy', command: 'mypy .', source: mypy });
  return gates;
}
