import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord } from '../flow/record.js';
import { openStore } from '../store/open.js';
import { runCli, tempDir } from '../testing/helpers.js';
import { parseStat } from './query.js';

const T0 = Date.parse('2026-11-20T12:00:00Z');

/** Six flows a minute apart: three SSH probes from 10.0.0.1, two DNS answers, one IPv6 web flow. */
async function store(dir: string): Promise<void> {
  const s = await openStore(`duckdb:${dir}`);
  const b = new FlowBatch();
  const flows: [string, number, string, number, number, number, number, number][] = [
    ['10.0.0.1', 40001, '192.168.0.1', 22, 6, 2, 1, 40],
    ['10.0.0.1', 40002, '192.168.0.2', 22, 6, 2, 1, 40],
    ['10.0.0.1', 40003, '192.168.0.3', 22, 6, 2, 1, 40],
    ['8.8.8.8', 53, '10.0.0.2', 33000, 17, 0, 1, 120],
    ['8.8.4.4', 53, '10.0.0.2', 33001, 17, 0, 1, 130],
    ['2001:db8::1', 50000, '2001:db8::2', 443, 6, 0x18, 12, 9000],
  ];
  flows.forEach(([src, sport, dst, dport, proto, flags, packets, bytes], i) => {
    b.push({
      ...emptyRecord(),
      flowStartMilliseconds: T0 + i * 60_000,
      flowEndMilliseconds: T0 + i * 60_000 + 1500,
      sourceIPAddress: src,
      sourceTransportPort: sport,
      destinationIPAddress: dst,
      destinationTransportPort: dport,
      protocolIdentifier: proto,
      tcpControlBits: flags,
      packetDeltaCount: packets,
      octetDeltaCount: bytes,
    });
  });
  await s.append(b);
  await s.close();
}

test('query: a filter error exits 1 with the reason and column, the filter line and a caret line', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['query', '--data', dir, 'proto', 'tcp', 'and', 'dst', 'prot', '22']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'flowhunt: filter: expected "ip", "host", "net", "port" or "as" after "dst", found "prot" at column 19\n' +
      '  proto tcp and dst prot 22\n' +
      '                    ^^^^\n',
  );
  const list = await runCli(['query', '--data', dir, 'port in [22 80']);
  assert.equal(list.code, 1);
  assert.match(
    list.stderr,
    /^flowhunt: filter: missing "\]" .* at column 15\n {2}port in \[22 80\n {16}\^\n$/,
  );
});

