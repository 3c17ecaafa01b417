import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { readAll } from '../testing/import.js';
import { detectFormat } from './format.js';
import { importFiles } from './index.js';
import { parseTimeZone } from './times.js';
import { historyFlags, ZEEK_CONN_STATES, zeekFormat } from './zeek.js';

function flow(p: Partial<FlowRecord>): FlowRecord {
  return { ...emptyRecord(), ...p };
}

/** Both directions of a connection: the originator's record, then the responder's. */
function both(
  common: Partial<FlowRecord>,
  orig: Partial<FlowRecord>,
  resp: Partial<FlowRecord>,
): FlowRecord[] {
  const o = flow({ ...common, ...orig });
  const r = flow({
    ...common,
    sourceIPAddress: o.destinationIPAddress,
    destinationIPAddress: o.sourceIPAddress,
    sourceTransportPort: o.destinationTransportPort,
    destinationTransportPort: o.sourceTransportPort,
    ...resp,
  });
  return [o, r];
}

const A = '198.51.100.23';

/** The first connection of both fixtures (SF, ShADadFf): six packets out, four back. */
const SF_HTTP = both(
  {
    flowStartMilliseconds: 1300475167096,
    flowEndMilliseconds: 1300475167350,
    protocolIdentifier: 6,
    tcpControlBits: 0x13, // S, A, D, F / h, a, d, f: SYN+ACK+FIN each way
  },
  {
    sourceIPAddress: A,
    destinationIPAddress: '203.0.113.80',
    sourceTransportPort: 49152,
    destinationTransportPort: 80,
    packetDeltaCount: 6,
    octetDeltaCount: 397,
  },
  { packetDeltaCount: 4, octetDeltaCount: 511 },
);

test('zeek: conn.log TSV becomes one record per direction with packets; other logs and bad lines rejected by line', async () => {
  const r = await readAll(zeekFormat, fixture(import.meta.url, 'zeek-conn.log'));
  const dns = both(
    { flowStartMilliseconds: 1300475170001, flowEndMilliseconds: 1300475170067, protocolIdentifier: 17 },
    {
      sourceIPAddress: A,
      destinationIPAddress: '192.0.2.53',
      sourceTransportPort: 36844,
      destinationTransportPort: 53,
      packetDeltaCount: 2,
      octetDeltaCount: 118,
    },
    { packetDeltaCount: 2, octetDeltaCount: 197 },
  );
  const rej = both(
    { flowStartMilliseconds: 1300475169500, flowEndMilliseconds: 1300475169500, protocolIdentifier: 6 },
    {
      sourceIPAddress: A,
      destinationIPAddress: '203.0.113.9',
      sourceTransportPort: 49154,
      destinationTransportPort: 445,
      tcpControlBits: 0x02, // REJ without history: SYN ...
      packetDeltaCount: 1,
      octetDeltaCount: 60,
    },
    { tcpControlBits: 0x14, packetDeltaCount: 1, octetDeltaCount: 40 }, // ... answered by RST+ACK
  );
  const icmp = [
    flow({
      flowStartMilliseconds: 1300475170250,
      flowEndMilliseconds: 1300475170250,
      sourceIPAddress: A,
      destinationIPAddress: '203.0.113.1',
      destinationTransportPort: 8 * 256, // echo request: type in id.orig_p, code in id.resp_p
      protocolIdentifier: 1,
      packetDeltaCount: 1,
      octetDeltaCount: 36,
    }),
    flow({
      flowStartMilliseconds: 1300475170250,
      flowEndMilliseconds: 1300475170250,
      sourceIPAddress: '203.0.113.1',
      destinationIPAddress: A,
      destinationTransportPort: 0, // echo reply
      protocolIdentifier: 1,
      packetDeltaCount: 1,
      octetDeltaCount: 36,
    }),
  ];
  const gre = both(
    { flowStartMilliseconds: 1772414130305, flowEndMilliseconds: 1772414131805, protocolIdentifier: 47 },
    {
      sourceIPAddress: '192.0.2.40',
      destinationIPAddress: '192.0.2.41',
      packetDeltaCount: 10,
      octetDeltaCount: 1400,
    },
    { packetDeltaCount: 10, octetDeltaCount: 1400 },
  );
  assert.deepEqual(r.flows, [
    ...SF_HTTP,
    flow({
      flowStartMilliseconds: 1300475168000,
      flowEndMilliseconds: 1300475171004,
      sourceIPAddress: A,
      destinationIPAddress: '203.0.113.9',
      sourceTransportPort: 49153,
      destinationTransportPort: 23,
      protocolIdentifier: 6,
      tcpControlBits: 0x02, // S0: a SYN, no answer, so no responder record
      packetDeltaCount: 3,
      octetDeltaCount: 180,
    }),
    ...rej,
    ...dns,
    ...icmp,
    flow({
      flowStartMilliseconds: 1300475171750,
      flowEndMilliseconds: 1300475171750, // duration unset
      sourceIPAddress: '2001:db8::1',
      destinationIPAddress: 'ff02::1:ff00:1',
      destinationTransportPort: 135 * 256, // Zeek's `icmp` between IPv6 addresses is ICMPv6
      protocolIdentifier: 58,
      packetDeltaCount: 1,
      octetDeltaCount: 72,
    }),
    flow({
      // SHR: only the responder sent (SYN-ACK, FIN): its record alone.
      flowStartMilliseconds: 1300475172000,
      flowEndMilliseconds: 1300475172100,
      sourceIPAddress: '203.0.113.9',
      destinationIPAddress: '192.0.2.7',
      sourceTransportPort: 443,
      destinationTransportPort: 3392,
      protocolIdentifier: 6,
      tcpControlBits: 0x13,
      packetDeltaCount: 2,
      octetDeltaCount: 80,
    }),
    ...gre,
  ]);
  assert.deepEqual(r.rejects, [
    { where: 16, message: 'ts "abc" is not epoch seconds or an ISO 8601 time with a zone' },
    { where: 17, message: 'expected 21 tab-separated fields, found 20' },
    { where: 18, message: 'id.orig_p "70000" is not a port' },
    { where: 19, message: 'proto unknown_transport without ip_proto: the protocol number is not in the log' },
    { where: 28, message: 'a Zeek dns log, not conn' },
  ]);
  assert.deepEqual(r.skips, []);
});

