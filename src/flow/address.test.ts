import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cidrContains,
  formatAddress,
  formatHiLo,
  normalizeAddress,
  parseAddress,
  parseCidr,
  wordsToHiLo,
} from './address.js';

test('IPv4 is held IPv4-mapped and always prints as a dotted quad', () => {
  const w = parseAddress('192.0.2.33')!;
  assert.deepEqual(w, [0, 0, 0xffff, 0xc0000221]);
  assert.equal(formatAddress(w), '192.0.2.33');
  assert.equal(normalizeAddress('::ffff:192.0.2.33'), '192.0.2.33');
  assert.equal(normalizeAddress('::ffff:c000:221'), '192.0.2.33');
});

test('IPv6 prints in RFC 5952 form', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['::', '::'],
    ['::1', '::1'],
    ['FE80::A%eth0', 'fe80::a'],
    ['2001:db8::192.0.2.1', '2001:db8::c000:201'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeAddress(input), want, input);
});

test('invalid addresses are refused', () => {
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.-1',
    '1::2::3',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7:8:9',
    'a.b.c.d',
  ]) {
    assert.equal(parseAddress(bad), undefined, bad);
  }
});

test('hi/lo halves round-trip and order like the addresses', () => {
  for (const a of [
    '0.0.0.0',
    '255.255.255.255',
    '2001:db8::ffff:1',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ]) {
    const [hi, lo] = wordsToHiLo(parseAddress(a)!);
    assert.equal(formatHiLo(hi, lo), normalizeAddress(a));
  }
});

test('CIDRs are inclusive ranges, host bits ignored', () => {
  const c = parseCidr('10.1.2.3/16')!;
  assert.equal(c.text, '10.1.0.0/16');
  assert.equal(c.bits, 112);
  assert.ok(cidrContains(c, parseAddress('10.1.255.255')!));
  assert.ok(cidrContains(c, parseAddress('10.1.0.0')!));
  assert.ok(!cidrContains(c, parseAddress('10.2.0.0')!));
  assert.ok(!cidrContains(c, parseAddress('2001:db8::')!));
  const v6 = parseCidr('2001:db8:abcd::/48')!;
  assert.ok(cidrContains(v6, parseAddress('2001:db8:abcd:ffff::1')!));
  assert.ok(!cidrContains(v6, parseAddress('2001:db8:abce::')!));
  assert.ok(cidrContains(parseCidr('0.0.0.0/0')!, parseAddress('8.8.8.8')!));
  assert.ok(!cidrContains(parseCidr('0.0.0.0/0')!, parseAddress('::1')!), 'IPv4 /0 holds only IPv4');
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('::/129'), undefined);
  assert.equal(parseCidr('10.0.0.0/x'), undefined);
});
