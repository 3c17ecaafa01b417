/** @module The `flowhunt` command line: one file per command, registered here. */

import { Command, CommanderError } from 'commander';
import { register as registerDays } from './days.js';
import { register as registerDetect } from './detect.js';
import { register as registerServe } from './serve.js';

const program = new Command('flowhunt')
  .description('Find botnets in NetFlow/IPFIX/sFlow data')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const register of [registerServe, registerDetect, registerDays]) register(program);

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
