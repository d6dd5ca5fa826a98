/**
 * What a red pytest run says about a missing plugin or missing test dependencies, for `init`'s
 * check. The option and setting names are those each plugin documents (its README on PyPI).
 */

/** Command-line options (as pytest names them in `unrecognized arguments: ...`) and their plugin. */
export const PYTEST_OPTION_PLUGINS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^--cov(\b|-|=)/, 'pytest-cov'],
  [/^(-n|--numprocesses|--dist|--maxprocesses)(\b|=)/, 'pytest-xdist'],
  [/^--timeout(\b|=|-)/, 'pytest-timeout'],
  [/^--reruns(\b|=|-)/, 'pytest-rerunfailures'],
  [/^--benchmark-/, 'pytest-benchmark'],
  [/^--html(\b|=)/, 'pytest-html'],
  [/^--mypy\b/, 'pytest-mypy'],
  [/^--asyncio-mode(\b|=)/, 'pytest-asyncio'],
  [/^(--randomly-|-p\s*randomly)/, 'pytest-randomly'],
  [/^--hypothesis-/, 'hypothesis'],
  [/^--flake8\b/, 'pytest-flake8'],
  [/^--(ds|dc)(\b|=)/, 'pytest-django'],
  [/^--mpl(\b|-)/, 'pytest-mpl'],
  [/^--snapshot-(update|warn)/, 'syrupy'],
];

/** ini settings pytest warns about (`Unknown config option: NAME`) and their plugin. */
export const PYTEST_SETTING_PLUGINS: Readonly<Record<string, string>> = {
  asyncio_mode: 'pytest-asyncio',
  asyncio_default_fixture_loop_scope: 'pytest-asyncio',
  timeout: 'pytest-timeout',
  DJANGO_SETTINGS_MODULE: 'pytest-django',
  env: 'pytest-env',
  mock_use_standalone_module: 'pytest-mock',
  mpl_baseline_path: 'pytest-mpl',
};

/** Fixtures pytest cannot find (`fixture 'NAME' not found`) and their plugin. */
export const PYTEST_FIXTURE_PLUGINS: Readonly<Record<string, string>> = {
  mocker: 'pytest-mock',
  benchmark: 'pytest-benchmark',
  httpx_mock: 'pytest-httpx',
  requests_mock: 'requests-mock',
  event_loop: 'pytest-asyncio',
  freezer: 'pytest-freezer',
  snapshot: 'syrupy',
  aioresponses: 'aioresponses',
};

/** What a red pytest run is missing. */
export interface PytestDiagnosis {
  /** plugins to install, with what showed each one was needed */
  plugins: Array<{ plugin: string; because: string }>;
  /** modules the tests import that are not installed */
  modules: string[];
}

/**
 * Reads a pytest output for missing plugins (unrecognized options, unknown ini settings, unknown
 * fixtures) and missing modules (`ModuleNotFoundError`).
 * @param output the test command's output, ANSI escapes removed
 * @returns undefined when it names nothing missing
 */
export function diagnosePytest(output: string): PytestDiagnosis | undefined {
  const plugins = new Map<string, string>();
  const args = /error: unrecognized arguments: (.+)$/m.exec(output)?.[1]?.trim().split(/\s+(?=-)/) ?? [];
  for (const arg of args) {
    const found = PYTEST_OPTION_PLUGINS.find(([pattern]) => pattern.test(arg));
    if (found && !plugins.has(found[1])) plugins.set(found[1], `\`${arg}\` is not a pytest option without it`);
  }
  for (const m of output.matchAll(/Unknown config option: (\w+)/g)) {
    const plugin = PYTEST_SETTING_PLUGINS[m[1]!];
    if (plugin && !plugins.has(plugin)) plugins.set(plugin, `the setting \`${m[1]}\` is unknown without it`);
  }
  for (const m of output.matchAll(/fixture '(\w+)' not found/g)) {
    const plugin = PYTEST_FIXTURE_PLUGINS[m[1]!];
    if (plugin && !plugins.has(plugin)) plugins.set(plugin, `the fixture \`${m[1]}\` comes from it`);
  }
  const modules = [...new Set([...output.matchAll(/ModuleNotFoundError: No module named '([\w.]+)'/g)].map((m) => m[1]!))].sort();
  if (plugins.size === 0 && modules.length === 0) return undefined;
  return { plugins: [...plugins].map(([plugin, because]) => ({ plugin, because })), modules };
}
