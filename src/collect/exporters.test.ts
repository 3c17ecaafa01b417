/**
 * @module Exporter floods against a real `flowhunt serve` on loopback (issue
 * #12, finding 5): a hostile address with 600 source ids, 5,000 other source
 * addresses (127.1.x.y: Linux routes all of 127/8 to lo) and a junk template
 * leave a legitimate exporter's stored totals exact, its sampling applied and
 * its metrics series in place.
 */

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { set, V9_FLOW, v9Flows, v9Packet, v9SamplingOptions, v9Templates } from '../testing/datagrams.js';
import { tempDir } from '../testing/helpers.js';
import { startServe } from '../testing/serve.js';

const T = Math.floor(Date.now() / 1000);

/** Sends datagrams from a socket bound to `source`, one after the other. */
async function sendFrom(port: number, source: string, packets: readonly Uint8Array[]): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(0, source, () => res());
  });
  try {
    for (let i = 0; i < packets.length; i++) {
      await new Promise<void>((res, rej) =>
        s.send(packets[i]!, port, '127.0.0.1', (e) => (e ? rej(e) : res())),
      );
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    s.close();
  }
}

async function metricsOf(http: string): Promise<string> {
  const r = await fetch(`${http}/metrics`);
  assert.equal(r.status, 200);
  return r.text();
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('floods from a hostile address, 5,000 other addresses and a junk template leave the real exporter exact', async (t) => {
  const dir = tempDir(t);
  const serve = await startServe(['--data', join(dir, 'fh')]);
  const SUM = (2000 * 2001) / 2;
  let text = '';
  try {
    const port = serve.netflowPort;
    // The real exporter (127.0.0.1): sampling 1 in 100 by options data, its template, and one data set
    // before its template (an error series that must stay).
    const [options, optData] = v9SamplingOptions(100);
    await sendFrom(port, '127.0.0.1', [
      v9Packet({ sysUptime: 1000, unixSecs: T, seq: 0 }, [set(999, new Uint8Array(8))]),
      v9Packet({ sysUptime: 1000, unixSecs: T, seq: 1 }, [options, optData, v9Templates([256, V9_FLOW])]),
    ]);
    // Junk (127.0.0.3): 1,140 datagrams of 1-byte records, 45 each.
    const junkTpl = v9Templates([400, [[4, 1]]]);
    await sendFrom(
      port,
      '127.0.0.3',
      Array.from({ length: 1140 }, (_, p) =>
        v9Packet({ sysUptime: 1, unixSecs: T, seq: p }, [junkTpl, set(400, new Uint8Array(45))]),
      ),
    );
    // Hostile (127.0.0.2): 600 source ids, each with templates and data whose template never comes.
    await sendFrom(
      port,
      '127.0.0.2',
      Array.from({ length: 600 }, (_, id) =>
        v9Packet({ sysUptime: 1, unixSecs: T, sourceId: id }, [
          v9Templates([256, V9_FLOW], [257, V9_FLOW]),
          set(300 + (id % 50), new Uint8Array(64)),
        ]),
      ),
    );
    // 5,000 other addresses, one template datagram each, 50 senders at a time.
    const tpl = v9Packet({ sysUptime: 1, unixSecs: T }, [v9Templates([256, V9_FLOW])]);
    for (let k = 0; k < 5000; k += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => sendFrom(port, `127.1.${(k + j) >> 8}.${(k + j) & 255}`, [tpl])),
      );
    }
    // Then the real exporter's 2,000 flows, data only.
    await sendFrom(
      port,
      '127.0.0.1',
      Array.from({ length: 100 }, (_, p) =>
        v9Packet({ sysUptime: 1000, unixSecs: T, seq: 2 + p }, [v9Flows(20, p * 20)]),
      ),
    );
    // Bounded wait until the real exporter's records are decoded.
    for (let i = 0; i < 100; i++) {
      text = await metricsOf(serve.http);
      if (sample(text, 'flowhunt_exporter_records_total{exporter="127.0.0.1"}') === 2000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
  const series = (s: string) => sample(text, s);
  assert.equal(series('flowhunt_exporter_records_total{exporter="127.0.0.1"}'), 2000);
  assert.equal(
    series('flowhunt_exporter_decode_errors_total{exporter="127.0.0.1",code="missing-template"}'),
    1,
  );
  assert.equal(series('flowhunt_exporter_packets_total{exporter="127.0.0.1"}'), 102);
  assert.equal(series('flowhunt_exporter_templates{exporter="127.0.0.1"}'), 2);
  assert.equal(series('flowhunt_exporter_templates{exporter="127.0.0.2"}'), 128);
  assert.equal(
    series('flowhunt_exporter_dropped_records_total{exporter="127.0.0.3",reason="not-flows"}'),
    1140 * 45,
  );
  assert.equal(series('flowhunt_exporter_records_total{exporter="127.0.0.3"}'), 0);
  // 4,096 addresses have their own series; the 907 that came last are counted together.
  assert.equal(series('flowhunt_exporter_packets_total{exporter="other"}'), 907);
  assert.equal(text.match(/^flowhunt_exporter_packets_total\{/gm)?.length, 4097);

  const store = await DuckFlowStore.open(join(dir, 'fh'));
  try {
    assert.deepEqual(await store.totals({}), { flows: 2000, packets: 100 * SUM, bytes: 100 * 100 * SUM });
  } finally {
    await store.close();
  }
});