test('query: a bad --stat key or order, --top or time exits 1 with one line on stderr', async (t) => {
  const dir = tempDir(t);
  for (const [args, message] of [
    [
      ['--stat', 'srcaddr'],
      /--stat "srcaddr": the key must be one of srcip, dstip, ip, srcport, dstport, port, proto/,
    ],
    [['--stat', 'srcip/pps'], /--stat "srcip\/pps": the order must be one of flows, packets, bytes/],
    [['--stat', 'srcip/flows/x'], /the key must be one of/],
    [['--top', '0', '--stat', 'ip'], /--top must be a positive whole number, not "0"/],
    [['--limit', 'ten'], /--limit must be a positive whole number/],
    [['--from', 'yesterday'], /--from "yesterday" is not an ISO 8601 time/],
    [['--from', '2026-11-21', '--to', '2026-11-20'], /--from 2026-11-21 must be before --to 2026-11-20/],
  ] as const) {
    const r = await runCli(['query', '--data', dir, ...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  }
});

test('query --json: stdout is exactly {total, rows}, flows in time order or StatRows', async (t) => {
  const dir = tempDir(t);
  await store(dir);
  const list = await runCli(['query', '--data', dir, '--json', 'dst port 22 or udp', '--limit', '4']);
  assert.equal(list.code, 0, list.stderr);
  const l = JSON.parse(list.stdout);
  assert.deepEqual(Object.keys(l), ['total', 'rows']);
  assert.deepEqual(l.total, { flows: 5, packets: 5, bytes: 370 });
  assert.deepEqual(
    l.rows.map((r: { sourceIPAddress: string; flowStartMilliseconds: number }) => [
      r.sourceIPAddress,
      r.flowStartMilliseconds - T0,
    ]),
    [
      ['10.0.0.1', 0],
      ['10.0.0.1', 60_000],
      ['10.0.0.1', 120_000],
      ['8.8.8.8', 180_000],
    ],
  );
  assert.equal(l.rows[0].destinationTransportPort, 22);
  assert.equal(l.rows[0].tcpControlBits, 2);

  const stat = await runCli(['query', '--data', dir, '--json', '--stat', 'srcip/bytes', '--top', '2']);
  assert.equal(stat.code, 0, stat.stderr);
  const s = JSON.parse(stat.stdout);
  assert.deepEqual(s.total, { flows: 6, packets: 17, bytes: 9370 });
  assert.deepEqual(s.rows, [
    {
      key: '2001:db8::1',
      flows: 1,
      packets: 12,
      bytes: 9000,
      peers: 1,
      firstSeen: T0 + 300_000,
      lastSeen: T0 + 301_500,
    },
    {
      key: '8.8.4.4',
      flows: 1,
      packets: 1,
      bytes: 130,
      peers: 1,
      firstSeen: T0 + 240_000,
      lastSeen: T0 + 241_500,
    },
  ]);
});

test('query: --from/--to select on the flow end time', async (t) => {
  const dir = tempDir(t);
  await store(dir);
  const r = await runCli([
    'query',
    '--data',
    dir,
    '--json',
    '--from',
    '2026-11-20T12:01:00Z',
    '--to',
    '2026-11-20T12:04:00Z',
  ]);
  assert.equal(r.code, 0, r.stderr);
  // Flows end at 12:00:01.5, 12:01:01.5, ...: the 2nd, 3rd and 4th end inside.
  assert.deepEqual(JSON.parse(r.stdout).total, { flows: 3, packets: 3, bytes: 200 });
});

test('query: text output lists flows like nfdump, then a summary', async (t) => {
  const dir = tempDir(t);
  await store(dir);
  const r = await runCli(['query', '--data', dir, 'inet6 or src port 40001']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(
    lines[0]!,
    /^Date first seen +Duration Proto +Src IP Addr:Port +Dst IP Addr:Port +Flags +Packets +Bytes$/,
  );
  assert.match(
    lines[1]!,
    /^2026-11-20 12:00:00\.000 00:00:01\.500 TCP +10\.0\.0\.1:40001 -> +192\.168\.0\.1:22 +\.{6}S\. +1 +40$/,
  );
  assert.match(
    lines[2]!,
    /^2026-11-20 12:05:00\.000 00:00:01\.500 TCP +\[2001:db8::1\]:50000 -> +\[2001:db8::2\]:443 +\.{3}AP\.{3} +12 +9\.0 k$/,
  );
  assert.equal(lines[3], 'Summary: total flows: 2, total bytes: 9040, total packets: 13');
});

test('query: text statistics show shares of the total like nfdump -s', async (t) => {
  const dir = tempDir(t);
  await store(dir);
  const r = await runCli(['query', '--data', dir, '--stat', 'proto', 'any']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'Top 10 Protocol ordered by flows:');
  assert.match(
    lines[2]!,
    /^2026-11-20 12:00:00\.000 00:05:01\.500 +TCP +4\(66\.7\) +15\(88\.2\) +9\.1 k\(97\.3\) +2$/,
  );
  assert.match(
    lines[3]!,
    /^2026-11-20 12:03:00\.000 00:01:01\.500 +UDP +2\(33\.3\) +2\(11\.8\) +250\( 2\.7\) +2$/,
  );
  assert.equal(lines.at(-1), 'Summary: total flows: 6, total bytes: 9370, total packets: 17');
});

test('query: an empty store answers with zero totals and no rows', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['query', '--data', dir, '--json', '--stat', 'dstport']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { total: { flows: 0, packets: 0, bytes: 0 }, rows: [] });
});

test('query: parseStat defaults the order to flows', () => {
  assert.deepEqual(parseStat('dstport'), { key: 'dstport', order: 'flows' });
  assert.deepEqual(parseStat('SRCIP/Bytes'), { key: 'srcip', order: 'bytes' });
});
