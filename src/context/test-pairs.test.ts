import { describe, expect, it } from 'vitest';
import { companionLookup, pairKey } from './test-pairs.js';

describe('test ↔ source pairing', () => {
  it('reads the test conventions of the common runners', () => {
    expect(pairKey('tests/test_signer.py')).toEqual({ stem: 'signer', ext: '.py', test: true });
    expect(pairKey('uuid_test.go')).toEqual({ stem: 'uuid', ext: '.go', test: true });
    expect(pairKey('src/context/retrieve.test.ts')).toEqual({ stem: 'retrieve', ext: '.ts', test: true });
    expect(pairKey('src/a/b.spec.ts')).toEqual({ stem: 'b', ext: '.ts', test: true });
    expect(pairKey('src/main/java/OrderTest.java')).toEqual({ stem: 'Order', ext: '.java', test: true });
    expect(pairKey('spec/order_spec.rb')).toEqual({ stem: 'order', ext: '.rb', test: true });
    expect(pairKey('test/e2e/demo.ts')).toEqual({ stem: 'demo', ext: '.ts', test: true });
    expect(pairKey('src/itsdangerous/signer.py')).toEqual({ stem: 'signer', ext: '.py', test: false });
  });

  it('finds the companion both ways, the nearest when several share the name, never across extensions', () => {
    const find = companionLookup([
      'src/context/retrieve.ts',
      'src/context/retrieve.test.ts',
      'src/other/retrieve.test.ts',
      'src/pkg/signer.py',
      'tests/test_signer.py',
      'uuid.go',
      'uuid_test.go',
      'README.md',
      'src/pkg/__init__.py',
      'tests/test___init__.py',
      'src/lone.ts',
      'src/lone.test.js',
    ]);
    expect(find('src/context/retrieve.ts')).toBe('src/context/retrieve.test.ts');
    expect(find('src/other/retrieve.test.ts')).toBe('src/context/retrieve.ts');
    expect(find('src/pkg/signer.py')).toBe('tests/test_signer.py');
    expect(find('tests/test_signer.py')).toBe('src/pkg/signer.py');
    expect(find('uuid.go')).toBe('uuid_test.go');
    expect(find('uuid_test.go')).toBe('uuid.go');
    expect(find('README.md')).toBeUndefined();
    expect(find('src/pkg/__init__.py')).toBeUndefined();
    expect(find('src/lone.ts')).toBeUndefined();
  });
});
