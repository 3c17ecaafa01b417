import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duckDialect } from '../duckdb/index.js';
import { inline, numbered, raw, sql } from '../sql.js';
import type { Dialect } from '../types.js';
import { compileFilter } from './index.js';

const duck = (f: string) => inline(compileFilter(f, duckDialect), 'duckdb');

test('compile: comparisons, lists and boolean structure', () => {
  assert.equal(duck('port 22'), '(sport = 22 OR dport = 22)');
  assert.equal(duck('src port > 1024'), 'sport > 1024');
  assert.equal(duck('dst port in [22, 23 22]'), 'dport IN (22, 23)', 'duplicates dropped');
  assert.equal(duck('packets >= 1k'), 'packets >= 1000');
  assert.equal(duck('proto udp'), 'proto = 17');
  assert.equal(duck('if 3'), '(in_if = 3 OR out_if = 3)');
  assert.equal(duck('as 65000'), '(src_as = 65000 OR dst_as = 65000)');
  assert.equal(duck('not tcp and (udp or any)'), '((NOT proto = 6) AND (proto = 17 OR (1 = 1)))');
  assert.equal(duck(''), '(1 = 1)');
});

test('compile: an address or network is a range on the two 64-bit halves', () => {
  // 10.1.0.0/16 is ::ffff:10.1.0.0/112: high half 0, low half 0x0000ffff0a010000..0x0000ffff0a01ffff.
  assert.equal(
    duck('src net 10.1.0.0/16'),
    `(src_hi = 0 AND src_lo >= ${0xffff0a010000} AND src_lo <= ${0xffff0a01ffff})`,
  );
  assert.equal(duck('dst ip 10.1.2.3'), `(dst_hi = 0 AND dst_lo = ${0xffff0a010203})`);
  // A prefix shorter than 64 bits bounds the high half alone.
  assert.equal(
    duck('src net 2001:db8::/32'),
    `(src_hi >= ${0x20010db8n << 32n} AND src_hi <= ${(0x20010db8n << 32n) | 0xffffffffn})`,
  );
  // Exactly 64 bits: the high half is fixed, the low one is free.
  assert.equal(
    duck('src net 2001:db8::/64'),
    `(src_hi = ${0x20010db8n << 32n} AND src_lo >= 0 AND src_lo <= 18446744073709551615)`,
  );
  assert.equal(duck('net ::/0'), '((1 = 1) OR (1 = 1))');
  assert.equal(
    duck('ip in [10.0.0.1 ::1]'),
    `((src_hi = 0 AND src_lo = ${0xffff0a000001}) OR (src_hi = 0 AND src_lo = 1) OR ` +
      `(dst_hi = 0 AND dst_lo = ${0xffff0a000001}) OR (dst_hi = 0 AND dst_lo = 1))`,
  );
  assert.equal(duck('next ip 10.0.0.1'), `(nexthop_hi = 0 AND nexthop_lo = ${0xffff0a000001})`);
  assert.equal(duck('exporter ip 10.0.0.1'), `(exporter_hi = 0 AND exporter_lo = ${0xffff0a000001})`);
});

test('compile: IPv6 halves beyond 2^53 stay exact (bigint parameters)', () => {
  const q = numbered(compileFilter('src ip ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', duckDialect));
  assert.deepEqual(q.values, [0xffffffffffffffffn, 0xfffffffffffffffen]);
});

test('compile: flags imply TCP and use the dialect bitwise AND', () => {
  assert.equal(duck('flags SA'), '(proto = 6 AND (flags & 18) = 18)');
  assert.equal(duck('flags 2'), '(proto = 6 AND flags = 2)');
  const ch: Dialect = {
    ...duckDialect,
    engine: 'clickhouse',
    bitAnd: (c, v) => sql`bitAnd(${raw(c)}, ${v})`,
  };
  assert.equal(inline(compileFilter('flags S', ch)), '(proto = 6 AND bitAnd(flags, 2) = 2)');
});

test('compile: every value from the filter is a parameter, never part of the SQL text', () => {
  const filters = [
    'src ip 10.9.8.7 and dst net 2001:db8::/48',
    'port in [22 2375] or packets > 7k or bytes < 1234',
    'flags SA and tos 184 and in if 7 and out if 9 and src as 64512 and dst as 65001',
    'next ip 192.0.2.3 or router ip 198.51.100.7 or inet or inet6 or proto 47',
  ];
  for (const f of filters) {
    const { text, values } = numbered(compileFilter(f, duckDialect));
    const rest = text.replace(/\$\d+/g, '').replace(/\(1 = 1\)/g, '');
    assert.doesNotMatch(rest, /\d/, `${f}: ${text}`);
    assert.ok(values.length > 0);
  }
});
