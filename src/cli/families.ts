/** @module `flowhunt families`: hosts that share signatures, largest family first. */

import type { Command } from 'commander';
import { families } from '../hunt/families.js';
import { allFindings } from '../hunt/master.js';
import { declare } from './commands.js';
import { action, addGlobalOptions, context, type GlobalOptions, printJson, withStore } from './common.js';

export function register(program: Command): void {
  addGlobalOptions(declare(program, 'families')).action(
    action(async (opts: GlobalOptions) => {
      const ctx = await context(opts);
      await withStore(ctx, async (store) => {
        const fams = families(await allFindings(store));
        if (ctx.json) return printJson(fams);
        for (const f of fams) {
          process.stdout.write(
            `family ${f.id}: ${f.size} hosts on ${f.days.length} day${f.days.length === 1 ? '' : 's'} (${f.days[0]}${f.days.length > 1 ? ` to ${f.days.at(-1)}` : ''}), profile ${f.profile}, signatures ${f.signatures.join(' ')}\n  ${f.members.slice(0, 20).join(' ')}${f.size > 20 ? ` ... (+${f.size - 20})` : ''}\n`,
          );
        }
      });
    }),
  );
}
