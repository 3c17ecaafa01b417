/**
 * Every real capture in testdata/ is decoded by flowhunt and by tshark, and
 * every record is compared field by field (the fields tshark shows). Where
 * the two legitimately differ the file is listed in EXCEPTIONS with why.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import type { FlowRecord } from '../flow/record.js';
import { readPcapPayloads, tsharkJson, tsharkTime, writePcap } from '../testing/datagrams.js';
import { fixture, requireTool, tempDir } from '../testing/helpers.js';
import { DecoderState, decodePacket } from './index.js';

type Obj = Record<string, unknown>;

interface Exception {
  why: string;
  /** How many records flowhunt decodes (tshark's count differs, for the reason given). */
  records: number;
  /**
   * tshark is given the datagram with its template flowsets moved to the
   * front, so that it can decode the data that came first and every record
   * is still compared.
   */
  templatesFirst?: boolean;
}

/** Where tshark and flowhunt legitimately disagree. Records tshark does show are still compared. */
const EXCEPTIONS: Record<string, Exception> = {
  'netflow9_test_h3c.pcap': {
    why: 'tshark stops with "Malformed Packet" at field IPV4_ROUTER_SC (43) of length 2 in the first record; the H3C template is otherwise valid and flowhunt skips that field by its length',
    records: 16,
  },
  'netflow9_test_h3c_netstream_varstring.pcap': {
    why: 'the same H3C IPV4_ROUTER_SC field of length 2 stops tshark in the first record',
    records: 1,
  },
  'softflowd/PACKET_V9_TEMPLATE_MIXED.bin': {
    why: 'the data flowset comes before its template in the same datagram; tshark drops it ("no template found"), flowhunt holds it and decodes it when the template arrives',
    records: 8,
    templatesFirst: true,
  },
  'netflow9_test_invalid01.pcap': {
    why: 'an options template flowset of length 22 (not a multiple of 4) makes tshark give up on the rest of the packet; flowhunt takes the unaligned flowset (RFC 3954 makes padding optional) and decodes the sampler option (1 in 100) and both data records',
    records: 2,
  },
};

/**
 * tshark names some elements alike (L4_SRC_PORT and TCP_SRC_PORT are both
 * `cflow.srcport`; YAF's reverse counters, enterprise 29305, are
 * `cflow.permanent_octets` too): the first is the one flowhunt maps.
 */
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
const str = (o: Obj, k: string): string | undefined => {
  const v = first(o[k]);
  return typeof v === 'string' ? v : undefined;
};
const num = (o: Obj, k: string): number | undefined => {
  const v = str(o, k);
  return v === undefined ? undefined : Number(v);
};
const ms = (seconds: string) => Math.round(Number(seconds) * 1000);
const signed32 = (x: number) => {
  const u = x >>> 0;
  return u >= 0x80000000 ? u - 4294967296 : u;
};

interface Header {
  version: number;
  exportMs: number;
  sysUptimeMs: number;
  /** systemInitTimeMilliseconds from options data seen so far (NaN = none). */
  sysInitMs: number;
  /** NetFlow v5 header sampling interval. */
  sampleRate?: number;
}

const EPOCH = 'Jan  1, 1970 00:00:00.000000000 UTC';

