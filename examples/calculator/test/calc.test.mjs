import * as calc from '../src/calc.js';

const equal = (actual, expected) => {
  if (actual !== expected) throw new Error(`expected ${expected}, got ${actual}`);
};

check('add adds', () => equal(calc.add(2, 3), 5));
check('subtract subtracts', () => equal(calc.subtract(7, 4), 3));
check('multiply multiplies', () => {
  if (typeof calc.multiply !== 'function') throw new Error('calc.multiply is not a function');
  equal(calc.multiply(6, 7), 42);
  equal(calc.multiply(-2, 3), -6);
});
