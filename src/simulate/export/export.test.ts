import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { FlowBatch } from '../../flow/batch.js';
import { flagsText } from '../../flow/names.js';
import { requireTool, tempDir } from '../../testing/helpers.js';
import { nfdump, sendUdp, startNfcapd } from '../../testing/nfcapd.js';
import { tshark, udpFrame, writePcap } from '../../testing/pcap.js';
import { createSimulation } from '../simulation.js';
import { ExportEncoder, WIRE_FORMATS } from './index.js';
import { IPFIX_TEMPLATES, templateSetLength, V9_TEMPLATES } from './templates.js';

const execFileP = promisify(execFile);

function simulate(seed: number, minutes = 6) {
  const sim = createSimulation({ scenario: 'demo', seed, hours: minutes / 60, scale: 0.05 });
  const batches = [...sim.batches()];
  return { batches, totals: sim.totals };
}

function encode(format: 'v9' | 'ipfix', batches: FlowBatch[], templateEvery = 20) {
  const enc = new ExportEncoder(WIRE_FORMATS[format], { templateEvery });
  const packets: Buffer[] = [];
  const sink = (p: Buffer) => packets.push(Buffer.from(p));
  for (const b of batches) enc.encode(b, sink);
  enc.flush(sink);
  return { packets, enc };
}

/** The flows as nfdump prints them with our format string, one line each, sorted. */
function expectedLines(batches: FlowBatch[]): string[] {
  // nfdump's %ter drops the hundreds of milliseconds (1.7.1), so times are compared as dates.
  const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  const out: string[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      out.push(
        [
          time(b.ts[i]!),
          time(b.te[i]!),
          b.addrText('src', i),
          b.addrText('dst', i),
          b.sport[i],
          b.dport[i],
          b.proto[i],
          flagsText(b.flags[i]!),
          b.packets[i],
          b.bytes[i],
          b.inIf[i],
          b.outIf[i],
          b.srcAs[i],
          b.dstAs[i],
          b.addrText('nexthop', i),
        ].join('|'),
      );
    }
  }
  return out.sort();
}

