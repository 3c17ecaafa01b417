/**
 * @module Runs every benchmark in turn (`npm run bench`); each writes its own
 * `bench/results/<name>.json` with the machine's description.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './machine.js';

const all = [
  'decode',
  'import-query',
  'import-big',
  'detect',
  'groupby',
  'hunt',
  'simulate',
  'ingest',
  'console',
  'cluster',
  'startup',
];
const only = process.argv.slice(2);
for (const name of only.length ? only : all) {
  const file = join(ROOT, 'dist', 'bench', `${name}.js`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: ${name}: not built, skipped\n`);
    continue;
  }
  process.stderr.write(`bench: ${name}\n`);
  execFileSync(process.execPath, [file], { stdio: 'inherit' });
}
