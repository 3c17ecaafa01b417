import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { binetflowFormat, stateFlags } from './binetflow.js';
import { readAll } from './testing.js';

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
  assert.equal(sniff('ts,te,td,sa,da,sp,dp,pr\n'), false);
  assert.equal(sniff('2026-11-20 12:00:00,2026-11-20 12:00:01,1.000,10.0.0.1\n'), false);
});
