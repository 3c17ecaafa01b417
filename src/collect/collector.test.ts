import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { requireTool, runCli, tempDir } from '../testing/helpers.js';
import { encodeNetflowV5, nfdumpInfo, sendUdp, startNfcapd } from '../testing/nfcapd.js';
import { ipFrame, type PcapPacket, writePcap } from '../testing/pcap.js';
import { startServe } from '../testing/serve.js';
import { Collector } from './collector.js';

const execFileP = promisify(execFile);
// Yesterday 10:00 UTC: live collection drops flows older than ingest.liveMaxAgeDays before the clock.
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 14 * 3_600_000;

function flows(n: number): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      ...emptyRecord(),
      flowStartMilliseconds: T0 + i * 7,
      flowEndMilliseconds: T0 + i * 7 + (i % 900),
      sourceIPAddress: `10.${i % 3}.${(i >> 8) & 255}.${i & 255}`,
      destinationIPAddress: `192.0.2.${i % 250}`,
      sourceTransportPort: 1024 + (i % 60000),
      destinationTransportPort: [22, 80, 443, 53, 2375][i % 5]!,
      protocolIdentifier: i % 5 === 3 ? 17 : 6,
      tcpControlBits: i % 5 === 3 ? 0 : 0x1b,
      packetDeltaCount: 1 + (i % 17),
      octetDeltaCount: 40 + ((i * 37) % 5000),
    });
  }
  return out;
}

async function storedTotals(dir: string) {
  const s = await DuckFlowStore.open(dir);
  try {
    return await s.totals({});
  } finally {
    await s.close();
  }
}

test('the same export stream sent to flowhunt serve and to nfcapd gives equal flow, packet and byte totals', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const dir = tempDir(t);
  const packets = encodeNetflowV5(flows(20_000));
  const serve = await startServe(['--data', join(dir, 'fh')]);
  const nf = await startNfcapd(dir);
  try {
    await Promise.all([sendUdp(serve.netflowPort, packets), sendUdp(nf.port, packets)]);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
  const info = await nfdumpInfo(await nf.stop());
  const got = await storedTotals(join(dir, 'fh'));
  assert.equal(info['Flows'], 20_000, 'nfcapd (the reference) stored every flow sent');
  assert.deepEqual(got, { flows: info['Flows'], packets: info['Packets'], bytes: info['Bytes'] });
});

/** A pcap of TCP and UDP conversations over IPv4 and IPv6, for softflowd to turn into flows. */
function trafficPcap(path: string): void {
  const pk: PcapPacket[] = [];
  for (let c = 0; c < 300; c++) {
    const v6 = c % 5 === 0;
    const src = v6 ? `2001:db8::${(c + 1).toString(16)}` : `10.1.${c >> 8}.${c & 255}`;
    const dst = v6 ? '2001:db8:1::1' : '192.0.2.10';
    const n = 1 + (c % 7);
    for (let i = 0; i < n; i++) {
      pk.push({
        ms: T0 + c * 37 + i * 3,
        frame: ipFrame({
          src,
          dst,
          sport: 30000 + c,
          dport: c % 3 ? 443 : 53,
          proto: c % 3 ? 6 : 17,
          flags: i === 0 ? 0x02 : i === n - 1 ? 0x11 : 0x18,
          payload: Buffer.alloc(i * 10),
        }),
      });
    }
  }
  pk.sort((a, b) => a.ms - b.ms);
  writePcap(path, pk);
}

for (const version of ['9', '10']) {
  test(`a real exporter (softflowd -v ${version}) is received and stored with the totals softflowd reports`, async (t) => {
    if (!requireTool(t, 'softflowd')) return;
    const dir = tempDir(t);
    trafficPcap(join(dir, 'traffic.pcap'));
    // Replaying a file, softflowd -v 10 stamps IPFIX times weeks ahead of the clock (its own start plus
    // uptime offsets): accept them here, the test is about totals (flows ahead are rejected by default).
    const cfg = join(dir, 'flowhunt.yaml');
    (await import('node:fs')).writeFileSync(cfg, 'ingest:\n  maxAheadHours: 8760\n');
    const serve = await startServe(['--data', join(dir, 'fh'), '--config', cfg]);
    let report = '';
    try {
      // softflowd reads the file, exports every flow and prints its totals. (With a custom -c control
      // socket path, softflowd 1.1.0 waits forever after the file instead of exiting: leave -c out.)
      const r = await execFileP(
        'softflowd',
        [
          '-r',
          join(dir, 'traffic.pcap'),
          '-n',
          `127.0.0.1:${serve.netflowPort}`,
          '-v',
          version,
          '-D',
          '-6',
          '-p',
          join(dir, 'sfd.pid'),
        ],
        { timeout: 30_000 },
      );
      report = r.stdout + r.stderr;
      await new Promise((r) => setTimeout(r, 500));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr());
    }
    const exported = Number(/Flows exported: (\d+)/.exec(report)?.[1]);
    let packets = 0;
    let octets = 0;
    for (const m of report.matchAll(/^\s+\w+ \(\d+\):\s+(\d+)\s+(\d+)/gm)) {
      octets += Number(m[1]);
      packets += Number(m[2]);
    }
    assert.equal(exported, 300, report);
    assert.deepEqual(await storedTotals(join(dir, 'fh')), { flows: exported, packets, bytes: octets });
  });
}

