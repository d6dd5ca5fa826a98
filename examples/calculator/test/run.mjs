// A deliberately tiny test runner: it prints one stable line per check (no timings, no absolute
// paths), so the demo's failure notes are the same on every machine and Node version.
import { readdir } from 'node:fs/promises';

const checks = [];
globalThis.check = (name, fn) => checks.push({ name, fn });

const dir = new URL('.', import.meta.url);
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.test.mjs')).sort()) {
  await import(new URL(file, dir));
}

let failed = 0;
for (const { name, fn } of checks) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