/** The flow fields tshark shows for one record, in flowhunt's names. */
function expected(f: Obj, h: Header): Partial<FlowRecord> {
  const e: Partial<FlowRecord> = {};
  const addr = (v4: string, v6: string): string | undefined => {
    const a6 = str(f, v6);
    const a4 = str(f, v4);
    return a6 !== undefined && (a6 !== '::' || a4 === undefined) ? a6 : a4;
  };
  const set = <K extends keyof FlowRecord>(k: K, v: FlowRecord[K] | undefined) => {
    if (v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) e[k] = v;
  };
  const proto = num(f, 'cflow.protocol');
  // A tunnel (IPv4 and IPv6 hosts both): the family the protocol and ports belong to (docs/exporters.md).
  const named = (k: string, zero: string) => str(f, k) !== undefined && str(f, k) !== zero;
  const has4 = named('cflow.srcaddr', '0.0.0.0') || named('cflow.dstaddr', '0.0.0.0');
  const has6 = named('cflow.srcaddrv6', '::') || named('cflow.dstaddrv6', '::');
  if (has4 && has6) {
    const six = proto === 4 || proto === 58;
    set('sourceIPAddress', str(f, six ? 'cflow.srcaddrv6' : 'cflow.srcaddr'));
    set('destinationIPAddress', str(f, six ? 'cflow.dstaddrv6' : 'cflow.dstaddr'));
  } else {
    set('sourceIPAddress', addr('cflow.srcaddr', 'cflow.srcaddrv6'));
    set('destinationIPAddress', addr('cflow.dstaddr', 'cflow.dstaddrv6'));
  }
  set('ipNextHopAddress', addr('cflow.nexthop', 'cflow.nexthopv6'));
  set('sourceTransportPort', num(f, 'cflow.srcport'));
  set('destinationTransportPort', num(f, 'cflow.dstport'));
  set('protocolIdentifier', proto);
  // ICMP type and code elements: type*256+code as the destination port, source port 0 (src/flow/icmp.ts).
  if (proto === 1 || proto === 58) {
    const pair = (t: string, c: string) => {
      const ty = num(f, t);
      const co = num(f, c);
      return ty === undefined && co === undefined ? undefined : (ty ?? 0) * 256 + (co ?? 0);
    };
    const v4 = num(f, 'cflow.icmp_type_code_ipv4') ?? pair('cflow.icmp_ipv4_type', 'cflow.icmp_ipv4_code');
    const v6 = pair('cflow.icmp_ipv6_type', 'cflow.icmp_ipv6_code');
    const port = proto === 1 ? (v4 ?? v6) : (v6 ?? v4);
    if (port !== undefined) {
      e.sourceTransportPort = 0;
      e.destinationTransportPort = port;
    }
  }
  set('tcpControlBits', num(f, 'cflow.tcpflags'));
  set('ipClassOfService', num(f, 'cflow.tos'));
  set('ingressInterface', num(f, 'cflow.inputint'));
  set('egressInterface', num(f, 'cflow.outputint'));
  set('bgpSourceAsNumber', num(f, 'cflow.srcas'));
  set('bgpDestinationAsNumber', num(f, 'cflow.dstas'));
  set('flowDirection', num(f, 'cflow.direction'));
  // Delta counters first, then the totals (Cisco ASA) and post counters some devices send instead.
  set(
    'packetDeltaCount',
    num(f, 'cflow.packets') ?? num(f, 'cflow.permanent_packets') ?? num(f, 'cflow.post_packets'),
  );
  set(
    'octetDeltaCount',
    num(f, 'cflow.octets') ?? num(f, 'cflow.permanent_octets') ?? num(f, 'cflow.post_octets'),
  );
  const tree = (f['cflow.timedelta_tree'] ?? {}) as Obj;
  const t = { ...f, ...tree };
  let absStart = str(t, 'cflow.abstimestart');
  const relEnd = str(t, 'cflow.timeend');
  let relStart = str(t, 'cflow.timestart');
  // tshark prints a start uptime of 0 next to a relative end as the epoch.
  if (absStart === EPOCH && relEnd !== undefined) {
    absStart = undefined;
    relStart = '0';
  }
  const absEnd = str(t, 'cflow.abstimeend');
  if (absStart !== undefined) e.flowStartMilliseconds = Math.floor(tsharkTime(absStart));
  if (absEnd !== undefined) e.flowEndMilliseconds = Math.floor(tsharkTime(absEnd));
  if (h.version !== 10) {
    if (relStart !== undefined) e.flowStartMilliseconds = h.exportMs - signed32(h.sysUptimeMs - ms(relStart));
    if (relEnd !== undefined) e.flowEndMilliseconds = h.exportMs - signed32(h.sysUptimeMs - ms(relEnd));
  } else if (!Number.isNaN(h.sysInitMs)) {
    if (relStart !== undefined) e.flowStartMilliseconds = h.sysInitMs + ms(relStart);
    if (relEnd !== undefined) e.flowEndMilliseconds = h.sysInitMs + ms(relEnd);
  } else if (relEnd !== undefined) {
    // IPFIX uptime times without systemInitTimeMilliseconds: the record's end is taken as the export time.
    e.flowEndMilliseconds = h.exportMs;
    if (relStart !== undefined) e.flowStartMilliseconds = h.exportMs - signed32(ms(relEnd) - ms(relStart));
  }
  // NetFlow v5 states its sampling interval in the header (0: unsampled).
  if (h.version === 5) e.samplingInterval = (h.sampleRate ?? 0) || 1;
  e.exporterIPAddress = '192.0.2.1';
  return e;
}

