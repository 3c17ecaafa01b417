import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { readAll } from '../testing/import.js';
import { ARGUS_TCP_STATES, binetflowFormat, stateFlags, stateSides } from './binetflow.js';
import { parseTimeZone } from './times.js';

// Argus prints local times; read them as UTC here.
process.env['TZ'] = 'UTC';

const T = (s: string) => Date.parse(`2011-08-10T${s}Z`);

function flow(p: Partial<FlowRecord>): FlowRecord {
  return { ...emptyRecord(), ...p };
}

test('binetflow: CTU-13 style lines read with labels, hex and empty ports, ICMP type/code, IPv6', async () => {
  const r = await readAll(binetflowFormat, fixture(import.meta.url, 'ctu-style.binetflow'));
  assert.deepEqual(r.flows, [
    flow({
      flowStartMilliseconds: T('09:46:53.047'),
      flowEndMilliseconds: T('09:46:56.171'),
      sourceIPAddress: '198.51.100.23',
      destinationIPAddress: '203.0.113.80',
      sourceTransportPort: 1025,
      destinationTransportPort: 80,
      protocolIdentifier: 6,
      tcpControlBits: 0x1b, // FSPA_FSPA
      packetDeltaCount: 12,
      octetDeltaCount: 5174,
      label: 'flow=From-Botnet-V99-TCP-Established-HTTP',
    }),
    flow({
      flowStartMilliseconds: T('09:46:53.120'),
      flowEndMilliseconds: T('09:46:53.120'),
      sourceIPAddress: '192.0.2.7',
      destinationIPAddress: '203.0.113.9',
      sourceTransportPort: 0x0d3f,
      destinationTransportPort: 443,
      protocolIdentifier: 6,
      tcpControlBits: 0x16, // S_RA: SYN, then RST+ACK
      packetDeltaCount: 2,
      octetDeltaCount: 122,
      label: 'flow=Background-TCP-Attempt',
    }),
    flow({
      flowStartMilliseconds: T('09:46:54.000'),
      flowEndMilliseconds: T('09:46:54.000'),
      sourceIPAddress: '198.51.100.23',
      destinationIPAddress: '192.0.2.53',
      sourceTransportPort: 1026,
      destinationTransportPort: 53,
      protocolIdentifier: 17,
      packetDeltaCount: 2,
      octetDeltaCount: 214,
      label: 'flow=From-Botnet-V99-UDP-DNS',
    }),
    flow({
      flowStartMilliseconds: T('09:46:55.500'),
      flowEndMilliseconds: T('09:46:56.500'),
      sourceIPAddress: '198.51.100.23',
      destinationIPAddress: '203.0.113.1',
      destinationTransportPort: 8 * 256, // echo request, type 8 code 0
      protocolIdentifier: 1,
      packetDeltaCount: 1,
      octetDeltaCount: 98,
      label: 'flow=From-Botnet-V99-ICMP',
    }),
    flow({
      flowStartMilliseconds: T('09:46:56.250'),
      flowEndMilliseconds: T('09:46:56.250'),
      sourceIPAddress: '203.0.113.1',
      destinationIPAddress: '198.51.100.23',
      destinationTransportPort: 3 * 256 + 3, // port unreachable
      protocolIdentifier: 1,
      ipClassOfService: 192,
      packetDeltaCount: 1,
      octetDeltaCount: 590,
      label: 'flow=Background',
    }),
    flow({
      flowStartMilliseconds: T('09:46:58.123'),
      flowEndMilliseconds: T('09:47:00.623'),
      sourceIPAddress: 'fe80::200:5eff:fe00:5301',
      destinationIPAddress: 'ff02::1:ff00:1',
      destinationTransportPort: 135 * 256, // neighbour solicitation
      protocolIdentifier: 58,
      packetDeltaCount: 3,
      octetDeltaCount: 258,
      label: 'flow=Normal-V6',
    }),
    flow({
      flowStartMilliseconds: T('09:46:59.999'),
      flowEndMilliseconds: T('09:47:00.000'),
      sourceIPAddress: '2001:db8:1::10',
      destinationIPAddress: '2001:db8:2::20',
      sourceTransportPort: 5353,
      destinationTransportPort: 0, // empty
      protocolIdentifier: 17,
      packetDeltaCount: 1,
      octetDeltaCount: 87,
      label: 'flow=To-Normal-mDNS',
    }),
    flow({
      flowStartMilliseconds: T('09:47:00.500'),
      flowEndMilliseconds: T('09:47:00.600'),
      sourceIPAddress: '198.51.100.23',
      destinationIPAddress: '203.0.113.80',
      sourceTransportPort: 49152,
      destinationTransportPort: 80,
      protocolIdentifier: 6,
      tcpControlBits: 0x18, // PA_
      packetDeltaCount: 3,
      octetDeltaCount: 300,
      label: 'flow=From-Botnet-V99-TCP-Attempt',
    }),
    flow({
      flowStartMilliseconds: T('09:47:02.000'),
      flowEndMilliseconds: T('09:47:02.020'),
      sourceIPAddress: '192.0.2.40',
      destinationIPAddress: '192.0.2.41',
      sourceTransportPort: 16384,
      destinationTransportPort: 16386,
      protocolIdentifier: 17, // Argus names RTP over UDP `rtp`
      ipClassOfService: 184,
      packetDeltaCount: 50,
      octetDeltaCount: 10700,
      label: 'flow=Background-RTP',
    }),
  ]);
  assert.deepEqual(r.skips, [{ where: 7, reason: 'arp' }]);
  assert.deepEqual(r.rejects, [
    { where: 11, message: 'StartTime "2011/08/10 25:00:00.000000" is not a time' },
    { where: 12, message: 'Sport "70000" is not a port' },
  ]);
});