test('zeek: JSON conn logs with flat or nested id keys, epoch or ISO times; bad objects rejected by line', async () => {
  const r = await readAll(zeekFormat, fixture(import.meta.url, 'zeek-conn.json'));
  const iso = Date.parse('2011-03-18T19:26:08Z');
  assert.deepEqual(r.flows, [
    ...SF_HTTP,
    flow({
      flowStartMilliseconds: iso,
      flowEndMilliseconds: iso + 3004,
      sourceIPAddress: A,
      destinationIPAddress: '203.0.113.9',
      sourceTransportPort: 49153,
      destinationTransportPort: 23,
      protocolIdentifier: 6,
      tcpControlBits: 0x02,
      packetDeltaCount: 3,
      octetDeltaCount: 180,
    }),
    ...both(
      { flowStartMilliseconds: 1300475170001, flowEndMilliseconds: 1300475170067, protocolIdentifier: 17 },
      {
        sourceIPAddress: A,
        destinationIPAddress: '192.0.2.53',
        sourceTransportPort: 36844,
        destinationTransportPort: 53,
        packetDeltaCount: 2,
        octetDeltaCount: 62, // no orig_ip_bytes: the payload bytes
      },
      { packetDeltaCount: 2, octetDeltaCount: 141 },
    ),
  ]);
  assert.equal(r.rejects.length, 5);
  assert.deepEqual(r.rejects[0], { where: 4, message: 'id.orig_h is a JSON array' });
  assert.equal(r.rejects[1]!.where, 5);
  assert.match(r.rejects[1]!.message, /^not JSON \(/);
  assert.deepEqual(r.rejects.slice(2), [
    { where: 6, message: 'orig_pkts -1 is not a count' },
    { where: 7, message: 'ts "2011-02-30T00:00:00Z" is not epoch seconds or an ISO 8601 time with a zone' },
    { where: 8, message: 'ts "2011-03-18T19:26:08" is not epoch seconds or an ISO 8601 time with a zone' },
  ]);
});

test('zeek: IoT-23 labelled conn logs (space-separated last columns) keep label and detailed label', async () => {
  const r = await readAll(zeekFormat, fixture(import.meta.url, 'iot23-style.conn.log.labeled'));
  const common = {
    sourceIPAddress: '192.0.2.195',
    destinationIPAddress: '198.51.100.235',
    destinationTransportPort: 80,
    protocolIdentifier: 6,
    tcpControlBits: 0x02,
  };
  assert.deepEqual(r.flows, [
    flow({
      ...common,
      flowStartMilliseconds: 1545403816962,
      flowEndMilliseconds: 1545403820101,
      sourceTransportPort: 41040,
      packetDeltaCount: 3,
      octetDeltaCount: 180,
      label: 'Malicious/PartOfAHorizontalPortScan',
    }),
    flow({
      ...common,
      flowStartMilliseconds: 1545403824181,
      flowEndMilliseconds: 1545403824181,
      sourceTransportPort: 41041,
      packetDeltaCount: 1,
      octetDeltaCount: 60,
      label: 'Benign',
    }),
  ]);
  assert.deepEqual(r.rejects, [{ where: 11, message: 'expected 23 tab-separated fields, found 22' }]);
});

test('zeek: history letters per side, conn_state when there is no history', () => {
  assert.deepEqual(historyFlags('ShADadFf'), [0x13, 0x13]);
  assert.deepEqual(historyFlags('S'), [0x02, 0]);
  assert.deepEqual(historyFlags('Sr'), [0x02, 0x04]);
  assert.deepEqual(historyFlags('ShAdDaTtWwCcGgIiQqXx^'), [0x12, 0x12]); // the other letters add nothing
  assert.deepEqual(ZEEK_CONN_STATES['S0'], [0x02, 0]);
  assert.deepEqual(ZEEK_CONN_STATES['REJ'], [0x02, 0x14]);
  assert.deepEqual(ZEEK_CONN_STATES['RSTOS0'], [0x06, 0]);
  assert.equal(Object.keys(ZEEK_CONN_STATES).length, 13); // Zeek's documented states
});

test('zeek: epoch times need no zone: --tz does not move them', async () => {
  const tz = parseTimeZone('Asia/Taipei')!;
  const r = await readAll(zeekFormat, fixture(import.meta.url, 'zeek-conn.json'), { tz });
  assert.equal(r.flows[0]!.flowStartMilliseconds, 1300475167096);
  assert.notEqual(zeekFormat.zoneless, true);
});

test('zeek: sniffed by its header or a JSON conn record, ahead of plain JSON lines; hostile lines rejected', async (t) => {
  const sniff = (s: string) => detectFormat(Buffer.from(s), 'x')?.name;
  assert.equal(sniff('#separator \\x09\n#set_separator\t,\n#path\tconn\n'), 'zeek');
  assert.equal(sniff('#fields\tts\tuid\tid.orig_h\tconn_state\n'), 'zeek');
  assert.equal(sniff('{"ts":1.5,"uid":"C1","id.orig_h":"192.0.2.1","conn_state":"S0"}\n'), 'zeek');
  assert.equal(sniff('{"ts":1.5,"id":{"orig_h":"192.0.2.1"},"orig_pkts":1}\n'), 'zeek');
  assert.equal(sniff('{"flowStartMilliseconds":1,"sourceIPAddress":"192.0.2.1"}\n'), 'jsonl');
  // Zeek's other logs are not flow files (a log directory imported with --recursive passes them over).
  assert.equal(sniff('#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tquery\n'), undefined);
  assert.equal(sniff('#separator \\x09\n#fields\tts\tid.orig_h\tquery\n'), undefined);
  assert.equal(sniff('#separator \\x09\n#fields\tts\tid.orig_h\torig_pkts\n'), 'zeek');
  assert.equal(sniff('{"ts":1.5,"id.orig_h":"192.0.2.1","query":"example.org"}\n'), 'jsonl');
  assert.equal(sniff('{"_path":"dns","ts":1.5,"id.orig_h":"192.0.2.1","orig_pkts":1}\n'), 'jsonl');
  assert.equal(sniff('{"_path":"conn","ts":1.5,"id.orig_h":"192.0.2.1","orig_pkts":1}\n'), 'zeek');
  for (const f of ['zeek-conn.log', 'zeek-conn.json', 'iot23-style.conn.log.labeled'])
    assert.equal(sniff(readFileSync(fixture(import.meta.url, f), 'utf8')), 'zeek', f);
  const path = join(tempDir(t), 'hostile.log');
  writeFileSync(
    path,
    [
      '1300475167.0\tC1\t192.0.2.1\t1\t192.0.2.2\t2\ttcp', // before any #fields
      '#fields\tts\tuid\tid.orig_h',
      '1300475167.0\tC1\t192.0.2.1',
      '#separator \\x09',
      '#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_pkts',
      `1300475167.0\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t0.1\t${'9'.repeat(70_000)}`,
      '1300475167.0\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t1e9\t1',
      '99999999999999.0\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t0.1\t1',
      '1300475167.0\t192.0.2.1\t1\t192.0.2.2\t2\tsctp\t0.1\t1',
      '1300475167.0\t192.0.2.1\t1\t192.0.2.2\t2\ttcp\t0.1\t1',
      '#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery', // a dns log without #path
      '1300475167.0\t192.0.2.1\t1\t192.0.2.2\t53\tudp\texample.org',
      '{"_path":"dns","ts":1300475167.0,"id.orig_h":"192.0.2.1","id.orig_p":1,"id.resp_h":"192.0.2.2","id.resp_p":53,"proto":"udp","query":"example.org"}',
      '{"ts":1300475167.0,"id.orig_h":"192.0.2.1","id.orig_p":1,"id.resp_h":"192.0.2.2","id.resp_p":53,"proto":"udp","query":"example.org"}',
    ].join('\n'),
  );
  const r = await readAll(zeekFormat, path);
  assert.equal(r.flows.length, 1);
  assert.deepEqual(r.rejects, [
    { where: 1, message: 'no usable Zeek #fields line before this record' },
    { where: 2, message: 'Zeek #fields without id.orig_p, id.resp_h, id.resp_p, proto' },
    { where: 3, message: 'no usable Zeek #fields line before this record' },
    { where: 6, message: 'line longer than 65536 characters (not zeek?)' },
    { where: 7, message: 'duration "1e9" is not valid' },
    { where: 8, message: 'ts "99999999999999.0" is not epoch seconds or an ISO 8601 time with a zone' },
    { where: 9, message: 'proto "sctp" is not tcp, udp or icmp' },
    {
      where: 12,
      message:
        'not a Zeek conn log (#fields has none of conn_state, orig_pkts, resp_pkts, orig_ip_bytes, resp_ip_bytes, orig_bytes, resp_bytes)',
    },
    { where: 13, message: 'a Zeek dns log, not conn' },
    {
      where: 14,
      message:
        'not a Zeek conn record (none of conn_state, orig_pkts, resp_pkts, orig_ip_bytes, resp_ip_bytes, orig_bytes, resp_bytes)',
    },
  ]);
});

test('zeek: conn logs import into the store with per-direction records, labels and no zone warning', async (t) => {
  const dir = tempDir(t);
  const store = await DuckFlowStore.open(join(dir, 'data'));
  const files = ['zeek-conn.log', 'zeek-conn.json', 'iot23-style.conn.log.labeled'].map((f) =>
    fixture(import.meta.url, f),
  );
  const s = await importFiles(store, files);
  const labels = (await store.list({}, 100)).map((f) => f.label).filter((l) => l !== null);
  const totals = await store.totals({});
  await store.close();
  assert.deepEqual(
    s.perFile.map((p) => [p.format, p.flows, p.rejected]),
    [
      ['zeek', 13, 5],
      ['zeek', 5, 5],
      ['zeek', 2, 1],
    ],
  );
  assert.deepEqual(s.warnings, []);
  // Packets and IP bytes of both directions, every connection of the three files.
  const packets = 6 + 4 + 3 + 1 + 1 + 2 + 2 + 1 + 1 + 1 + 2 + 10 + 10 + (6 + 4 + 3 + 2 + 2) + (3 + 1);
  const bytes =
    397 +
    511 +
    180 +
    60 +
    40 +
    118 +
    197 +
    36 +
    36 +
    72 +
    80 +
    1400 +
    1400 +
    (397 + 511 + 180 + 62 + 141) +
    (180 + 60);
  assert.deepEqual(totals, { flows: 20, packets, bytes });
  assert.equal(s.packets, packets);
  assert.deepEqual(labels.sort(), ['Benign', 'Malicious/PartOfAHorizontalPortScan']);
});

test('zeek: a Zeek log directory imported recursively takes conn.log and passes the other logs over', async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'conn.log'), readFileSync(fixture(import.meta.url, 'zeek-conn.log')));
  writeFileSync(
    join(logs, 'dns.log'),
    '#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n' +
      '1300475170.001\tC1\t198.51.100.23\t36844\t192.0.2.53\t53\tudp\texample.org\n',
  );
  const store = await DuckFlowStore.open(join(dir, 'data'));
  const s = await importFiles(store, [logs], { recursive: true });
  await store.close();
  assert.deepEqual(
    s.perFile.map((p) => [p.file, p.format, p.flows]),
    [[join(logs, 'conn.log'), 'zeek', 13]],
  );
  assert.deepEqual(s.skippedFiles, [{ file: join(logs, 'dns.log'), why: 'not a recognised flow file' }]);
});
