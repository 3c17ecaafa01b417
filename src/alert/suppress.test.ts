import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { genuineReports } from '../testing/reports.js';
import { covers, ruleId, type SuppressionRule, Suppressor } from './suppress.js';

const T = Date.parse('2026-11-20T10:00:00Z');
const orgOf = (ip: string) =>
  ip.startsWith('140.114.') ? 'Campus B' : ip.startsWith('2001:db8:a:') ? 'Campus A' : undefined;

function rule(r: Partial<SuppressionRule>): SuppressionRule {
  const body = { cidr: '140.114.0.0/16', by: 'NOC', why: 'test', created: T, ...r };
  return { id: ruleId(body), ...body };
}

test('a rule covers the addresses of its prefix, of its type and organisation, from its creation until its expiry', () => {
  const ddos = { ip: '140.114.9.9', type: 'ddos-victim' as const };
  assert.ok(covers(rule({}), ddos, orgOf, T));
  assert.ok(!covers(rule({}), { ...ddos, ip: '140.115.9.9' }, orgOf, T), 'outside the prefix');
  assert.ok(!covers(rule({}), ddos, orgOf, T - 1), 'before it was made');
  assert.ok(covers(rule({ expires: T + 1000 }), ddos, orgOf, T + 999));
  assert.ok(!covers(rule({ expires: T + 1000 }), ddos, orgOf, T + 1000), 'expired at its expiry');
  assert.ok(covers(rule({ type: 'ddos-victim' }), ddos, orgOf, T));
  assert.ok(!covers(rule({ type: 'flood' }), ddos, orgOf, T), 'another type');
  assert.ok(covers(rule({ org: 'Campus B' }), ddos, orgOf, T));
  assert.ok(!covers(rule({ org: 'Campus A' }), ddos, orgOf, T), 'another organisation');
  assert.ok(covers(rule({ cidr: '140.114.9.9/32' }), ddos, orgOf, T));
  // IPv6 prefixes, and no IPv4 address inside an IPv6 rule or the other way round.
  const v6 = { ip: '2001:db8:a:1::7', type: 'service-scan' as const };
  assert.ok(covers(rule({ cidr: '2001:db8:a::/48' }), v6, orgOf, T));
  assert.ok(!covers(rule({ cidr: '2001:db8:b::/48' }), v6, orgOf, T));
  assert.ok(!covers(rule({ cidr: '2001:db8:a::/48' }), ddos, orgOf, T));
  assert.ok(!covers(rule({}), v6, orgOf, T));
});

test('rule ids are partition names that sort in creation order, and differ for different rules', () => {
  const a = rule({});
  const b = rule({ created: T + 1 });
  const c = rule({ why: 'another reason' });
  assert.match(a.id, /^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$/);
  assert.ok(a.id < b.id);
  assert.notEqual(a.id, c.id);
});

test('rules that cannot be read suppress nothing: every report is alerted, and that is said once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhunt-suppress-'));
  const s = await DuckFlowStore.open(join(dir, 'data'));
  try {
    const [reports] = await genuineReports(1);
    const body = { cidr: '0.0.0.0/0', by: 'NOC', why: 'everything', created: 0 };
    await s.putDocs('suppressions', ruleId(body), [{ id: ruleId(body), ...body }]);
    const said: string[] = [];
    const sup = new Suppressor(
      s,
      () => undefined,
      Date.now,
      (m) => said.push(m),
    );
    assert.deepEqual(
      await sup.apply(reports!),
      reports!.filter((r) => r.ip.includes(':')),
    );
    // The rules' directory replaced by a file: they cannot be read.
    rmSync(join(dir, 'data', 'docs', 'suppressions'), { recursive: true });
    writeFileSync(join(dir, 'data', 'docs', 'suppressions'), 'not a directory');
    assert.deepEqual(await sup.apply(reports!), reports);
    assert.equal(said.length, 1);
    assert.match(said[0]!, /^suppression rules cannot be read, alerting every report: /);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
