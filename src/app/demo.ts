/**
 * @module `flowhunt serve --demo`: simulated traffic so a new user sees
 * everything work within a minute.
 *
 * 1. Backfill: the last three hours of the `demo` scenario (every anomaly
 *    type, three botnet families with large and small-scale members) go
 *    straight into the store, those windows are detected and the signatures
 *    learned from them are hunted — so reports, signatures and findings are
 *    there at once, and live detection continues from the stored state.
 * 2. Live: the scenario keeps playing in real time, sent as IPFIX over UDP
 *    to the collector's own port, through the same path a router's exports
 *    take (so flows/s and exporter metrics fill in too).
 */

import { type DetectOptions, detectRange } from '../detect/index.js';
import type { Report } from '../detect/report.js';
import type { HuntOptions } from '../hunt/hunt.js';
import { learnAndHunt } from '../hunt/run.js';
import { liveBatches } from '../simulate/live.js';
import { UdpSender } from '../simulate/output/udp.js';
import { createSimulation } from '../simulate/simulation.js';
import type { FlowStore } from '../store/types.js';

export interface DemoOptions {
  store: FlowStore;
  /** The collector's NetFlow/IPFIX port on this host; without one, live flows go straight to the store. */
  netflowPort?: number;
  detect: DetectOptions;
  hunt: HuntOptions;
  minShare: number;
  backfillHours?: number;
  log: (line: string) => void;
}

export interface Demo {
  stop(): Promise<void>;
}

export async function startDemo(o: DemoOptions): Promise<Demo> {
  const win = o.detect.thresholds.windowMinutes * 60_000;
  const hours = o.backfillHours ?? 3;
  const now = Date.now();
  const end = Math.floor(now / win) * win;
  const from = end - hours * 3_600_000;
  const last = await o.store.lastPartition('detect-state');
  if (!last) {
    o.log(
      `demo: backfilling ${hours} h of simulated traffic (${new Date(from).toISOString()} – ${new Date(end).toISOString()})`,
    );
    const past = createSimulation({ scenario: 'demo', seed: 1, from, hours });
    for (const b of past.batches()) if (b.length) await o.store.append(b);
    await o.store.flush();
    const results = await detectRange(o.store, from, end, o.detect);
    const reports: Report[] = results.flatMap((r) => r.reports);
    const { catalog, findings } = await learnAndHunt(o.store, reports, from, end, {
      minShare: o.minShare,
      hunt: o.hunt,
    });
    o.log(
      `demo: ${past.totals.flows} flows, ${reports.length} reports, ${catalog.length} signatures, ${findings.length} hunt findings`,
    );
  } else {
    o.log('demo: the store already has detection results; not backfilling again');
  }

  const abort = new AbortController();
  const live = createSimulation({ scenario: 'demo', seed: 2, from: end, hours: 24 });
  const sender = o.netflowPort
    ? new UdpSender({ host: '127.0.0.1', port: o.netflowPort, format: 'ipfix', rate: 0 })
    : undefined;
  await sender?.open();
  o.log(
    `demo: live simulated traffic ${sender ? `as IPFIX to 127.0.0.1:${o.netflowPort}` : 'into the store'}`,
  );
  const running = (async () => {
    for await (const b of liveBatches(live, { signal: abort.signal })) {
      if (sender) {
        await sender.send(b);
        await sender.flush();
      } else {
        await o.store.append(b);
      }
    }
  })().catch((e: Error) => o.log(`demo: live feed stopped: ${e.message}`));
  return {
    stop: async () => {
      abort.abort();
      await running;
      await sender?.close();
    },
  };
}
