/**
 * @module Finds the command in the arguments: global options (`--config`,
 * `--data`, `--store`, `--json`) may come before or after it; `help CMD` is
 * `CMD --help`. Apart from main.ts so it can be tested without running the CLI.
 */

import { entry } from './commands.js';

/** The global options that take a value (see common.ts); `--json` takes none. */
const GLOBAL_WITH_VALUE = new Set(['--config', '--data', '--store']);
const GLOBAL_FLAGS = new Set(['--json']);

/**
 * The command's name and the arguments with global options given before the
 * command moved just after it, where the command's own parser reads them.
 */
export function locateCommand(args: string[]): { name?: string; args: string[] } {
  const before: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = a.split('=')[0]!;
    if (GLOBAL_WITH_VALUE.has(flag)) {
      if (a.includes('=')) before.push(a);
      else {
        before.push(a, ...args.slice(i + 1, i + 2));
        i++;
      }
    } else if (GLOBAL_FLAGS.has(a)) before.push(a);
    else if (a.startsWith('-')) return { args };
    else if (a === 'help') {
      // `flowhunt help CMD` is `flowhunt CMD --help`.
      const name = args[i + 1];
      return name && entry(name) ? { name, args: [name, '--help'] } : { args };
    } else return { name: a, args: [a, ...before, ...args.slice(i + 1)] };
  }
  return { args };
}