test('SIGTERM stores every datagram already received; /metrics counts packets, records and lost exports', async (t) => {
  const dir = tempDir(t);
  const recs = flows(3000);
  const packets = encodeNetflowV5(recs);
  // Leave out one datagram: the v5 sequence numbers show the 30 flows it carried as lost upstream.
  const sent = packets.filter((_, i) => i !== 10);
  const serve = await startServe(['--data', dir]);
  let metrics = '';
  try {
    await sendUdp(serve.netflowPort, sent);
    await new Promise((r) => setTimeout(r, 400));
    metrics = await (await fetch(`${serve.http}/metrics`)).text();
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
  const metric = (name: string) =>
    Number(new RegExp(`^${name}\\{exporter="127.0.0.1"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
  assert.equal(metric('flowhunt_exporter_packets_total'), sent.length);
  assert.equal(metric('flowhunt_exporter_records_total'), recs.length - 30);
  assert.equal(metric('flowhunt_exporter_sequence_gaps_total'), 30);
  assert.match(metrics, /^flowhunt_udp_kernel_drops_total\{listener="netflow",port="\d+"\} \d+$/m);
  assert.equal((await storedTotals(dir)).flows, recs.length - 30);
});

test('flows are queryable by another process while serve runs, within the flush interval', async (t) => {
  const dir = tempDir(t);
  const cfg = join(dir, 'flowhunt.yaml');
  (await import('node:fs')).writeFileSync(cfg, 'collect:\n  flushIntervalSeconds: 1\n');
  const serve = await startServe(['--data', join(dir, 'data'), '--config', cfg]);
  try {
    await sendUdp(serve.netflowPort, encodeNetflowV5(flows(600)));
    let seen = 0;
    const start = Date.now();
    while (Date.now() - start < 10_000) {
      const r = await runCli(['days', '--json', '--data', join(dir, 'data')]);
      assert.equal(r.code, 0, r.stderr);
      seen = JSON.parse(r.stdout).days.reduce((a: number, d: { flows: number }) => a + d.flows, 0);
      if (seen === 600) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(seen, 600);
    assert.ok(Date.now() - start < 5_000, `visible after ${Date.now() - start} ms`);
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
});

test('exporters outside the allow-list are refused and counted', async (t) => {
  const dir = tempDir(t);
  const cfg = join(dir, 'flowhunt.yaml');
  (await import('node:fs')).writeFileSync(cfg, 'collect:\n  allowExporters: ["127.0.0.2"]\n');
  const serve = await startServe(['--data', join(dir, 'data'), '--config', cfg]);
  let metrics = '';
  try {
    await sendUdp(serve.netflowPort, encodeNetflowV5(flows(90)));
    await new Promise((r) => setTimeout(r, 300));
    metrics = await (await fetch(`${serve.http}/metrics`)).text();
  } finally {
    assert.equal(await serve.stop(), 0);
  }
  assert.match(metrics, /^flowhunt_refused_packets_total 3$/m);
  assert.equal((await storedTotals(join(dir, 'data'))).flows, 0);
});

test('serve refuses bad listener addresses with one line and exit 1', async () => {
  for (const bad of [
    ['--netflow', 'nonsense'],
    ['--http', '1.2.3.4.5:80'],
    ['--netflow', '127.0.0.1:70000'],
  ]) {
    const r = await runCli(['serve', ...bad, '--data', '/nonexistent-flowhunt-test']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('stopping takes the datagrams already waiting in the socket buffer, even when the process was too busy to read them', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  t.after(() => store.close());
  const collector = new Collector(store, {
    netflow: '127.0.0.1:0',
    sflow: '',
    allowExporters: [],
    flushIntervalSeconds: 5,
    workers: 1,
  });
  await collector.start();
  let closed = false;
  t.after(() => (closed ? undefined : collector.close()));
  const port = collector.address('netflow')!.port;
  const packets = encodeNetflowV5(flows(3000));
  // Another process sends while this one is blocked (spawnSync): every datagram waits in the kernel.
  const script = `const s = require('node:dgram').createSocket('udp4');
    const ps = require('node:fs').readFileSync(0, 'utf8').trim().split('\\n');
    let i = 0;
    const next = () => (i < ps.length ? s.send(Buffer.from(ps[i++], 'base64'), ${port}, '127.0.0.1', next) : s.close());
    next();`;
  const r = spawnSync(process.execPath, ['-e', script], {
    input: packets.map((p) => p.toString('base64')).join('\n'),
  });
  assert.equal(r.status, 0, String(r.stderr));
  closed = true;
  await collector.close();
  assert.equal(collector.stats.flowsStored, 3000);
  assert.equal((await store.totals({})).flows, 3000);
});