/** Every flow record tshark decoded in a capture (options data left out), in order. */
function tsharkRecords(packets: Obj[]): Partial<FlowRecord>[] {
  const out: Partial<FlowRecord>[] = [];
  const optionIds = new Set<number>();
  let sysInitMs = Number.NaN;
  for (const layers of packets) {
    const c = layers['cflow'] as Obj | undefined;
    if (!c) continue;
    const ts = (c['cflow.timestamp_tree'] ?? {}) as Obj;
    const version = num(c, 'cflow.version')!;
    const secs = num(ts, 'cflow.unix_secs') ?? num(ts, 'cflow.exporttime') ?? 0;
    const h: Header = {
      version,
      exportMs: secs * 1000 + Math.floor((num(ts, 'cflow.unix_nsecs') ?? 0) / 1e6),
      sysUptimeMs: ms(str(c, 'cflow.sysuptime') ?? '0'),
      sysInitMs,
      sampleRate: num(c, 'cflow.samplerate'),
    };
    for (const [k, v] of Object.entries(c)) {
      if (/^pdu \d+\/\d+$/.test(k)) out.push(expected(v as Obj, h));
      const opt = /^(?:Flow)?Set \d+ \[id=\d+\] \(Options Template\): ([\d,]+)$/.exec(k);
      if (opt) for (const id of opt[1]!.split(',')) optionIds.add(Number(id));
      const data = /^(?:Flow)?Set \d+ \[id=(\d+)\]/.exec(k);
      if (!data || Number(data[1]) < 256) continue;
      if (optionIds.has(Number(data[1]))) {
        for (const [fk, fv] of Object.entries(v as Obj)) {
          const init = /^Flow \d+\b/.test(fk) ? str(fv as Obj, 'cflow.sys_init_time') : undefined;
          if (init !== undefined) h.sysInitMs = sysInitMs = tsharkTime(init);
        }
        continue;
      }
      for (const [fk, fv] of Object.entries(v as Obj))
        if (/^Flow \d+\b/.test(fk)) out.push(expected(fv as Obj, h));
    }
  }
  return out;
}

function decodeCapture(file: string): FlowRecord[] {
  const state = new DecoderState();
  const out = new FlowBatch();
  for (const p of readPcapPayloads(readFileSync(file)))
    decodePacket(state, p.source, p.payload, p.timeMs, out);
  return out.records();
}

function compare(file: string, ours: FlowRecord[], theirs: Partial<FlowRecord>[]): string[] {
  const diffs: string[] = [];
  theirs.forEach((want, k) => {
    const got = ours[k];
    if (!got) {
      diffs.push(`${file} record ${k + 1}: missing`);
      return;
    }
    for (const [name, value] of Object.entries(want) as [keyof FlowRecord, unknown][]) {
      let have = got[name];
      // tshark shows counters as sent; flowhunt scales them by the sampling interval.
      if (name === 'packetDeltaCount' || name === 'octetDeltaCount')
        have = (have as number) / got.samplingInterval;
      if (have !== value)
        diffs.push(`${file} record ${k + 1}: ${name} ${String(have)} != tshark ${String(value)}`);
    }
  });
  return diffs;
}

/** The same NetFlow v9 datagram with its template flowsets (ids 0 and 1) first. */
function templatesFirst(payload: Uint8Array): Uint8Array {
  const b = Buffer.from(payload);
  const sets: Buffer[] = [];
  for (let p = 20; p + 4 <= b.length; p += b.readUInt16BE(p + 2))
    sets.push(b.subarray(p, p + b.readUInt16BE(p + 2)));
  const isTemplate = (s: Buffer) => s.readUInt16BE(0) < 2;
  return Buffer.concat([
    b.subarray(0, 20),
    ...sets.filter(isTemplate),
    ...sets.filter((s) => !isTemplate(s)),
  ]);
}

async function check(file: string, name: string, args: string[], t: TestContext): Promise<void> {
  const ours = decodeCapture(file);
  const ex = EXCEPTIONS[name];
  let forTshark = file;
  if (ex?.templatesFirst) {
    forTshark = join(tempDir(t), 'templates-first.pcap');
    const payloads = readPcapPayloads(readFileSync(file)).map((p) => ({
      payload: templatesFirst(p.payload),
    }));
    writeFileSync(forTshark, writePcap(payloads));
  }
  const theirs = tsharkRecords(await tsharkJson(forTshark, args));
  const expectedCount = ex && !ex.templatesFirst ? ex.records : theirs.length;
  assert.equal(ours.length, expectedCount, ex ? ex.why : 'record count differs from tshark');
  assert.deepEqual(compare(name, ours, theirs), []);
}

const dir = fixture(import.meta.url, '.');
const captures = readdirSync(dir).filter((f) => f.endsWith('.pcap'));

test('the fixtures hold every vendor capture', () => {
  assert.equal(captures.length, 47);
});

for (const name of captures) {
  test(`${name}: every record equals tshark's decode`, async (t) => {
    if (!requireTool(t, 'tshark')) return;
    await check(join(dir, name), name, ['-d', 'udp.port==2055,cflow'], t);
  });
}

const softflowd = readdirSync(join(dir, 'softflowd')).filter((f) => f.endsWith('.bin'));

for (const name of softflowd) {
  test(`softflowd ${name}: every record equals tshark's decode`, async (t) => {
    if (!requireTool(t, 'tshark')) return;
    const file = join(tempDir(t), `${name}.pcap`);
    writeFileSync(file, writePcap([{ payload: readFileSync(join(dir, 'softflowd', name)) }]));
    await check(file, `softflowd/${name}`, ['-d', 'udp.port==2055,cflow'], t);
  });
}
