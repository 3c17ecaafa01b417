/** @module `flowhunt days`: the day partitions in the store, and retention. */

import type { Command } from 'commander';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  fmtNum,
  type GlobalOptions,
  parsePositiveInt,
  printJson,
  storeContext,
  withStore,
} from './common.js';

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'days').option('--retain <days>', 'drop day partitions older than this many days'),
  ).action(
    action(async (opts: GlobalOptions & { retain?: string }) => {
      const ctx = await storeContext(opts);
      await withStore(ctx, async (store) => {
        const dropped = opts.retain ? await store.retain(parsePositiveInt(opts.retain, '--retain')) : [];
        const days = await store.days();
        if (ctx.json) return printJson({ days, dropped });
        for (const d of dropped) process.stdout.write(`dropped ${d}\n`);
        for (const d of days) {
          process.stdout.write(
            `${d.day}  ${fmtNum(d.flows).padStart(14)} flows  ${String(d.files).padStart(4)} files  ${fmtNum(d.bytesOnDisk)} bytes\n`,
          );
        }
        if (days.length === 0) process.stdout.write(`no flows stored in ${store.location}\n`);
      });
    }),
  );
}
