import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * Canonical JSON per RFC 8785 (JSON Canonicalization Scheme), via the `canonicalize` package:
 * sorted keys, no whitespace, ECMAScript number formatting. `undefined` fields are dropped.
 * @throws TypeError when the value holds something JSON cannot express (e.g. a BigInt)
 */
export function canonicalJson(value: unknown): string {
  const text = (canonicalize as unknown as (v: unknown) => string | undefined)(value);
  return text ?? 'null';
}

/** SHA-256 of a UTF-8 string or bytes, lowercase hex (64 chars). */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of the canonical JSON of `value` (hex). Equal JSON values hash equally. */
export function hashJson(value: unknown): string {
  return sha256(canonicalJson(value));
}

/**
 * What a cache key is made of (DESIGN.md §5), each ingredient already reduced to a hash so a
 * later run can say which one changed (`why dirty`).
 */
export interface KeyIngredients {
  kind: string;
  kindVersion: number;
  /** hash of the node's config */
  config: string;
  /** input name -> hash of the resolved input value */
  inputs: Record<string, string>;
  /** the kind's own ingredients (template hash, model id, worktree tree hash, ...) -> hash */
  extra: Record<string, string>;
}

/**
 * Builds {@link KeyIngredients} from raw values.
 * @param kind node kind
 * @param kindVersion bump to invalidate every cached output of the kind
 * @param config the node's config
 * @param inputs resolved input values by name
 * @param extra the kind's own ingredients
 */
export function keyIngredients(
  kind: string,
  kindVersion: number,
  config: unknown,
  inputs: Record<string, unknown>,
  extra: Record<string, unknown>,
): KeyIngredients {
  const hashAll = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, hashJson(v)]));
  return { kind, kindVersion, config: hashOfObject(config), inputs: hashAll(inputs), extra: hashAll(extra) };
}

const objectHashes = new WeakMap<object, string>();

/**
 * {@link hashJson} of a value that is never mutated (a node's config in an immutable graph),
 * remembered per object so a run does not hash the same config again on every attempt.
 */
export function hashOfObject(value: unknown): string {
  if (typeof value !== 'object' || value === null) return hashJson(value);
  let hash = objectHashes.get(value);
  if (hash === undefined) {
    hash = hashJson(value);
    objectHashes.set(value, hash);
  }
  return hash;
}

/** The cache key: SHA-256 (hex) over the canonical JSON of the ingredients. */
export function cacheKey(ingredients: KeyIngredients): string {
  return hashJson(ingredients);
}

/**
 * Names the ingredients that differ between two keys' ingredients, e.g.
 * `['config', 'input:edit', 'extra:model']`. Empty when equal.
 */
export function diffIngredients(before: KeyIngredients, after: KeyIngredients): string[] {
  const changed: string[] = [];
  if (before.kind !== after.kind || before.kindVersion !== after.kindVersion) changed.push('kind-version');
  if (before.config !== after.config) changed.push('config');
  for (const name of new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)])) {
    if (before.inputs[name] !== after.inputs[name]) changed.push(`input:${name}`);
  }
  for (const name of new Set([...Object.keys(before.extra), ...Object.keys(after.extra)])) {
    if (before.extra[name] !== after.extra[name]) changed.push(`extra:${name}`);
  }
  return changed;
}
