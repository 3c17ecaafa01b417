/**
 * @module The `flowhunt` command line: finds the command in the arguments,
 * loads only that command's file (the table is `commands.ts`) and runs it.
 * `--help` and `--version` without a command load no command at all.
 * Global options may come before or after the command. A usage mistake is
 * one line on stderr, never the whole help.
 */

// First: V8's collector is tuned before anything allocates (see heap.ts).
import './heap.js';
import { Command, CommanderError } from 'commander';
import { ERRORS } from '../errors.js';
import { locateCommand } from './argv.js';
import { COMMANDS, entry } from './commands.js';
import { addGlobalOptions } from './common.js';
import { endQuietlyOnClosedPipe } from './pipe.js';

const VERSION = '0.1.0';
endQuietlyOnClosedPipe();
const found = locateCommand(process.argv.slice(2));
const program = new Command('flowhunt')
  .description('Find botnets in NetFlow/IPFIX/sFlow data')
  .version(VERSION)
  .exitOverride()
  .configureOutput({
    // Commander's "error: unknown option '--x'" as flowhunt's one line, with where to look.
    outputError: (text, write) => {
      const msg = text
        .trim()
        .replace(/^error: /, '')
        .replace(/\s*\n\s*/g, ' ');
      const cmd = found.name && entry(found.name) ? `${found.name} ` : '';
      write(`flowhunt: ${msg} (see flowhunt ${cmd}--help)\n`);
    },
  });

const chosen = found.name ? entry(found.name) : undefined;
if (chosen) {
  (await chosen.load()).register(program);
} else {
  // The overview: every command's name, arguments and description, from the table alone.
  for (const c of COMMANDS) {
    const cmd = addGlobalOptions(program.command(c.name).description(c.description));
    for (const [spec, help] of c.args ?? []) cmd.argument(spec, help);
  }
}

try {
  await program.parseAsync([...process.argv.slice(0, 2), ...found.args]);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : ERRORS.usage.exit;
  } else {
    process.stderr.write(`flowhunt: ${(e as Error).message}\n`);
    process.exitCode = ERRORS.internal.exit;
  }
}
