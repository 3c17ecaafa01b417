/**
 * @module `flowhunt serve`: the long-running job. Collects flows over UDP
 * into the store and serves `/metrics` (and, as they land, the API and the
 * dashboard) over HTTP. SIGTERM or SIGINT stops it cleanly: every datagram
 * already received is decoded and written before it exits.
 */

import type { Command } from 'commander';
import Fastify from 'fastify';
import { Alerter } from '../alert/index.js';
import { apiBindRefusal, registerApi, registerOps } from '../api/index.js';
import { Collector, parseHostPort } from '../collect/collector.js';
import { DetectScheduler } from '../detect/scheduler.js';
import { huntOptionsOf } from '../hunt/hunt.js';
import { HuntScheduler } from '../hunt/scheduler.js';
import { instanceId, Lease } from '../store/lease.js';
import { openStore } from '../store/open.js';
import { action, addGlobalOptions, context, type GlobalOptions, openEnricher, UsageError } from './common.js';
import { startDemo } from './demo.js';

interface ServeOptions extends GlobalOptions {
  netflow?: string;
  sflow?: string;
  http?: string;
  demo?: boolean;
  role?: string;
  workers?: string;
}

const ROLES = ['all', 'collector', 'detector', 'hunter', 'api'];

export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('serve')
      .description(
        'collect NetFlow/IPFIX/sFlow over UDP into the store, detect each 5-minute window, hunt each day, and serve the dashboard, API and /metrics over HTTP',
      )
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
      if (!ROLES.includes(opts.role ?? 'all'))
        throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const c = ctx.config.collect;
      const netflow = opts.netflow ?? c.netflow;
      const sflow = opts.sflow ?? c.sflow;
      const httpSpec = opts.http ?? ctx.config.http;
      let http: { host: string; port: number };
      try {
        http = parseHostPort(httpSpec, '--http');
        if (netflow) parseHostPort(netflow, '--netflow');
        if (sflow) parseHostPort(sflow, '--sflow');
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const workers = opts.workers ? Number(opts.workers) : c.workers;
      if (!Number.isInteger(workers) || workers < 1 || workers > 64)
        throw new UsageError('--workers must be 1..64');

      const role = opts.role ?? 'all';
      const has = (r: string) => role === 'all' || role === r;
      // Every role serves /metrics: without a token, only on loopback.
      {
        let refusal: string | undefined;
        try {
          refusal = apiBindRefusal(ctx.config, http.host, http.port);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        if (refusal) throw new UsageError(refusal);
      }
      const enricher = await openEnricher(ctx);
      const log = (line: string) => void process.stderr.write(`flowhunt: ${line}\n`);
      let alerter: Alerter | null = null;
      if (has('detector')) {
        try {
          alerter = await Alerter.open(ctx.config.alert, { dataDir: ctx.dataDir, enricher, log });
        } catch (e) {
          throw new UsageError(`alerts: ${(e as Error).message}`);
        }
      }
      const store = await openStore(ctx.storeUrl);
      const collector = new Collector(store, {
        netflow: has('collector') ? netflow : '',
        sflow: has('collector') ? sflow : '',
        allowExporters: c.allowExporters,
        flushIntervalSeconds: c.flushIntervalSeconds,
        workers,
      });
      const app = Fastify({ logger: false, trustProxy: ctx.config.trustProxy });
      registerOps(app, { config: ctx.config, metrics: () => collector.metrics() });
      try {
        if (has('api')) await registerApi(app, { store, config: ctx.config, collector, enricher });
        await collector.start();
        await app.listen({ host: http.host, port: http.port });
      } catch (e) {
        await collector.close().catch(() => undefined);
        await store.close().catch(() => undefined);
        throw new UsageError((e as Error).message);
      }
      const addr = app.server.address();
      const httpText = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : httpSpec;
      for (const l of collector.listeners)
        process.stderr.write(`flowhunt: listening for ${l.name} on UDP port ${l.port}\n`);
      process.stderr.write(
        `flowhunt: HTTP on http://${httpText} (metrics at /metrics); store ${store.location}\n`,
      );
      log(enricher.describe());

      const detector = has('detector')
        ? new DetectScheduler(store, {
            thresholds: ctx.config.detect,
            interfaceNames: ctx.config.interfaces,
            enrich: (ip) => enricher.enrich(ip),
            graceMs: ctx.config.detectGraceSeconds * 1000,
            maxBacklogWindows: Math.max(
              1,
              Math.round((ctx.config.detectBacklogHours * 60) / ctx.config.detect.windowMinutes),
            ),
            // Alerts of the last window a previous run detected but may have died before alerting.
            onResume: async (reports) => void (await alerter?.handle(reports)),
            onWindow: async (w) => {
              await alerter?.handle(w.reports);
              if (w.reports.length) {
                process.stderr.write(
                  `flowhunt: window ${new Date(w.windowStart).toISOString().slice(0, 16)}Z: ${w.reports.length} anomalies\n`,
                );
              }
            },
            onError: (e) => process.stderr.write(`flowhunt: detection: ${e.message}\n`),
          })
        : null;
      // One detector and one hunter work per store; more of either stand by (a lease in the store).
      const id = await instanceId(ctx.dataDir);
      const lease = (name: string) =>
        new Lease(store, name, id, {
          ttlMs: ctx.config.leaseSeconds * 1000,
          onChange: (held, cur) =>
            log(
              held
                ? `this process is the ${name}`
                : `another ${name} (${cur?.host} pid ${cur?.pid}) holds the ${name} lease until ${new Date(cur?.until ?? 0).toISOString()}: standing by`,
            ),
        });
      detector?.withLease(lease('detector'));
      const h = ctx.config.hunt;
      const hunter = has('hunter')
        ? new HuntScheduler(store, {
            hunt: huntOptionsOf(h),
            minShare: h.minShare,
            learnDays: h.learnDays,
            graceMs: h.graceMinutes * 60_000,
            windowMs: ctx.config.detect.windowMinutes * 60_000,
            onDay: (day, f) => void process.stderr.write(`flowhunt: hunted ${day}: ${f.length} findings\n`),
            onError: (e) => process.stderr.write(`flowhunt: hunt: ${e.message}\n`),
          }).withLease(lease('hunter'))
        : null;

      const demo = opts.demo
        ? await startDemo({
            store,
            ...(collector.address('netflow') ? { netflowPort: collector.address('netflow')!.port } : {}),
            detect: {
              thresholds: ctx.config.detect,
              interfaceNames: ctx.config.interfaces,
              enrich: (ip) => enricher.enrich(ip),
            },
            hunt: huntOptionsOf(h),
            minShare: h.minShare,
            log,
          })
        : null;

      // After the demo's backfill, so live detection continues from the backfilled windows.
      alerter?.start();
      detector?.start();
      hunter?.start();

      let retention: NodeJS.Timeout | null = null;
      if (ctx.config.retentionDays > 0) {
        const run = () =>
          void store
            .retain(ctx.config.retentionDays)
            .catch((e: Error) => process.stderr.write(`flowhunt: retention: ${e.message}\n`));
        run();
        retention = setInterval(run, 3600_000);
      }

      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) return;
          stopping = true;
          process.stderr.write(`flowhunt: ${sig}: storing what was received, then stopping\n`);
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      if (retention) clearInterval(retention);
      await demo?.stop();
      await detector?.stop();
      await alerter?.stop();
      await hunter?.stop();
      await app.close();
      await collector.close();
      await store.close();
      const flows = collector.stats.flowsStored;
      process.stderr.write(`flowhunt: stopped; ${flows} flows stored this run\n`);
    }),
  );
}
