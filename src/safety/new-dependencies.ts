/**
 * New dependencies an edit adds to a manifest (issue 11 "Risk score"): a new package is new code
 * that runs at install and test time, so it raises an edit's risk. Pure; reads file contents
 * before and after the edit.
 */

/** A dependency added by an edit. */
export interface NewDependency {
  /** the manifest, repository-relative */
  file: string;
  /** the package name as the manifest writes it */
  name: string;
}

const NPM_SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/**
 * The dependencies `after` declares that `before` did not, for manifests it knows:
 * `package.json` (`dependencies`, `devDependencies`, `optionalDependencies`, `peerDependencies`),
 * `requirements*.txt` (one requirement a line), `pyproject.toml` (`project.dependencies`,
 * `project.optional-dependencies`, `tool.poetry.*dependencies`, `dependency-groups`),
 * `Cargo.toml` (`dependencies`, `dev-dependencies`, `build-dependencies`) and `go.mod`
 * (`require`). A manifest that does not parse counts as declaring nothing (the edit's own checks
 * report it). Other files: none.
 * @param path repository-relative path
 * @param before content before the edit (`null`: the file did not exist)
 * @param after content after (`null`: deleted; then nothing is added)
 */
export function newDependencies(path: string, before: string | null, after: string | null): NewDependency[] {
  if (after === null) return [];
  const name = path.split('/').pop() ?? path;
  const reader = readerFor(name);
  if (!reader) return [];
  const old = new Set(before === null ? [] : reader(before));
  return [...new Set(reader(after))].filter((n) => !old.has(n)).sort().map((n) => ({ file: path, name: n }));
}

function readerFor(name: string): ((text: string) => string[]) | undefined {
  if (name === 'package.json') return npmDeps;
  if (/^requirements.*\.txt$/.test(name)) return requirementNames;
  if (name === 'pyproject.toml') return pyprojectDeps;
  if (name === 'Cargo.toml') return cargoDeps;
  if (name === 'go.mod') return goDeps;
  return undefined;
}

function npmDeps(text: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof json !== 'object' || json === null) return [];
  const doc = json as Record<string, unknown>;
  return NPM_SECTIONS.flatMap((s) => keysOf(doc[s]));
}

/** PEP 508 name at the start of a requirement (`requests[socks]>=2; python_version<"3.8"` → `requests`), lower-cased. */
function pep508Name(spec: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec);
  return m ? m[1]!.toLowerCase().replace(/[-_.]+/g, '-') : undefined;
}

function requirementNames(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('-'))
    .map(pep508Name)
    .filter((n): n is string => n !== undefined);
}

/**
 * TOML tables as `section -> lines` (no TOML library is among the dependencies, and the parts read
 * here are simple): `[a.b]` headers start a section; `key = value` lines and array items follow.
 */
function tomlSections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*/, '').trim();
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?$/.exec(line);
    if (header) current = header[1]!.replace(/["']/g, '');
    else if (line !== '') sections.set(current, [...(sections.get(current) ?? []), line]);
  }
  return sections;
}

/** Keys of a TOML table's `key = …` lines. */
function tomlKeys(lines: readonly string[] = []): string[] {
  return lines.map((l) => /^["']?([A-Za-z0-9_.-]+)["']?\s*=/.exec(l)?.[1]).filter((k): k is string => k !== undefined);
}

/** Quoted strings of a TOML array written over one or more lines (`deps = ["a>=1", "b"]`), from `key` on. */
function tomlArrayStrings(lines: readonly string[] = [], key?: string): string[] {
  let text = lines.join('\n');
  if (key !== undefined) {
    const m = new RegExp(`^${key}\\s*=\\s*\\[`, 'm').exec(text);
    if (!m) return [];
    text = text.slice(m.index + m[0].length);
    text = text.slice(0, text.indexOf(']') === -1 ? undefined : text.indexOf(']'));
  }
  return [...text.matchAll(/"([^"]*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2] ?? '');
}

function pyprojectDeps(text: string): string[] {
  const sections = tomlSections(text);
  const specs = [...tomlArrayStrings(sections.get('project'), 'dependencies')];
  for (const [name, lines] of sections) {
    if (name === 'project.optional-dependencies' || name === 'dependency-groups') specs.push(...tomlArrayStrings(lines));
  }
  const names = specs.map(pep508Name).filter((n): n is string => n !== undefined);
  for (const [name, lines] of sections) {
    if (/^tool\.poetry\.(?:dev-)?dependencies$|^tool\.poetry\.group\.[^.]+\.dependencies$/.test(name)) names.push(...tomlKeys(lines));
  }
  return names.filter((n) => n !== 'python');
}

function cargoDeps(text: string): string[] {
  const sections = tomlSections(text);
  const names: string[] = [];
  for (const [name, lines] of sections) {
    if (/^(?:target\..+\.)?(?:dev-|build-)?dependencies$/.test(name)) names.push(...tomlKeys(lines));
    const single = /^(?:dev-|build-)?dependencies\.(.+)$/.exec(name);
    if (single) names.push(single[1]!);
  }
  return names;
}

function goDeps(text: string): string[] {
  const names: string[] = [];
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*/, '').trim();
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line !== '') names.push(line.split(/\s+/)[0]!);
    } else if (/^require\s*\($/.test(line)) inBlock = true;
    else if (line.startsWith('require ')) names.push(line.slice(8).trim().split(/\s+/)[0]!);
  }
  return names;
}

function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
}
