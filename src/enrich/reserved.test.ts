import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAddress } from '../flow/address.js';
import { RESERVED_RANGES, reservedRange } from './reserved.js';

test('reserved: every range holds its first and last address, IPv4 and IPv6', () => {
  assert.equal(RESERVED_RANGES.length, 26);
  for (const r of RESERVED_RANGES) {
    for (const w of [r.cidr.first, r.cidr.last]) {
      const ip = formatAddress(w);
      assert.equal(reservedRange(ip), r, `${ip} is in ${r.cidr.text}`);
    }
  }
});

test('reserved: the kinds of well-known addresses, and routable neighbours of the ranges are not reserved', () => {
  const kind = (ip: string) => reservedRange(ip)?.kind;
  assert.equal(kind('192.168.1.1'), 'private');
  assert.equal(kind('10.1.2.3'), 'private');
  assert.equal(kind('172.31.255.255'), 'private');
  assert.equal(kind('100.64.0.1'), 'cgnat');
  assert.equal(kind('127.0.0.1'), 'loopback');
  assert.equal(kind('169.254.169.254'), 'link-local');
  assert.equal(kind('192.0.2.1'), 'documentation');
  assert.equal(kind('198.51.100.7'), 'documentation');
  assert.equal(kind('203.0.113.9'), 'documentation');
  assert.equal(kind('198.19.0.1'), 'benchmarking');
  assert.equal(kind('224.0.0.251'), 'multicast');
  assert.equal(kind('255.255.255.255'), 'reserved');
  assert.equal(kind('0.1.2.3'), 'this-network');
  assert.equal(kind('::'), 'this-network');
  assert.equal(kind('::1'), 'loopback');
  assert.equal(kind('fe80::1'), 'link-local');
  assert.equal(kind('fd12:3456::1'), 'private');
  assert.equal(kind('2001:db8::1'), 'documentation');
  assert.equal(kind('3fff:fff::1'), 'documentation');
  assert.equal(kind('ff02::1:ff00:1'), 'multicast');
  // IPv4-mapped IPv6 addresses are judged by their IPv4 address.
  assert.equal(kind('::ffff:192.168.1.1'), 'private');
  assert.equal(kind('::ffff:8.8.8.8'), undefined);
  for (const ip of [
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.255',
    '192.0.3.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '203.0.112.255',
    '223.255.255.255',
    '8.8.8.8',
    '1.1.1.1',
    '2001:200::1',
    '2001:4860:4860::8888',
    '2001:db7:ffff::1',
    '2001:db9::1',
    '2400:cb00::1',
    '3ffe:ffff::1',
    '3fff:1000::1',
    '4000::1',
    'fbff::1',
  ])
    assert.equal(reservedRange(ip), undefined, ip);
  assert.equal(reservedRange('not an address'), undefined);
});
