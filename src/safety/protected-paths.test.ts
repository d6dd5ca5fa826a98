import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTECTED_PATHS, protectedPathMatcher } from './protected-paths.js';

describe('protected paths', () => {
  const match = protectedPathMatcher(DEFAULT_PROTECTED_PATHS);

  it('protects migrations, .github, .env files, lock files and CI configuration by default', () => {
    expect(match('migrations/001_init.sql')).toBe('**/migrations/**');
    expect(match('db/migrations/002.sql')).toBe('**/migrations/**');
    expect(match('.github/workflows/ci.yml')).toBe('.github/**');
    expect(match('.env')).toBe('**/.env*');
    expect(match('services/api/.env.production')).toBe('**/.env*');
    for (const lock of ['package-lock.json', 'web/yarn.lock', 'pnpm-lock.yaml', 'Cargo.lock', 'poetry.lock', 'uv.lock', 'go.sum', 'Gemfile.lock']) {
      expect(match(lock), lock).toBeDefined();
    }
    for (const ci of ['.gitlab-ci.yml', '.circleci/config.yml', 'azure-pipelines.yml', 'Jenkinsfile', '.travis.yml']) {
      expect(match(ci), ci).toBeDefined();
    }
  });

  it('leaves ordinary source, tests and docs alone', () => {
    for (const path of ['src/index.ts', 'test/app.test.ts', 'README.md', 'package.json', 'src/environment.ts', 'docs/github.md', 'src/migrate.ts']) {
      expect(match(path), path).toBeUndefined();
    }
  });

  it('uses the configured globs instead of the defaults', () => {
    const custom = protectedPathMatcher(['infra/**', '*.tf']);
    expect(custom('infra/main.yml')).toBe('infra/**');
    expect(custom('main.tf')).toBe('*.tf');
    expect(custom('.github/workflows/ci.yml')).toBeUndefined();
  });
});
