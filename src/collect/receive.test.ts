/**
 * @module Tests of receiving on one socket per worker (SO_REUSEPORT): exports
 * spread over the sockets, each exporter's templates and data meet in one
 * worker, the port is not shared with a stranger, and memory stays bounded
 * while the main thread is blocked. Skipped where the runtime has no reusePort.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { type TestContext, test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord } from '../flow/record.js';
import { UdpSender } from '../simulate/output/udp.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { encodeNetflowV5 } from '../testing/nfcapd.js';
import { Collector, type CollectorOptions } from './collector.js';
import { reusePortAvailable } from './reuseport.js';
import { inodesOnPort } from './sockets.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const NO_REUSEPORT =
  'this runtime has no dgram reusePort (Node >= 22.12 on Linux): the collector receives on one socket';

async function collectorOn(t: TestContext, opts: Partial<CollectorOptions>) {
  const store = await DuckFlowStore.open(tempDir(t));
  const collector = new Collector(store, {
    netflow: '127.0.0.1:0',
    sflow: '',
    allowExporters: [],
    flushIntervalSeconds: 5,
    workers: 4,
    ...opts,
  });
  let closed = false;
  t.after(async () => {
    if (!closed) await collector.close();
    await store.close();
  });
  return {
    store,
    collector,
    close: async () => {
      closed = true;
      await collector.close();
    },
  };
}

/** Exporter `e`'s flows: its own observation domain (192.0.2.e+1), bytes unique to the flow. */
function exporterFlows(e: number, n: number): FlowBatch {
  const b = new FlowBatch(n);
  for (let i = 0; i < n; i++)
    b.push({
      ...emptyRecord(),
      flowStartMilliseconds: T0 + i * 10,
      flowEndMilliseconds: T0 + i * 10 + 5,
      sourceIPAddress: `10.${e}.${i >> 8}.${i & 255}`,
      destinationIPAddress: '198.51.100.7',
      sourceTransportPort: 40000 + i,
      destinationTransportPort: 443,
      protocolIdentifier: 6,
      packetDeltaCount: 1 + (i % 9),
      octetDeltaCount: 100 + e * 10_000 + i,
      exporterIPAddress: `192.0.2.${e + 1}`,
    });
  return b;
}

function socketSeries(metrics: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics.matchAll(
    new RegExp(`^${name}\\{listener="netflow",port="\\d+",socket="(\\w+)"\\} (\\d+)$`, 'gm'),
  ))
    out.set(m[1]!, Number(m[2]));
  return out;
}

for (const perWorker of [true, false]) {
  test(`12 exporters on 4 workers (${perWorker ? 'a socket per worker' : 'one main-thread socket'}): every flow stored once, per-socket counts sum to the total`, async (t) => {
    if (perWorker && !(await reusePortAvailable())) return t.skip(NO_REUSEPORT);
    const { store, collector, close } = await collectorOn(t, { socketPerWorker: perWorker });
    await collector.start();
    const port = collector.address('netflow')!.port;
    // Templates only in each exporter's first packet: a data packet decoded by a worker that did
    // not see its exporter's template would be held, never stored.
    const senders = Array.from(
      { length: 12 },
      () =>
        new UdpSender({ host: '127.0.0.1', port, format: 'ipfix', rate: 20_000, templateEvery: 1_000_000 }),
    );
    let want = { flows: 0, packets: 0, bytes: 0 };
    await Promise.all(
      senders.map(async (s, e) => {
        const b = exporterFlows(e, 500);
        const tot = b.totals();
        want = {
          flows: want.flows + tot.flows,
          packets: want.packets + tot.packets,
          bytes: want.bytes + tot.bytes,
        };
        await s.open();
        await s.send(b);
        await s.flush();
        await s.close();
      }),
    );
    const datagrams = senders.reduce((a, s) => a + s.packets, 0);
    await close();
    const metrics = await collector.metrics();
    assert.deepEqual(await store.totals({}), want);
    assert.equal(want.flows, 6000);
    const decoded = collector.stats.decodedByExporter().get('127.0.0.1')!;
    assert.equal(decoded.records, 6000);
    assert.deepEqual(decoded.errors, {});
    assert.equal(collector.stats.received.get('127.0.0.1')?.packets, datagrams);
    const perSocket = socketSeries(metrics, 'flowhunt_socket_datagrams_total');
    assert.deepEqual([...perSocket.keys()], perWorker ? ['0', '1', '2', '3'] : ['main']);
    assert.equal(
      [...perSocket.values()].reduce((a, b) => a + b, 0),
      datagrams,
    );
    const bytes = socketSeries(metrics, 'flowhunt_socket_bytes_total');
    assert.equal(
      [...bytes.values()].reduce((a, b) => a + b, 0),
      senders.reduce((a, s) => a + s.bytes, 0),
    );
    if (perWorker) {
      // 12 source ports hashed over 4 sockets: all on one would be a 1 in 4^11 chance.
      assert.ok([...perSocket.values()].filter((n) => n > 0).length >= 2, metrics);
      assert.equal(socketSeries(metrics, 'flowhunt_socket_kernel_drops_total').size, 4, metrics);
    }
  });
}

