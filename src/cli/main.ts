/** @module The `flowhunt` command line: one file per command, registered here. */

import { Command, CommanderError } from 'commander';
import { register as registerDays } from './days.js';
import { register as registerDecode } from './decode.js';
import { register as registerDetect } from './detect.js';
import { register as registerEval } from './eval.js';
import { register as registerHunt } from './hunt.js';
import { register as registerImport } from './import.js';
import { register as registerQuery } from './query.js';
import { register as registerServe } from './serve.js';
import { register as registerSimulate } from './simulate.js';

const program = new Command('flowhunt')
  .description('Find botnets in NetFlow/IPFIX/sFlow data')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

// In the order of the command-line contract (docs/ARCHITECTURE.md).
for (const register of [
  registerServe,
  registerImport,
  registerDecode,
  registerQuery,
  registerDetect,
  registerHunt,
  registerSimulate,
  registerEval,
  registerDays,
])
  register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 1;
  } else {
    process.stderr.write(`flowhunt: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