test('binetflow: TCP state letters of both sides OR into tcpControlBits', () => {
  assert.equal(stateFlags('S_'), 0x02);
  assert.equal(stateFlags('S_RA'), 0x16);
  assert.equal(stateFlags('SPA_SPA'), 0x1a);
  assert.equal(stateFlags('FSRPAEC_FSRPAEC'), 0xdf);
  assert.equal(stateFlags('SRPAU_'), 0x3e);
});

test('binetflow: Argus state words are the flags they imply, never flag letters', () => {
  assert.equal(stateFlags('REQ'), 0x02); // SYN, not RST+ECE
  assert.equal(stateFlags('ACC'), 0x12); // SYN+ACK, not ACK+CWR
  assert.equal(stateFlags('CON'), 0x12);
  assert.equal(stateFlags('EST'), 0x12);
  assert.equal(stateFlags('CLO'), 0x13);
  assert.equal(stateFlags('FIN'), 0x11);
  assert.equal(stateFlags('RST'), 0x04);
  assert.equal(stateFlags('TIM'), 0);
  assert.equal(stateFlags('XYZ'), 0); // unknown word: no flags
  assert.deepEqual(Object.keys(ARGUS_TCP_STATES).sort(), [
    'ACC',
    'CLO',
    'CON',
    'EST',
    'FIN',
    'REQ',
    'RST',
    'TIM',
  ]);
  assert.deepEqual(stateSides('S_RA'), [0x02, 0x14]);
  assert.deepEqual(stateSides('_FA'), [0, 0x11]);
  assert.deepEqual(stateSides('CON'), [0x12, 0x12]);
});

