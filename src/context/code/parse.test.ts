import { beforeAll, describe, expect, it, vi } from 'vitest';
import { codeLanguage, ensureParsers, parseSymbols } from './parse.js';

describe('loading the grammars', () => {
  it('happens on the first ensureParsers, not at import: parsing before it throws, codeLanguage needs none', async () => {
    vi.resetModules();
    const fresh = await import('./parse.js');
    expect(fresh.parsersReady()).toBe(false);
    expect(fresh.codeLanguage('src/a.ts')).toBe('typescript');
    expect(fresh.parseSymbols('notes.md', '# x')).toBeUndefined();
    expect(() => fresh.parseSymbols('src/a.ts', 'export function f() {}')).toThrow(/await ensureParsers\(\)/);
    const first = fresh.ensureParsers();
    expect(fresh.ensureParsers()).toBe(first);
    await first;
    expect(fresh.parsersReady()).toBe(true);
    expect(fresh.parseSymbols('src/a.ts', 'export function f() {}')?.map((s) => s.name)).toEqual(['f']);
  });
});

beforeAll(() => ensureParsers());

const list = (path: string, text: string) => (parseSymbols(path, text) ?? []).map((s) => `${s.kind} ${s.name} ${s.startLine}-${s.endLine}${s.exported ? ' exported' : ''}`);

describe('parseSymbols (tree-sitter)', () => {
  it('TypeScript: functions, classes with methods, types, and nested describe/it blocks', () => {
    const ts = [
      'import x from "y";', // 1
      'export async function load(id: string): Promise<void> {', // 2
      '  return;', // 3
      '}', // 4
      'export class Cart {', // 5
      '  total(): number {', // 6
      '    return 0;', // 7
      '  }', // 8
      '  private add = (n: number) => n;', // 9
      '}', // 10
      'export interface Item { id: string }', // 11
      'export type Id = string;', // 12
      'const helper = (a: number) => a + 1;', // 13
      "describe('cart', () => {", // 14
      "  it('adds', () => {", // 15
      '    expect(1).toBe(1);', // 16
      '  });', // 17
      '});', // 18
    ].join('\n');
    expect(list('a.ts', ts)).toEqual([
      'function load 2-4 exported',
      'class Cart 5-10 exported',
      'method total 6-8',
      'method add 9-9',
      'interface Item 11-11 exported',
      'type Id 12-12 exported',
      'function helper 13-13',
      'test cart 14-18',
      'test adds 15-17',
    ]);
    expect(parseSymbols('a.ts', ts)![0]!.signature).toBe('export async function load(id: string): Promise<void>');
    expect(parseSymbols('a.ts', ts)![2]!.signature).toBe('total(): number');
  });

  it('JavaScript: functions, classes and test calls', () => {
    const js = "export function a() {}\nclass B {\n  m() {\n    return 1;\n  }\n}\ntest('works', async () => {\n  await a();\n});\n";
    expect(list('x.mjs', js)).toEqual(['function a 1-1 exported', 'class B 2-6', 'method m 3-5', 'test works 7-9']);
  });

  it('Python: decorated defs, methods of classes, test functions', () => {
    const py = ['import os', '', '@cache', 'def load(x):', '    return x', '', 'class Report:', '    def rows(self):', '        pass', '', '    def test_rows(self):', '        pass', '', 'def _private():', '    pass'].join('\n');
    expect(list('r.py', py)).toEqual(['function load 3-5 exported', 'class Report 7-12 exported', 'method rows 8-9', 'test test_rows 11-12', 'function _private 14-15']);
    expect(parseSymbols('r.py', py)![0]!.signature).toBe('def load(x)');
  });

  it('Go: functions, methods, structs, tests', () => {
    const go = 'package geo\n\nfunc Geocode() {}\nfunc helper() {}\nfunc (s *Server) Handle() {\n}\ntype Point struct {\n\tX int\n}\nfunc TestPoint(t *testing.T) {}\n';
    expect(list('g.go', go)).toEqual(['function Geocode 3-3 exported', 'function helper 4-4', 'method Handle 5-6 exported', 'struct Point 7-9 exported', 'test TestPoint 10-10 exported']);
  });

  it('Rust: items, impl methods, #[test] functions in a module', () => {
    const rs = 'pub fn price() {}\nfn private() {}\npub struct Price {}\nimpl Price {\n    pub fn new() -> Self { Price {} }\n}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn prices() {}\n}\n';
    expect(list('l.rs', rs)).toEqual(['function price 1-1 exported', 'function private 2-2', 'struct Price 3-3 exported', 'impl Price 4-6', 'method new 5-5 exported', 'module tests 7-11', 'test prices 9-10']);
  });

  it('has no grammar for other files', () => {
    expect(codeLanguage('README.md')).toBeUndefined();
    expect(parseSymbols('README.md', 'export function nope() {}')).toBeUndefined();
  });
});
