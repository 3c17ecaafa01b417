import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emptyRecord } from '../flow/record.js';
import { readPcapPayloads } from '../testing/datagrams.js';
import { type CliResult, fixture, runCli, tempDir } from '../testing/helpers.js';

const capture = (name: string) => fixture(import.meta.url, `../../decode/testdata/${name}`);

/** Runs `flowhunt decode ARGS`. */
const decode = (args: string[]): Promise<CliResult> => runCli(['decode', ...args]);

test('decode --json prints one object per flow keyed by IPFIX element names', async () => {
  const r = await decode([capture('ipfix_test_mikrotik.pcap'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 46);
  for (const l of lines) assert.deepEqual(Object.keys(l).sort(), Object.keys(emptyRecord()).sort());
  assert.equal(lines[0]!['sourceIPAddress'], '10.10.8.197');
  assert.equal(lines[0]!['exporterIPAddress'], '192.0.2.1');
});

test('decode prints a table and a summary; decode errors go to stderr as "packet N: message", exit 0', async () => {
  const r = await decode([capture('netflow9_test_iptnetflow_reduced_size_encoding.pcap')]);
  assert.equal(r.code, 0);
  const out = r.stdout.trim().split('\n');
  assert.match(out[0]!, /^Date first seen \(UTC\)\s+Duration\s+Proto\s+Src IP Addr:Port/);
  assert.equal(out.length, 1 + 12 + 1);
  assert.match(
    out[1]!,
    /^2018-02-18 05:46:45\.000 8\.996\s+TCP\s+37\.122\.1\.226:27622\s+193\.151\.198\.166:36025/,
  );
  assert.equal(out.at(-1), 'Summary: 12 flows from 1 datagrams, 7 errors');
  const err = r.stderr.trim().split('\n');
  assert.equal(err.length, 7);
  assert.equal(err[0], 'packet 1: no template 259 yet: data set held until it comes');
  assert.equal(err[6], '6 data sets never got their template and were not decoded');
});

test('decode reads an IPFIX file (RFC 5655) and a truncated capture, exit 0', async (t) => {
  const dir = tempDir(t);
  const payloads = readPcapPayloads(readFileSync(capture('ipfix_test_mikrotik.pcap'))).map((p) => p.payload);
  const ipfix = join(dir, 'flows.ipfix');
  writeFileSync(ipfix, Buffer.concat(payloads));
  const a = await decode([ipfix, '--json']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout.trim().split('\n').length, 46);
  const whole = readFileSync(capture('ipfix_test_mikrotik.pcap'));
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 10));
  const b = await decode([cut, '--json']);
  assert.equal(b.code, 0);
  assert.equal(b.stderr, 'packet 3: file ends inside a packet (truncated capture)\n');
  assert.equal(b.stdout.trim().split('\n').length, 28);
});

test('decode of a file that is not a capture exits 1 with one line', async (t) => {
  const file = join(tempDir(t), 'x.csv');
  writeFileSync(file, 'srcaddr,dstaddr\n1.2.3.4,5.6.7.8\n');
  const r = await decode([file]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `flowhunt: ${file} is not a pcap, pcapng or IPFIX file\n`);
  const missing = await decode([join(tempDir(t), 'nope.pcap')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^flowhunt: cannot read .*nope\.pcap: ENOENT\n$/);
});