test('with a socket per worker, a port another socket already holds is refused, not shared', async (t) => {
  if (!(await reusePortAvailable())) return t.skip(NO_REUSEPORT);
  // A second flowhunt on the same port (same user, reusePort) would otherwise take part of the exports.
  const holder = createSocket({ type: 'udp4', reusePort: true });
  await new Promise<void>((r) => holder.bind(0, '127.0.0.1', r));
  t.after(() => holder.close());
  const port = holder.address().port;
  const { collector } = await collectorOn(t, { netflow: `127.0.0.1:${port}`, workers: 2 });
  await assert.rejects(collector.start(), {
    message: `cannot listen for netflow on 127.0.0.1:${port}: EADDRINUSE (another socket holds the port)`,
  });
});

test('with a socket per worker, a blocked main thread bounds what the workers hold: the excess is dropped and counted', async (t) => {
  if (!(await reusePortAvailable())) return t.skip(NO_REUSEPORT);
  // One worker, room for 10 of the 1,492-byte datagrams (1,464 + 28 bytes of accounting).
  const { store, collector, close } = await collectorOn(t, { workers: 1, maxInFlightBytes: 10 * 1492 });
  await collector.start();
  const port = collector.address('netflow')!.port;
  const recs = exporterFlows(0, 3000).records();
  const packets = encodeNetflowV5(recs);
  assert.equal(packets.length, 100);
  // Another process sends while this thread is blocked (spawnSync): nothing is acknowledged.
  const script = `const s = require('node:dgram').createSocket('udp4');
    const ps = require('node:fs').readFileSync(0, 'utf8').trim().split('\\n');
    let i = 0;
    const next = () => (i < ps.length ? s.send(Buffer.from(ps[i++], 'base64'), ${port}, '127.0.0.1', next) : setTimeout(() => s.close(), 300));
    next();`;
  const r = spawnSync(process.execPath, ['-e', script], {
    input: packets.map((p) => p.toString('base64')).join('\n'),
  });
  assert.equal(r.status, 0, String(r.stderr));
  await close();
  const dropped = collector.stats.queueDropped;
  assert.equal(collector.stats.received.get('127.0.0.1')?.packets, 100);
  // 90 when the worker read all 100 before this thread took any; fewer if it read some later.
  assert.ok(dropped > 0 && dropped <= 90, `dropped ${dropped}`);
  assert.equal(collector.stats.flowsStored, (100 - dropped) * 30);
  assert.equal((await store.totals({})).flows, (100 - dropped) * 30);
});

test('with a socket per worker, port 0 gives the collector a port of its own, not one a reusePort group elsewhere holds', async (t) => {
  if (!(await reusePortAvailable())) return t.skip(NO_REUSEPORT);
  // A reusePort socket bound to port 0 may be handed a port that another process's reusePort
  // sockets hold (the kernel counts them compatible). Hold 8,000 such ports (28% of the ephemeral
  // range here), so that 8 starts without the collector's own choice of port would all miss them
  // with a chance of 0.72^8 = 7%.
  const holders: Socket[] = [];
  for (let i = 0; i < 8000; i++) {
    const s = createSocket({ type: 'udp4', reusePort: true });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    holders.push(s);
  }
  t.after(() => {
    for (const s of holders) s.close();
  });
  const held = new Set(holders.map((s) => s.address().port));
  for (let i = 0; i < 8; i++) {
    const { collector, close } = await collectorOn(t, { workers: 2 });
    await collector.start();
    const port = collector.address('netflow')!.port;
    assert.equal(held.has(port), false, `port ${port} is shared with the holders`);
    assert.equal((await inodesOnPort(port)).size, 2);
    await close();
  }
});