describe('export packets', () => {
  test('packets stay within the MTU, templates lead and come back every N packets', () => {
    const { batches } = simulate(1, 3);
    for (const format of ['v9', 'ipfix'] as const) {
      const { packets } = encode(format, batches, 5);
      const tsetId = format === 'v9' ? 0 : 2;
      const hdr = format === 'v9' ? 20 : 16;
      const perDomain = new Map<number, number>();
      for (const p of packets) {
        assert.ok(p.length <= 1400);
        const domain = p.readUInt32BE(format === 'v9' ? 16 : 12);
        const n = perDomain.get(domain) ?? 0;
        perDomain.set(domain, n + 1);
        assert.equal(
          p.readUInt16BE(hdr) === tsetId,
          n % 5 === 0,
          `${format} packet ${n} of domain ${domain}`,
        );
        if (format === 'ipfix') assert.equal(p.readUInt16BE(2), p.length);
      }
      assert.deepEqual([...perDomain.keys()].sort(), [1, 2]);
    }
    // The record writers fill exactly what the templates declare.
    assert.deepEqual(
      V9_TEMPLATES.map((t) => t.recordLength),
      [60, 96],
    );
    assert.deepEqual(
      IPFIX_TEMPLATES.map((t) => t.recordLength),
      [69, 105],
    );
    assert.equal(templateSetLength(V9_TEMPLATES), 4 + 2 * (4 + 17 * 4));
  });

  test('sequence numbers: v9 counts packets, IPFIX counts data records, per domain', () => {
    const { batches } = simulate(2, 3);
    for (const format of ['v9', 'ipfix'] as const) {
      const { packets } = encode(format, batches);
      const next = new Map<number, number>();
      for (const p of packets) {
        const seq = p.readUInt32BE(format === 'v9' ? 12 : 8);
        const domain = p.readUInt32BE(format === 'v9' ? 16 : 12);
        assert.equal(seq, next.get(domain) ?? 0, `${format} domain ${domain}`);
        let data = 0;
        let off = format === 'v9' ? 20 : 16;
        let records = 0;
        while (off < p.length) {
          const id = p.readUInt16BE(off);
          const len = p.readUInt16BE(off + 2);
          const t = (format === 'v9' ? V9_TEMPLATES : IPFIX_TEMPLATES).find((x) => x.id === id);
          if (t) data += (len - 4) / t.recordLength;
          else records += 2;
          off += len;
        }
        assert.equal(off, p.length);
        if (format === 'v9')
          assert.equal(p.readUInt16BE(2), records + data, 'v9 count = templates + data records');
        next.set(domain, (seq + (format === 'v9' ? 1 : data)) >>> 0);
      }
    }
  });

  test('tshark dissects every record, with no malformed packet or warning', async (t) => {
    if (!requireTool(t, 'tshark')) return;
    const dir = tempDir(t);
    const { batches, totals } = simulate(3, 3);
    for (const format of ['v9', 'ipfix'] as const) {
      const { packets } = encode(format, batches);
      const pcap = join(dir, `${format}.pcap`);
      writePcap(
        pcap,
        packets.map((frame, n) => ({ ms: 1_700_000_000_000 + n, frame: udpFrame(frame, 2055) })),
      );
      const args = ['-r', pcap, '-d', 'udp.port==2055,cflow'];
      const expert = await tshark([...args, '-Y', '_ws.malformed || _ws.expert.severity >= warning']);
      assert.equal(expert.trim(), '', `${format}: ${expert.slice(0, 500)}`);
      // The summary line says "partial flow" for a message shorter than its header claims.
      const summary = await tshark(args);
      assert.equal(summary.trim().split('\n').length, packets.length);
      assert.doesNotMatch(summary, /partial|Malformed|Unknown/i);
      const fields = await tshark([...args, '-T', 'fields', '-e', 'cflow.packets', '-e', 'cflow.octets']);
      let flows = 0;
      let pk = 0;
      let by = 0;
      for (const line of fields.split('\n')) {
        if (!line) continue;
        const [a, b] = line.split('\t');
        for (const x of a!.split(',')) {
          flows++;
          pk += Number(x);
        }
        for (const x of b!.split(',')) by += Number(x);
      }
      assert.deepEqual({ flows, packets: pk, bytes: by }, totals, format);
    }
  });

  test('nfcapd takes v9 and IPFIX with no decode or sequence error, and nfdump reads back every flow exactly', async (t) => {
    if (!requireTool(t, 'nfcapd')) return;
    const { batches, totals } = simulate(4, 6);
    const want = expectedLines(batches);
    for (const format of ['v9', 'ipfix'] as const) {
      const dir = tempDir(t);
      const { packets } = encode(format, batches);
      const nf = await startNfcapd(dir);
      await sendUdp(nf.port, packets);
      const file = await nf.stop();
      const log = nf.log();
      assert.match(log, /Sequence Errors: 0, Bad Packets: 0/, log);
      const info = await nfdump(['-I', '-r', file]);
      assert.match(info, /Sequence failures: 0/);
      assert.match(info, new RegExp(`^Flows: ${totals.flows}$`, 'm'));
      assert.match(info, new RegExp(`^Packets: ${totals.packets}$`, 'm'));
      assert.match(info, new RegExp(`^Bytes: ${totals.bytes}$`, 'm'));
      const fmt = 'fmt:%ts|%te|%sa|%da|%sp|%dp|%pr|%flg|%pkt|%byt|%in|%out|%sas|%das|%nh';
      const { stdout } = await execFileP('nfdump', ['-r', file, '-N', '-q', '-6', '-o', fmt], {
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, TZ: 'UTC' },
      });
      const got = stdout
        .split('\n')
        .filter((l) => l)
        .map((l) =>
          l
            .split('|')
            .map((x) => x.trim())
            .join('|'),
        )
        .sort();
      assert.equal(got.length, want.length);
      const diff = got.filter((l, i) => l !== want[i]).slice(0, 3);
      assert.deepEqual(
        diff,
        [],
        `${format}: first differences, nfdump vs ours: ${diff} / ${want.filter((l, i) => l !== got[i]).slice(0, 3)}`,
      );
    }
  });
});