test('binetflow: ra tab-separated output with per-direction counters becomes one record per direction with packets', async () => {
  const r = await readAll(binetflowFormat, fixture(import.meta.url, 'argus-ra.tsv'));
  const A = '198.51.100.23';
  const W = '203.0.113.80';
  assert.deepEqual(r.flows, [
    flow({
      flowStartMilliseconds: T('09:46:53.047'),
      flowEndMilliseconds: T('09:46:54.047'),
      sourceIPAddress: A,
      destinationIPAddress: W,
      sourceTransportPort: 1025,
      destinationTransportPort: 80,
      protocolIdentifier: 6,
      tcpControlBits: 0x02, // REQ: a SYN nobody answered
      packetDeltaCount: 2,
      octetDeltaCount: 120,
    }),
    flow({
      flowStartMilliseconds: T('09:46:53.500'),
      flowEndMilliseconds: T('09:46:55.750'),
      sourceIPAddress: A,
      destinationIPAddress: W,
      sourceTransportPort: 1026,
      destinationTransportPort: 443,
      protocolIdentifier: 6,
      tcpControlBits: 0x12,
      packetDeltaCount: 10,
      octetDeltaCount: 1200,
    }),
    flow({
      flowStartMilliseconds: T('09:46:53.500'),
      flowEndMilliseconds: T('09:46:55.750'),
      sourceIPAddress: W,
      destinationIPAddress: A,
      sourceTransportPort: 443,
      destinationTransportPort: 1026,
      protocolIdentifier: 6,
      tcpControlBits: 0x12,
      packetDeltaCount: 8,
      octetDeltaCount: 6000,
    }),
    flow({
      flowStartMilliseconds: T('09:46:54.000'),
      flowEndMilliseconds: T('09:46:54.100'),
      sourceIPAddress: A,
      destinationIPAddress: W,
      sourceTransportPort: 1027,
      destinationTransportPort: 22,
      protocolIdentifier: 6,
      tcpControlBits: 0x12, // ACC
      packetDeltaCount: 1,
      octetDeltaCount: 60,
    }),
    flow({
      flowStartMilliseconds: T('09:46:54.000'),
      flowEndMilliseconds: T('09:46:54.100'),
      sourceIPAddress: W,
      destinationIPAddress: A,
      sourceTransportPort: 22,
      destinationTransportPort: 1027,
      protocolIdentifier: 6,
      tcpControlBits: 0x12,
      packetDeltaCount: 1,
      octetDeltaCount: 60,
    }),
    flow({
      flowStartMilliseconds: T('09:46:54.100'),
      flowEndMilliseconds: T('09:46:54.100'),
      sourceIPAddress: '192.0.2.7',
      destinationIPAddress: '203.0.113.9',
      sourceTransportPort: 3391,
      destinationTransportPort: 445,
      protocolIdentifier: 6,
      tcpControlBits: 0x04, // RST
      packetDeltaCount: 1,
      octetDeltaCount: 40,
    }),
    flow({
      flowStartMilliseconds: T('09:46:55.500'),
      flowEndMilliseconds: T('09:46:55.501'),
      sourceIPAddress: A,
      destinationIPAddress: '203.0.113.1',
      destinationTransportPort: 8 * 256, // echo request
      protocolIdentifier: 1,
      packetDeltaCount: 1,
      octetDeltaCount: 98,
    }),
    flow({
      flowStartMilliseconds: T('09:46:55.500'),
      flowEndMilliseconds: T('09:46:55.501'),
      sourceIPAddress: '203.0.113.1',
      destinationIPAddress: A,
      destinationTransportPort: 0, // echo reply
      protocolIdentifier: 1,
      packetDeltaCount: 1,
      octetDeltaCount: 98,
    }),
    flow({
      flowStartMilliseconds: T('09:46:56.000'),
      flowEndMilliseconds: T('09:46:56.020'),
      sourceIPAddress: A,
      destinationIPAddress: '192.0.2.53',
      sourceTransportPort: 1028,
      destinationTransportPort: 53,
      protocolIdentifier: 17,
      packetDeltaCount: 1,
      octetDeltaCount: 75,
    }),
    flow({
      flowStartMilliseconds: T('09:46:56.000'),
      flowEndMilliseconds: T('09:46:56.020'),
      sourceIPAddress: '192.0.2.53',
      destinationIPAddress: A,
      sourceTransportPort: 53,
      destinationTransportPort: 1028,
      protocolIdentifier: 17,
      packetDeltaCount: 1,
      octetDeltaCount: 139,
    }),
    flow({
      flowStartMilliseconds: T('09:46:56.500'),
      flowEndMilliseconds: T('09:46:56.500'),
      sourceIPAddress: A,
      destinationIPAddress: '192.0.2.53',
      sourceTransportPort: 1029,
      destinationTransportPort: 53,
      protocolIdentifier: 17,
      packetDeltaCount: 1,
      octetDeltaCount: 75,
    }),
    flow({
      flowStartMilliseconds: T('09:46:57.000'),
      flowEndMilliseconds: T('09:46:57.000'),
      sourceIPAddress: '192.0.2.7',
      destinationIPAddress: '203.0.113.9',
      sourceTransportPort: 3392,
      destinationTransportPort: 443,
      protocolIdentifier: 6,
      tcpControlBits: 0x02, // the S of S_RA
      packetDeltaCount: 1,
      octetDeltaCount: 62,
    }),
    flow({
      flowStartMilliseconds: T('09:46:57.000'),
      flowEndMilliseconds: T('09:46:57.000'),
      sourceIPAddress: '203.0.113.9',
      destinationIPAddress: '192.0.2.7',
      sourceTransportPort: 443,
      destinationTransportPort: 3392,
      protocolIdentifier: 6,
      tcpControlBits: 0x14, // the RA of S_RA
      packetDeltaCount: 1,
      octetDeltaCount: 60,
    }),
  ]);
  assert.deepEqual(r.skips, [
    { where: 6, reason: 'man' },
    { where: 11, reason: 'man' },
  ]);
  assert.deepEqual(r.rejects, [
    { where: 12, message: 'expected 15 tab-separated fields, found 13' },
    { where: 13, message: 'StartTime "2011/02/30 10:00:00.000000" is not a time' },
    { where: 14, message: 'Dur "-1.0" is not valid' },
    { where: 15, message: 'sTos "256" is not a ToS byte' },
    { where: 16, message: 'unknown protocol "foo"' },
  ]);
});

