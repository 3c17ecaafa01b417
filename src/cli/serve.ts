/**
 * @module `flowhunt serve`: the long-running job. This file parses the
 * options; what runs for each `--role` is built in `src/app/serve.ts`.
 * SIGTERM or SIGINT stops it cleanly: every datagram already received is
 * decoded and written before it exits.
 */

import type { Command } from 'commander';
import { ROLES, type Role } from '../app/roles.js';
import { startServe } from '../app/serve.js';
import { parseHostPort } from '../collect/collector.js';
import { declare } from './commands.js';
import { action, addGlobalOptions, context, type GlobalOptions, UsageError } from './common.js';

interface ServeOptions extends GlobalOptions {
  netflow?: string;
  sflow?: string;
  http?: string;
  demo?: boolean;
  role?: string;
  workers?: string;
}

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'serve')
      .option(
        '--netflow <host:port>',
        'NetFlow v5/v9 and IPFIX listener ("" to disable; default 0.0.0.0:2055)',
      )
      .option('--sflow <host:port>', 'sFlow v5 listener ("" to disable; default 0.0.0.0:6343)')
      .option(
        '--http <host:port>',
        'HTTP listener for the dashboard, the API and /metrics (default 127.0.0.1:8080)',
      )
      .option('--workers <n>', 'decoding worker threads (default 1)')
      .option(
        '--role <role>',
        `what this process does: ${ROLES.join('|')} (on one store, one detector and one hunter work; more stand by)`,
        'all',
      )
      .option('--demo', 'feed the collector with simulated traffic'),
  ).action(
    action(async (opts: ServeOptions) => {
      const ctx = await context(opts);
      const role = opts.role ?? 'all';
      if (!(ROLES as readonly string[]).includes(role))
        throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const c = ctx.config.collect;
      const netflow = opts.netflow ?? c.netflow;
      const sflow = opts.sflow ?? c.sflow;
      let http: { host: string; port: number };
      try {
        http = parseHostPort(opts.http ?? ctx.config.http, '--http');
        if (netflow) parseHostPort(netflow, '--netflow');
        if (sflow) parseHostPort(sflow, '--sflow');
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const workers = opts.workers ? Number(opts.workers) : c.workers;
      if (!Number.isInteger(workers) || workers < 1 || workers > 64)
        throw new UsageError('--workers must be 1..64');
      const log = (line: string) => void process.stderr.write(`flowhunt: ${line}\n`);
      const serving = await startServe({
        config: ctx.config,
        dataDir: ctx.dataDir,
        storeUrl: ctx.storeUrl,
        role: role as Role,
        netflow,
        sflow,
        http,
        workers,
        demo: opts.demo === true,
        log,
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) return;
          stopping = true;
          log(`${sig}: storing what was received, then stopping`);
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      const flows = await serving.stop();
      log(`stopped; ${flows} flows stored this run`);
    }),
  );
}
