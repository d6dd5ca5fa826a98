import { beforeAll, describe, expect, it } from 'vitest';
import { ensureParsers } from './code/parse.js';
import { extractSymbols } from './symbols.js';

// parsing is synchronous once the grammars are loaded (the async entry points load them)
beforeAll(() => ensureParsers());

const names = (path: string, text: string) => extractSymbols(path, text).map((s) => `${s.kind} ${s.name}@${s.line}`);

describe('extractSymbols', () => {
  it('finds exported TS/JS declarations only', () => {
    const ts = [
      'import x from "y";',
      'export function a() {}',
      'export async function b(): Promise<void> {',
      '  const notTopLevel = 1;',
      '}',
      'export default class C {}',
      'export const d = 1, e = 2;',
      'export interface F {}',
      'export type G = string;',
      'export enum H { A }',
      'function hidden() {}',
      'export declare const i: number;',
      'export function* gen() {}',
    ].join('\n');
    expect(names('a.ts', ts)).toEqual(['function a@2', 'function b@3', 'class C@6', 'const d@7', 'const e@7', 'interface F@8', 'type G@9', 'enum H@10', 'const i@12', 'function gen@13']);
    expect(extractSymbols('a.ts', ts)[1]!.signature).toBe('export async function b(): Promise<void>');
  });

  it('finds top-level Python defs and classes, exported Go funcs and types, pub Rust items', () => {
    expect(names('r.py', 'import os\n\ndef load(x):\n    def inner():\n        pass\nclass Report:\n    def rows(self):\n        pass\nasync def main():\n    pass\n')).toEqual(['function load@3', 'class Report@6', 'function main@9']);
    expect(names('g.go', 'package geo\n\nfunc Geocode() {}\nfunc helper() {}\nfunc (s *Server) Handle() {}\ntype Point struct{}\ntype inner int\n')).toEqual(['function Geocode@3', 'method Handle@5', 'struct Point@6']);
    expect(names('l.rs', 'pub mod rounding;\npub fn price() {}\nfn private() {}\npub(crate) struct Price {}\n    pub enum Kind {}\npub trait Priced {}\n')).toEqual(['module rounding@1', 'function price@2', 'struct Price@4', 'enum Kind@5', 'trait Priced@6']);
    expect(names('README.md', 'export function nope() {}')).toEqual([]);
  });
});
