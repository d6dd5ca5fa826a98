import { describe, expect, it } from 'vitest';
import { newDependencies } from './new-dependencies.js';

const names = (path: string, before: string | null, after: string | null) => newDependencies(path, before, after).map((d) => d.name);

describe('new dependencies', () => {
  it('reads package.json dependency sections', () => {
    const before = JSON.stringify({ dependencies: { zod: '4.0.0' }, scripts: { test: 'vitest' } });
    const after = JSON.stringify({ dependencies: { zod: '4.1.0', 'left-pad': '1.3.0' }, devDependencies: { vitest: '3.2.4' }, scripts: { lint: 'eslint' } });
    expect(names('package.json', before, after)).toEqual(['left-pad', 'vitest']);
    expect(names('web/package.json', null, after)).toEqual(['left-pad', 'vitest', 'zod']);
    expect(names('package.json', before, '{ not json')).toEqual([]);
  });

  it('reads requirements files, pyproject, Cargo.toml and go.mod', () => {
    expect(names('requirements-dev.txt', 'pytest==8.0\n', 'pytest==8.1\n# tools\nRequests[socks]>=2.0; python_version>"3.8"\n-r base.txt\n')).toEqual(['requests']);
    const py = '[project]\nname = "x"\ndependencies = [\n  "httpx>=0.27",\n]\n[project.optional-dependencies]\ndev = ["pytest"]\n';
    expect(names('pyproject.toml', py, py.replace('"httpx>=0.27",', '"httpx>=0.27",\n  "rich"'))).toEqual(['rich']);
    const poetry = '[tool.poetry.dependencies]\npython = "^3.11"\nflask = "^3"\n';
    expect(names('pyproject.toml', poetry, `${poetry}sqlalchemy = "^2"\n`)).toEqual(['sqlalchemy']);
    const cargo = '[package]\nname = "x"\nversion = "0.1.0"\n[dependencies]\nserde = "1"\n';
    expect(names('Cargo.toml', cargo, `${cargo}tokio = { version = "1" }\n[dev-dependencies]\nproptest = "1"\n`)).toEqual(['proptest', 'tokio']);
    const gomod = 'module x\n\ngo 1.22\n\nrequire (\n\tgithub.com/a/b v1.0.0\n)\n';
    expect(names('go.mod', gomod, gomod.replace(')', '\tgithub.com/c/d v0.2.0 // indirect\n)'))).toEqual(['github.com/c/d']);
  });

  it('finds none in other files or deleted manifests', () => {
    expect(names('src/index.ts', '', 'import x from "y";')).toEqual([]);
    expect(names('package.json', '{"dependencies":{"a":"1"}}', null)).toEqual([]);
  });
});
