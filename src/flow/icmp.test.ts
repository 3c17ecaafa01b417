import assert from 'node:assert/strict';
import { test } from 'node:test';
import { icmpCode, icmpName, icmpPort, icmpType, isIcmp, PROTO_ICMPV6 } from './icmp.js';

test('the port of an ICMP message is type*256 + code, read back as type and code', () => {
  assert.equal(icmpPort(8, 0), 2048);
  assert.equal(icmpPort(3, 3), 0x0303);
  assert.equal(icmpType(0x0303), 3);
  assert.equal(icmpCode(0x0303), 3);
  assert.equal(icmpType(2048), 8);
  assert.equal(icmpCode(2048), 0);
  assert.equal(isIcmp(1), true);
  assert.equal(isIcmp(58), true);
  assert.equal(isIcmp(6), false);
});

test('ICMP messages are named as people know them', () => {
  assert.equal(icmpName(icmpPort(8, 0)), 'echo-request');
  assert.equal(icmpName(icmpPort(0, 0)), 'echo-reply');
  assert.equal(icmpName(icmpPort(3, 3)), 'dest-unreachable/port');
  assert.equal(icmpName(icmpPort(3, 1)), 'dest-unreachable/host');
  assert.equal(icmpName(icmpPort(3, 13)), 'dest-unreachable/admin-prohibited');
  assert.equal(icmpName(icmpPort(11, 0)), 'time-exceeded/ttl');
  assert.equal(icmpName(icmpPort(8, 5)), 'echo-request/code-5');
  assert.equal(icmpName(icmpPort(3, 99)), 'dest-unreachable/code-99');
  assert.equal(icmpName(icmpPort(200, 1)), 'type-200/code-1');
});

test('ICMPv6 has its own numbers', () => {
  assert.equal(icmpName(icmpPort(128, 0), PROTO_ICMPV6), 'echo-request');
  assert.equal(icmpName(icmpPort(129, 0), PROTO_ICMPV6), 'echo-reply');
  assert.equal(icmpName(icmpPort(1, 4), PROTO_ICMPV6), 'dest-unreachable/port');
  assert.equal(icmpName(icmpPort(135, 0), PROTO_ICMPV6), 'neighbor-solicitation');
  // Type 8 is echo-request in ICMP, unassigned in ICMPv6.
  assert.equal(icmpName(icmpPort(8, 0), PROTO_ICMPV6), 'type-8/code-0');
});
