import picomatch from 'picomatch';

/**
 * Protected paths (issue 11 "Paths", README "Safety and approvals"): an edit that touches one of
 * these globs needs a person's approval before it is applied (`nodes/apply.ts`). This is
 * different from the protected configuration of `workspace/protected-files.ts` (taskgraph.yaml,
 * the verify scripts), which is refused outright and never asked about.
 */

/**
 * Lock files of common package managers (npm, Yarn, pnpm, Bun, Cargo, Poetry, uv, PDM, Pipenv,
 * Go, Bundler, Composer, NuGet, SwiftPM, Mix, Pub), matched at any depth.
 */
export const LOCK_FILE_GLOBS: readonly string[] = [
  '**/package-lock.json',
  '**/npm-shrinkwrap.json',
  '**/yarn.lock',
  '**/pnpm-lock.yaml',
  '**/bun.lockb',
  '**/bun.lock',
  '**/Cargo.lock',
  '**/poetry.lock',
  '**/uv.lock',
  '**/pdm.lock',
  '**/Pipfile.lock',
  '**/go.sum',
  '**/Gemfile.lock',
  '**/composer.lock',
  '**/packages.lock.json',
  '**/Package.resolved',
  '**/mix.lock',
  '**/pubspec.lock',
];

/** CI configuration files other than `.github/**`: GitLab, CircleCI, Azure Pipelines, Jenkins, Travis, Bitbucket, Buildkite, Drone, AppVeyor, Woodpecker, Cirrus (the list `workspace/protected-files.ts` refused before issue 11). */
export const CI_CONFIG_GLOBS: readonly string[] = [
  '.gitlab-ci.yml',
  '.gitlab-ci/**',
  '.circleci/**',
  'azure-pipelines.yml',
  '**/Jenkinsfile',
  '.travis.yml',
  'bitbucket-pipelines.yml',
  '.buildkite/**',
  '.drone.yml',
  'appveyor.yml',
  '.woodpecker.yml',
  '.woodpecker/**',
  '.cirrus.yml',
];

/**
 * `policy.safety.protectedPaths` when taskgraph.yaml sets none: `migrations/**` (at any depth),
 * `.github/**`, `**\/.env*`, the lock files ({@link LOCK_FILE_GLOBS}) and CI configuration
 * ({@link CI_CONFIG_GLOBS}).
 */
export const DEFAULT_PROTECTED_PATHS: readonly string[] = ['**/migrations/**', '.github/**', '**/.env*', ...LOCK_FILE_GLOBS, ...CI_CONFIG_GLOBS];

/**
 * A matcher for repository-relative paths (`/`-separated, no leading `./`).
 * Globs are picomatch globs with `dot: true` (so `.github/**` and `**\/.env*` see dot files).
 * @returns for a path, the first glob that matches it, or undefined
 */
export function protectedPathMatcher(globs: readonly string[]): (path: string) => string | undefined {
  const matchers = globs.map((glob) => ({ glob, test: picomatch(glob, { dot: true }) }));
  return (path) => matchers.find((m) => m.test(path))?.glob;
}
