/**
 * @module The composition root of `flowhunt serve`: what the process starts
 * for each `--role`, in one place. `all` runs everything; `collector` the UDP
 * listeners; `detector` the 5-minute detection and its alerts; `hunter` the
 * daily hunt; `api` the HTTP API and the dashboard. Every role serves
 * `/metrics` and `/health`, opens the store and takes part in retention. On
 * one store one detector and one hunter work; more of either stand by (a
 * lease in the store). The command line only parses options and calls
 * {@link startServe}.
 */

import Fastify from 'fastify';
import { Alerter } from '../alert/index.js';
import { alertWindow, Suppressor } from '../alert/suppress.js';
import { apiBindRefusal, registerApi, registerOps } from '../api/index.js';
import { Collector } from '../collect/collector.js';
import { SnapshotWriter } from '../collect/snapshot.js';
import type { Config } from '../config.js';
import type { DetectOptions } from '../detect/index.js';
import { DetectScheduler } from '../detect/scheduler.js';
import { Enricher } from '../enrich/index.js';
import { FlowhuntError } from '../errors.js';
import { huntOptionsOf } from '../hunt/hunt.js';
import { HuntScheduler } from '../hunt/scheduler.js';
import { GuardedStore } from '../store/guard.js';
import { instanceId, Lease } from '../store/lease.js';
import { openStore } from '../store/open.js';
import { startDemo } from './demo.js';
import type { Role } from './roles.js';

export interface ServeSettings {
  config: Config;
  dataDir: string;
  storeUrl: string;
  role: Role;
  /** `host:port` of the NetFlow/IPFIX and sFlow listeners, `''` for none (already checked). */
  netflow: string;
  sflow: string;
  http: { host: string; port: number };
  workers: number;
  demo: boolean;
  /** One line for the operator (stderr). */
  log: (line: string) => void;
}

/** A start-up or shutdown failure the operator can act on: one line, no stack. */
export class ServeError extends FlowhuntError {
  override name = 'ServeError';

  constructor(message: string) {
    super('serve_failed', message);
  }
}

export interface Serving {
  /** `http://host:port` as bound. */
  httpUrl: string;
  /** Stores what was received, stops everything; resolves to the flows stored this run. */
  stop(): Promise<number>;
}

/** Refuses an HTTP bind the config does not allow (no token, not loopback) before anything starts. */
export function checkHttpBind(config: Config, host: string, port: number): void {
  let refusal: string | undefined;
  try {
    refusal = apiBindRefusal(config, host, port);
  } catch (e) {
    throw new ServeError((e as Error).message);
  }
  if (refusal) throw new ServeError(refusal);
}

