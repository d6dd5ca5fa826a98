import { describe, expect, it } from 'vitest';
import { enclosingBlock } from './block-finder.js';

const js = `import { describe, it, expect } from 'vitest';
import { add } from '../src/calc.js';

describe('calc', () => {
  it('adds', () => {
    const x = add(1, 2);
    expect(x).toBe(3); // '{' in a comment
  });

  it.each([[1, 2]])('subtracts %i', (a, b) => {
    expect(a - b).toBe(-1);
  });
  test('one line', () => expect(2 * 3).toBe(7));
});
`;

const ts = `export class Calc {
  private total = 0;

  /** Adds. */
  add(
    value: number,
  ): number {
    if (value < 0) {
      throw new Error(\`negative: \${value} }\`);
    }
    this.total += value;
    return this.total;
  }
}
`;

const py = `import pytest


class TestCalc:
    @pytest.mark.parametrize("a", [1, 2])
    def test_adds(self, a):
        total = a + 1

        assert total == a + 2


def helper():
    return 1
`;

const go = `package calc

import "testing"

func TestMultiply(t *testing.T) {
	if got := Multiply(2, 3); got != 7 {
		t.Errorf("got %d, want 7", got)
	}
}
`;

const rust = `pub fn longest<'a>(x: &'a str, y: &'a str) -> &'a str {
    if x.len() > y.len() { x } else { y }
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_fails() {
        assert_eq!(2 + 2, 5);
    }
}
`;

describe('enclosingBlock', () => {
  it('finds a multi-line JavaScript test block, not its suite, and ignores braces in comments', () => {
    expect(enclosingBlock('test/calc.test.js', js, 7)).toEqual({ start: 5, end: 8, kind: 'function' });
    expect(enclosingBlock('test/calc.test.js', js, 5)).toEqual({ start: 5, end: 8, kind: 'function' });
    expect(enclosingBlock('test/calc.test.js', js, 11)).toEqual({ start: 10, end: 12, kind: 'function' });
  });

  it('takes a one-line test call as its block', () => {
    expect(enclosingBlock('test/calc.test.js', js, 13)).toEqual({ start: 13, end: 13, kind: 'function' });
  });

  it('finds a TypeScript method with a signature over several lines, past an if block and a template literal', () => {
    expect(enclosingBlock('src/calc.ts', ts, 9)).toEqual({ start: 5, end: 13, kind: 'function' });
    expect(enclosingBlock('src/calc.ts', ts, 12)).toEqual({ start: 5, end: 13, kind: 'function' });
  });

  it('finds a Python method by indentation, with its decorator and across blank lines', () => {
    expect(enclosingBlock('tests/test_calc.py', py, 9)).toEqual({ start: 5, end: 9, kind: 'function' });
    expect(enclosingBlock('tests/test_calc.py', py, 13)).toEqual({ start: 12, end: 13, kind: 'function' });
  });

  it('finds a Go test function and a Rust test with its attribute (lifetimes are not strings)', () => {
    expect(enclosingBlock('calc/calc_test.go', go, 7)).toEqual({ start: 5, end: 9, kind: 'function' });
    expect(enclosingBlock('src/lib.rs', rust, 9)).toEqual({ start: 7, end: 10, kind: 'function' });
    expect(enclosingBlock('src/lib.rs', rust, 2)).toEqual({ start: 1, end: 3, kind: 'function' });
  });

  it('falls back to the neighbourhood outside any block and for a block over the cap', () => {
    expect(enclosingBlock('test/calc.test.js', js, 2, { neighbourhood: 1 })).toEqual({ start: 1, end: 3, kind: 'neighbourhood' });
    expect(enclosingBlock('src/calc.ts', ts, 9, { maxLines: 5, neighbourhood: 2 })).toEqual({ start: 7, end: 11, kind: 'neighbourhood' });
    expect(enclosingBlock('src/calc.ts', ts, 999, { neighbourhood: 2 })).toEqual({ start: 12, end: 14, kind: 'neighbourhood' });
  });
});
