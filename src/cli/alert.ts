/** @module `flowhunt alert test`: send a test alert through the configured channels (email, webhook). */

import type { Command } from 'commander';
import { FlowhuntError } from '../errors.js';
import { declare } from './commands.js';
import { action, addGlobalOptions, context, type GlobalOptions, printJson, UsageError } from './common.js';

export function register(program: Command): void {
  addGlobalOptions(declare(program, 'alert')).action(
    action(async (what: string, opts: GlobalOptions) => {
      if (what !== 'test') throw new UsageError(`alert what? test (not ${JSON.stringify(what)})`);
      const ctx = await context(opts);
      const a = ctx.config.alert;
      if (!a.email && !a.webhook)
        throw new UsageError(
          'no alert channel is configured (alert.email or alert.webhook in the --config file)',
        );
      const { sendTestAlert } = await import('../alert/test-alert.js');
      const results = await sendTestAlert(a);
      if (ctx.json) printJson(results);
      else
        for (const r of results)
          process.stdout.write(`${r.channel}: ${r.error ? `FAILED (${r.error})` : 'sent'} to ${r.target}\n`);
      const failed = results.filter((r) => r.error);
      if (failed.length)
        throw new FlowhuntError(
          'alert_delivery',
          `the test alert did not go through ${failed.map((r) => r.channel).join(' and ')}`,
        );
    }),
  );
}