test('binetflow: hostile input is rejected line by line, the rest still read', async (t) => {
  const path = join(tempDir(t), 'bad.binetflow');
  const head =
    'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label';
  const good = '2011/08/10 09:46:53.047277,0.5,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,1,60,60,flow=x';
  writeFileSync(
    path,
    [
      head,
      `${good.slice(0, -6)}${'x'.repeat(20_000)}`, // a line over the 16 KiB cap
      '2011/08/10 09:46:53.047277,0.5,tcp,192.0.2.1,1025',
      '2011/08/10 09:46:53,0.5,tcp,192.0.2.1,1025,->,192.0.2.2,80,S_,0,0,1,60',
      '1e9,0.5,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,1,60,60,flow=x',
      '2011/08/10 09:46:53.047277,1e400,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,1,60,60,flow=x',
      '2011/08/10 09:46:53.047277,0.5,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,-1,60,60,flow=x',
      '2011/08/10 09:46:53.047277,0.5,tcp,999.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,1,60,60,flow=x',
      good,
    ].join('\n'),
  );
  const r = await readAll(binetflowFormat, path);
  assert.equal(r.flows.length, 1);
  assert.equal(r.flows[0]!.label, 'flow=x');
  assert.deepEqual(r.rejects, [
    { where: 2, message: 'line longer than 16384 characters (not binetflow?)' },
    { where: 3, message: 'expected 15 comma-separated fields, found 5' },
    { where: 4, message: 'expected 15 comma-separated fields, found 13' },
    { where: 5, message: 'StartTime "1e9" is not a time' },
    { where: 6, message: 'Dur "1e400" is not valid' },
    { where: 7, message: 'TotPkts "-1" is not a count' },
    { where: 8, message: 'SrcAddr "999.0.2.1" is not an IP address' },
  ]);
});

test('binetflow: --tz reads the local times of the zone the capture was printed in', async (t) => {
  const path = join(tempDir(t), 'tz.binetflow');
  writeFileSync(
    path,
    '2011/08/10 09:46:53.047277,0.5,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,1,60,60,flow=x\n',
  );
  const at = async (tz: string) =>
    (await readAll(binetflowFormat, path, { tz: parseTimeZone(tz)! })).flows[0]!;
  // CTU-13 was captured in Prague (CEST, UTC+2, in August).
  assert.equal((await at('Europe/Prague')).flowStartMilliseconds, T('07:46:53.047'));
  assert.equal((await at('Asia/Taipei')).flowStartMilliseconds, T('01:46:53.047'));
  assert.equal((await at('+08:00')).flowStartMilliseconds, T('01:46:53.047'));
  assert.equal((await at('UTC-5')).flowStartMilliseconds, T('14:46:53.047'));
  assert.equal((await at('UTC')).flowStartMilliseconds, T('09:46:53.047'));
  assert.equal(binetflowFormat.zoneless, true);
  // `ra -u` prints epoch seconds: instants, which --tz leaves alone.
  writeFileSync(path, '1312969613.047277,0.5,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,1,60,60,flow=x\n');
  assert.equal((await at('Asia/Taipei')).flowStartMilliseconds, T('09:46:53.047'));
  assert.equal((await at('Asia/Taipei')).flowEndMilliseconds, T('09:46:53.547'));
});

test('binetflow: columns are found by header name, in any order', async (t) => {
  const path = join(tempDir(t), 'ra.csv');
  writeFileSync(
    path,
    'Label,TotBytes,TotPkts,DstAddr,SrcAddr,Proto,StartTime\nflow=x,1500,3,192.0.2.2,192.0.2.1,udp,2011/08/10 10:00:00.000001\n',
  );
  const r = await readAll(binetflowFormat, path);
  assert.deepEqual(r.rejects, []);
  assert.deepEqual(r.flows, [
    flow({
      flowStartMilliseconds: T('10:00:00.000'),
      flowEndMilliseconds: T('10:00:00.000'),
      sourceIPAddress: '192.0.2.1',
      destinationIPAddress: '192.0.2.2',
      protocolIdentifier: 17,
      packetDeltaCount: 3,
      octetDeltaCount: 1500,
      label: 'flow=x',
    }),
  ]);
});

test('binetflow: sniffs the CTU header or a first data line, nothing else', () => {
  const sniff = (s: string) => binetflowFormat.sniff(Buffer.from(s), 'x');
  assert.equal(
    sniff(
      'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n',
    ),
    true,
  );
  assert.equal(
    sniff(
      '2011/08/10 09:46:53.047277,3.124052,tcp,198.51.100.23,1025,   ->,203.0.113.80,80,S_,0,0,1,60,60,x\n',
    ),
    true,
  );
  assert.equal(sniff('StartTime\tDur\tProto\tSrcAddr\tSport\tDir\tDstAddr\tDport\n'), true);
  assert.equal(sniff('2011/08/10 09:46:53.047277\t3.124052\ttcp\t198.51.100.23\n'), true);
  assert.equal(sniff('ts,te,td,sa,da,sp,dp,pr\n'), false);
  assert.equal(sniff('2026-11-20 12:00:00,2026-11-20 12:00:01,1.000,10.0.0.1\n'), false);
});