export async function startServe(s: ServeSettings): Promise<Serving> {
  const { config, log } = s;
  const has = (r: Role) => s.role === 'all' || s.role === r;
  // Every role serves /metrics: without a token, only on loopback.
  checkHttpBind(config, s.http.host, s.http.port);
  let enricher: Enricher;
  try {
    enricher = await Enricher.open(config.enrich);
  } catch (e) {
    throw new ServeError((e as Error).message);
  }
  // Written before anything listens: a data directory that cannot take it fails the start, not a running process.
  const id = await instanceId(s.dataDir);
  let alerter: Alerter | null = null;
  if (has('detector')) {
    try {
      alerter = await Alerter.open(config.alert, { dataDir: s.dataDir, enricher, log });
    } catch (e) {
      throw new ServeError(`alerts: ${(e as Error).message}`);
    }
  }
  const ingest = config.ingest;
  const store = await openStore(s.storeUrl, {
    maxPendingRows: ingest.maxStagedFlows,
    maxPendingDays: ingest.maxDaysPerFlush,
    ...(config.storeMemoryLimit ? { memoryLimit: config.storeMemoryLimit } : {}),
  });
  // The collector's flows go through the gate: plausible times, bounded stage, health.
  const guarded = new GuardedStore(store, ingest, undefined, {
    windowMs: config.detect.windowMinutes * 60_000,
    graceMs: config.detectGraceSeconds * 1000,
  });
  const c = config.collect;
  const collector = new Collector(guarded, {
    netflow: has('collector') ? s.netflow : '',
    sflow: has('collector') ? s.sflow : '',
    allowExporters: c.allowExporters,
    flushIntervalSeconds: c.flushIntervalSeconds,
    workers: s.workers,
    socketPerWorker: c.socketPerWorker,
  });
  const app = Fastify({ logger: false, trustProxy: config.trustProxy });
  registerOps(app, {
    config,
    metrics: async () => (await collector.metrics()) + guarded.metrics(),
    health: () => guarded.health(),
  });
  try {
    if (has('api')) await registerApi(app, { store, config, collector, enricher });
    await collector.start();
    await app.listen({ host: s.http.host, port: s.http.port });
  } catch (e) {
    await collector.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw new ServeError((e as Error).message);
  }
  const addr = app.server.address();
  const httpText =
    typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : `${s.http.host}:${s.http.port}`;
  const per = collector.socketsPerPort;
  const how = per > 1 ? ` (${per} sockets, one per worker)` : '';
  for (const l of collector.listeners) log(`listening for ${l.name} on UDP port ${l.port}${how}`);
  log(`HTTP on http://${httpText} (metrics at /metrics); store ${store.location}`);
  log(enricher.describe());

  // One set of detection options for the live detector and the demo's backfill.
  const detect: DetectOptions = {
    thresholds: config.detect,
    interfaceNames: config.interfaces,
    enrich: (ip) => enricher.enrich(ip),
  };
  // Suppression rules first (a suppressed report is stored, never alerted), then the alerter.
  const alerting = alertWindow(
    new Suppressor(
      store,
      (ip) => enricher.directory?.lookup(ip)?.name,
      Date.now,
      (m) => log(m),
    ),
    alerter,
  );
  const detector = has('detector')
    ? new DetectScheduler(store, {
        ...detect,
        graceMs: config.detectGraceSeconds * 1000,
        maxBacklogWindows: Math.max(
          1,
          Math.round((config.detectBacklogHours * 60) / config.detect.windowMinutes),
        ),
        // Alerts of the last window a previous run detected but may have died before alerting.
        onResume: async (reports) => void (await alerting(reports)),
        onWindow: async (w) => {
          await alerting(w.reports);
          if (w.reports.length)
            log(
              `window ${new Date(w.windowStart).toISOString().slice(0, 16)}Z: ${w.reports.length} anomalies`,
            );
        },
        onError: (e) => log(`detection: ${e.message}`),
      })
    : null;
  // One detector and one hunter work per store; more of either stand by (a lease in the store).
  const lease = (name: string) =>
    new Lease(store, name, id, {
      ttlMs: config.leaseSeconds * 1000,
      onChange: (held, cur) =>
        log(
          held
            ? `this process is the ${name}`
            : `another ${name} (${cur?.host} pid ${cur?.pid}) holds the ${name} lease until ${new Date(cur?.until ?? 0).toISOString()}: standing by`,
        ),
    });
  detector?.withLease(lease('detector'));
  const h = config.hunt;
  const hunter = has('hunter')
    ? new HuntScheduler(store, {
        hunt: huntOptionsOf(h),
        minShare: h.minShare,
        learnDays: h.learnDays,
        graceMs: h.graceMinutes * 60_000,
        windowMs: config.detect.windowMinutes * 60_000,
        onDay: (day, f) => log(`hunted ${day}: ${f.length} findings`),
        onError: (e) => log(`hunt: ${e.message}`),
      }).withLease(lease('hunter'))
    : null;

  const netflowPort = collector.address('netflow')?.port;
  const demo = s.demo
    ? await startDemo({
        store,
        ...(netflowPort ? { netflowPort } : {}),
        detect,
        hunt: huntOptionsOf(h),
        minShare: h.minShare,
        log,
      })
    : null;

  // After the demo's backfill, so live detection continues from the backfilled windows.
  alerter?.start();
  detector?.start();
  hunter?.start();
  // The per-exporter counters in the store, for the exporters page of any API process.
  const snapshots = has('collector')
    ? new SnapshotWriter(store, collector.stats, id, (e) => log(`exporter counters: ${e.message}`))
    : null;
  snapshots?.start();

  let retention: NodeJS.Timeout | null = null;
  if (config.retentionDays > 0) {
    const run = () =>
      void store.retain(config.retentionDays).catch((e: Error) => log(`retention: ${e.message}`));
    run();
    retention = setInterval(run, 3600_000);
  }

  return {
    httpUrl: `http://${httpText}`,
    stop: async () => {
      if (retention) clearInterval(retention);
      await demo?.stop();
      await detector?.stop();
      await alerter?.stop();
      await hunter?.stop();
      await app.close();
      await collector.close();
      await snapshots?.stop();
      const left = store.writeState?.()?.stagedRows ?? 0;
      try {
        await store.close();
      } catch (e) {
        // A full disk at the last flush: say what is lost, in one line.
        throw new ServeError(
          `stopped, but ${left} received flows could not be written: ${(e as Error).message.split('\n')[0]}`,
        );
      }
      return collector.stats.flowsStored;
    },
  };
}
