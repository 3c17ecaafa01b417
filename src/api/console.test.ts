/**
 * The operator console's API (issue #17): the mission path (alert ->
 * signatures -> members -> host -> family), the alert workflow (marks,
 * suppression rules honoured by the detector's alerting, episodes), exports
 * from lists, and a dashboard cache that shows what the store holds — each
 * new route with its campus-token scoping.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Alerter } from '../alert/index.js';
import { alertWindow, ruleId, type SuppressionRule, Suppressor } from '../alert/suppress.js';
import { loadConfig } from '../config.js';
import type { Report } from '../detect/report.js';
import { windowId } from '../detect/report.js';
import { DetectScheduler } from '../detect/scheduler.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { FlowBatch } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { compileFilter } from '../store/filter/index.js';
import type { DocKind, FlowStore } from '../store/types.js';
import { type Dataset, MEMBERS, makeDataset, scratchDir, TOKENS } from '../testing/api.js';
import { type InjectedApi, injectApi, type Json } from '../testing/inject.js';
import { labelledWindow, WIN } from '../testing/windows.js';
import { ROUTES, registerApi } from './index.js';

let ds: Dataset;
let api: InjectedApi;
let app: FastifyInstance;
let store: DuckFlowStore;
let scratch: ReturnType<typeof scratchDir>;

before(async () => {
  scratch = scratchDir();
  ds = await makeDataset(scratch.dir);
  // Every request sees what the store holds now (the cache's refresh has its own test below).
  api = await injectApi(scratch.dir, ds, { ttlMs: 0 });
  ({ app, store } = api);
});

after(async () => {
  await api.close();
  scratch.remove();
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, body?: object) =>
  api.call(method, url, token, body);
const get = (url: string, token: string = TOKENS.admin) => call('GET', url, token);

const ddos = () => ds.reports.filter((r) => r.ip === '140.114.9.9' && r.type === 'ddos-victim');
const brute = () => ds.reports.find((r) => r.ip === '198.18.7.7' && r.role === 'source')!;

describe('the mission path', () => {
  test('an attacker alert names its signatures; the signature lists its members; a member its family', async () => {
    const alert = (await get(`/api/reports/${brute().id}`)).json();
    assert.deepEqual(
      alert.signatures.map((s: { signature: string }) => s.signature),
      ['22-4-240'],
    );
    // A victim has no signatures: the catalog is learned from attackers.
    assert.deepEqual((await get(`/api/reports/${ddos()[0]!.id}`)).json().signatures, []);
    // The signature's members, the paper's table: targets, flows, source ports per host and day.
    const members = (await get('/api/findings?signature=22-4-240&limit=1000')).json();
    const all = [...MEMBERS.campusA, ...MEMBERS.campusB, ...MEMBERS.outside, '198.18.7.7'];
    assert.deepEqual(members.items.map((f: { ip: string }) => f.ip).sort(), all.sort());
    const m0 = members.items.find((f: { ip: string }) => f.ip === MEMBERS.campusA[0]);
    // The first member has 4 targets, one flow and one source port each (testing.ts memberFlows).
    assert.deepEqual([m0.day, m0.destinations, m0.flows, m0.sourcePorts], [ds.day, 4, 4, 4]);
    const host = (await get(`/api/ip/${MEMBERS.campusA[0]}`)).json();
    assert.ok(host.family, 'a member has a family');
    const fams = (await get(`/api/families?ip=${MEMBERS.campusA[0]}`)).json();
    assert.equal(fams.total, 1);
    assert.equal(fams.items[0].id, host.family.id);
    assert.equal(fams.items[0].size, host.family.size);
    assert.ok(fams.items[0].members.includes(MEMBERS.campusA[0]));
  });

  test('Campus B sees its members of the family and of the signature, nothing else', async () => {
    const b = TOKENS.campusB;
    const host = (await get(`/api/ip/${MEMBERS.campusB[0]}`, b)).json();
    assert.equal(host.family.size, MEMBERS.campusB.length);
    const members = (await get('/api/findings?signature=22-4-240', b)).json();
    assert.deepEqual(members.items.map((f: { ip: string }) => f.ip).sort(), [...MEMBERS.campusB].sort());
    assert.equal((await get(`/api/families?ip=${MEMBERS.campusA[0]}`, b)).json().total, 0);
    assert.equal((await get(`/api/reports/${brute().id}`, b)).status, 403);
  });
});

describe('alert workflow', () => {
  test('every write route needs a valid token', async () => {
    const writes = ROUTES.filter((r) => r.method && r.method !== 'GET');
    assert.deepEqual(writes.map((r) => `${r.method} ${r.path}`).sort(), [
      'DELETE /api/suppressions/:id',
      'POST /api/reports/:window/:role/:ip/mark',
      'POST /api/suppressions',
    ]);
    const url: Record<string, string> = {
      '/api/suppressions/:id': '/api/suppressions/x',
      '/api/reports/:window/:role/:ip/mark': `/api/reports/${ddos()[0]!.id}/mark`,
      '/api/suppressions': '/api/suppressions',
    };
    for (const r of writes)
      for (const headers of [{}, { authorization: `Bearer ${TOKENS.admin}x` }]) {
        const res = await app.inject({
          method: r.method!,
          url: url[r.path]!,
          headers,
          payload: { why: 'x' },
        });
        assert.equal(res.statusCode, 401, `${r.method} ${r.path}`);
      }
    assert.equal((await get('/api/suppressions')).json().total, 0);
  });

  test('episodes: one row per host, role and anomaly with its windows; filters by type, port, country, org', async () => {
    const eps = (await get('/api/episodes?limit=1000')).json();
    const events = new Set(ds.reports.map((r) => `${r.role}|${r.ip}|${r.type}|${r.duration.firstWindow}`));
    assert.equal(eps.total, events.size);
    const victim = eps.items.find((e: Json) => e.ip === '140.114.9.9' && e.type === 'ddos-victim');
    assert.deepEqual(
      victim.windows,
      ddos().map((r) => r.windowStart),
    );
    assert.equal(victim.latest, ddos().at(-1)!.id);
    const byType = (await get('/api/episodes?type=ddos-victim')).json();
    assert.ok(byType.items.every((e: Json) => e.type === 'ddos-victim'));
    assert.ok(byType.total >= 1);
    const ssh = (await get('/api/reports?port=22&limit=1000')).json();
    assert.ok(ssh.items.some((r: Json) => r.ip === '198.18.7.7'));
    assert.ok(ssh.items.every((r: Json) => r.ports.includes(22)));
    assert.ok(ssh.total < ds.reports.length);
    const b = (await get('/api/episodes?limit=1000', TOKENS.campusB)).json();
    assert.ok(b.items.length > 0 && b.items.every((e: Json) => e.org === 'Campus B'));
    assert.equal((await get('/api/episodes?org=Campus%20A', TOKENS.campusB)).status, 403);
    assert.equal((await get('/api/episodes?country=TWN')).status, 400);
    // Countries from the geo look-up (the fixture's reports are stored without one).
    const tw = (await get('/api/episodes?country=tw&limit=1000')).json();
    assert.ok(tw.items.some((e: Json) => e.ip === '140.114.9.9'));
    assert.ok(tw.items.every((e: Json) => e.country === 'TW'));
    assert.ok(tw.total < eps.total);
    // The mitigation sentence in the reader's language.
    const zh = (await get(`/api/reports/${ddos()[0]!.id}?lang=zh-TW`)).json();
    assert.match(zh.mitigation, /140\.114\.9\.9/);
    assert.doesNotMatch(zh.mitigation, /Filter or rate-limit/);
  });

  test('a report is acknowledged, marked a false positive, opened again; a campus token only its own', async () => {
    const own = ddos()[0]!;
    const url = `/api/reports/${own.id}/mark`;
    const ack = await call('POST', url, TOKENS.campusB, { state: 'acknowledged', note: 'on it' });
    assert.equal(ack.status, 200, ack.body);
    let row = (await get(`/api/reports?ip=140.114.9.9&limit=100`, TOKENS.campusB))
      .json()
      .items.find((r: Json) => r.id === own.id);
    assert.deepEqual(
      [row.mark.state, row.mark.by, row.mark.note],
      ['acknowledged', 'Campus B admin', 'on it'],
    );
    await call('POST', url, TOKENS.admin, { state: 'false-positive' });
    assert.equal((await get(`/api/reports/${own.id}`)).json().mark.state, 'false-positive');
    await call('POST', url, TOKENS.admin, { state: 'open' });
    row = (await get(`/api/reports?ip=140.114.9.9&limit=100`))
      .json()
      .items.find((r: Json) => r.id === own.id);
    assert.equal(row.mark, undefined);
    // Someone else's report, a report that does not exist, a state that does not.
    const other = await call('POST', `/api/reports/${brute().id}/mark`, TOKENS.campusB, {
      state: 'acknowledged',
    });
    assert.equal(other.status, 403);
    assert.equal((await get(`/api/reports/${brute().id}`)).json().mark, undefined);
    const none = await call('POST', '/api/reports/2000-01-01T00-00/source/140.114.1.1/mark', TOKENS.campusB, {
      state: 'acknowledged',
    });
    assert.equal(none.status, 404);
    const bad = await call('POST', url, TOKENS.campusB, { state: 'done' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /state/);
  });

  test('a write with a body that is not a JSON object gets one 400 line and stores nothing', async () => {
    for (const [payload, type] of [
      ['{"ip": "140.114.9.9", "why": ', 'application/json'],
      ['[1, 2]', 'application/json'],
      ['"140.114.9.9"', 'application/json'],
      ['ip=140.114.9.9&why=x', 'application/x-www-form-urlencoded'],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/suppressions',
        headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': type },
        payload,
      });
      assert.ok(r.statusCode === 400 || r.statusCode === 415, `${payload}: ${r.statusCode} ${r.body}`);
      const body = r.json();
      assert.equal(typeof body.message, 'string');
      assert.ok(!/\n|at .*\.js/.test(body.message), body.message);
    }
    assert.equal((await get('/api/suppressions')).json().total, 0);
  });

  test('suppression rules: a campus token writes and sees only rules about its own networks', async () => {
    const b = TOKENS.campusB;
    const refused: [object, number][] = [
      [{ ip: MEMBERS.campusA[0], why: 'not ours' }, 403],
      [{ ip: '140.0.0.0/8', why: 'too wide: holds Campus A' }, 403],
      [{ ip: '8.8.8.8', why: 'nobody owns it' }, 403],
      [{ ip: '140.114.9.9', org: 'Campus A', why: 'another org' }, 403],
      [{ ip: '140.114.9.9' }, 400],
      [{ ip: '140.114.9.9', why: ' ' }, 400],
      [{ ip: 'not-an-ip', why: 'x' }, 400],
      [{ ip: '140.114.9.9', why: 'x', expires: '2001-01-01' }, 400],
      [{ ip: '140.114.9.9', why: 'x', type: 'no-such-type' }, 400],
      [{ ip: '140.114.9.9', why: 'x', extra: 1 }, 400],
    ];
    for (const [body, status] of refused) {
      const r = await call('POST', '/api/suppressions', b, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.body}`);
      assert.ok(r.json().message.length > 0);
    }
    assert.equal((await get('/api/suppressions')).json().total, 0, 'nothing half stored');
    const made = await call('POST', '/api/suppressions', b, {
      ip: '140.114.9.9',
      type: 'ddos-victim',
      why: 'our load test',
      expires: '2099-01-01T00:00:00Z',
    });
    assert.equal(made.status, 201, made.body);
    const rule = made.json();
    assert.deepEqual(
      [rule.cidr, rule.by, rule.type, rule.expires],
      ['140.114.9.9/32', 'Campus B admin', 'ddos-victim', Date.parse('2099-01-01T00:00:00Z')],
    );
    const lab = (
      await call('POST', '/api/suppressions', TOKENS.admin, { ip: '198.18.0.0/15', why: 'lab' })
    ).json();
    assert.deepEqual(
      (await get('/api/suppressions', b)).json().items.map((r: Json) => r.id),
      [rule.id],
    );
    assert.equal((await get('/api/suppressions', TOKENS.campusA)).json().total, 0);
    assert.equal((await get('/api/suppressions')).json().total, 2);
    // Campus A may not remove Campus B's rule, nor B the lab's; the admin may remove any.
    assert.equal((await call('DELETE', `/api/suppressions/${rule.id}`, TOKENS.campusA)).status, 404);
    assert.equal((await call('DELETE', `/api/suppressions/${lab.id}`, b)).status, 404);
    assert.equal((await call('DELETE', `/api/suppressions/${lab.id}`, TOKENS.admin)).status, 200);
    assert.equal((await call('DELETE', `/api/suppressions/${rule.id}`, b)).status, 200);
    assert.equal((await get('/api/suppressions')).json().total, 0);
  });
});

describe('exports from lists', () => {
  test("a signature's members and a family as CSV with ISO 8601 times, blocklist and STIX; scoped", async () => {
    const csv = (await get('/api/exports/findings?signature=22-4-240&format=csv')).body.trim().split('\n');
    const head = csv[0]!.split(',');
    const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
    const all = [...MEMBERS.campusA, ...MEMBERS.campusB, ...MEMBERS.outside, '198.18.7.7'];
    assert.deepEqual(rows.map((r) => r['ip']).sort(), [...all].sort());
    for (const r of rows) {
      assert.match(r['firstSeen']!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(r['firstSeen']!.slice(0, 10), ds.day);
    }
    const host = (await get(`/api/ip/${MEMBERS.campusA[0]}`)).json();
    const fam = (await get(`/api/families?ip=${MEMBERS.campusA[0]}`)).json().items[0];
    const famList = (await get(`/api/exports/findings?family=${host.family.id}&format=blocklist`)).body;
    assert.deepEqual(famList.trim().split('\n').sort(), [...fam.members].sort());
    const stix = (await get(`/api/exports/suspects?family=${host.family.id}&format=stix`)).json();
    assert.equal(stix.objects.filter((o: Json) => o.type === 'indicator').length, fam.members.length);
    // Campus B: its own members of the same family only.
    const b = (await get(`/api/exports/findings?family=${host.family.id}&format=blocklist`, TOKENS.campusB))
      .body;
    assert.equal(b, `${[...MEMBERS.campusB].sort().join('\n')}\n`);
    assert.equal((await get('/api/exports/findings?family=999999')).status, 404);
    // The alert list's port and country filters export as they list.
    const ssh = (await get('/api/exports/reports?format=json&port=22')).json();
    assert.deepEqual(
      ssh.map((r: Json) => r.id).sort(),
      (await get('/api/reports?port=22&limit=1000'))
        .json()
        .items.map((r: Json) => r.id)
        .sort(),
    );
    assert.equal((await get('/api/exports/findings?port=22')).status, 400);
    // Reports too: ISO times.
    const rep = (await get('/api/exports/reports?format=csv&type=ddos-victim')).body.split('\n');
    assert.match(rep[1]!, /,\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z,/);
  });

  test("a DDoS victim's attackers (from the flows) as a blocklist, and Flowspec and RTBH lines; scoped", async () => {
    const victim = ddos()[0]!;
    const truth = new Set(
      labelledWindow(ds.w0, 1)
        .flows.filter((f) => f.destinationIPAddress === '140.114.9.9')
        .map((f) => f.sourceIPAddress),
    );
    const list = (await get(`/api/reports/${victim.id}/attackers?format=blocklist`, TOKENS.campusB)).body;
    assert.deepEqual(new Set(list.trim().split('\n')), truth);
    const stix = (await get(`/api/reports/${victim.id}/attackers?format=stix`)).json();
    assert.equal(stix.objects.filter((o: Json) => o.type === 'indicator').length, truth.size);
    const csv = (await get(`/api/reports/${victim.id}/attackers`)).body.split('\n');
    assert.equal(csv[0], 'ip,flows,packets,bytes,firstSeen,lastSeen');
    const mit = await get(`/api/reports/${victim.id}/mitigation`, TOKENS.campusB);
    assert.match(String(mit.headers['content-type']), /^text\/plain/);
    const lines = mit.body.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, [
      'announce flow route { match { destination 140.114.9.9/32; protocol tcp; destination-port =80; } then { discard; } }',
      'announce route 140.114.9.9/32 next-hop 192.0.2.1 community [65535:666]',
    ]);
    const hop = (await get(`/api/reports/${victim.id}/mitigation?nextHop=198.51.100.66`)).body;
    assert.match(
      hop,
      /^announce route 140\.114\.9\.9\/32 next-hop 198\.51\.100\.66 community \[65535:666\]$/m,
    );
    assert.equal((await get(`/api/reports/${victim.id}/mitigation?nextHop=nope`)).status, 400);
    const refl = ds.reports.find((r) => r.type === 'reflection-victim')!;
    const rl = (await get(`/api/reports/${refl.id}/mitigation`)).body.split('\n');
    assert.ok(
      rl.includes(
        `announce flow route { match { destination ${refl.ip}/32; protocol udp; source-port =123; } then { discard; } }`,
      ),
      rl.join('\n'),
    );
    // Another campus's victim, an attacker's report.
    assert.equal((await get(`/api/reports/${victim.id}/attackers`, TOKENS.campusA)).status, 403);
    assert.equal((await get(`/api/reports/${victim.id}/mitigation`, TOKENS.campusA)).status, 403);
    assert.equal((await get(`/api/reports/${brute().id}/mitigation`)).status, 400);
  });
});

describe('suppression in the detector', () => {
  test('a suppressed report is stored and listed as suppressed but never reaches the alerter', async () => {
    const t = scratchDir();
    const s = await DuckFlowStore.open(join(t.dir, 'data'));
    try {
      const w0 = Date.parse('2026-11-20T10:00:00Z');
      for (let w = 0; w < 2; w++) {
        const b = new FlowBatch(1 << 16);
        for (const f of labelledWindow(w0 + w * WIN, w + 1).flows) b.push(f);
        await s.append(b);
      }
      await s.flush();
      const body: Omit<SuppressionRule, 'id'> = {
        cidr: '140.114.0.0/16',
        type: 'ddos-victim',
        by: 'NOC',
        why: 'a load test',
        created: w0,
      };
      await s.putDocs('suppressions', ruleId(body), [{ id: ruleId(body), ...body }]);
      const now = w0 + 2 * WIN + 60_000;
      const alerter = await Alerter.open(
        { webhook: { url: 'http://127.0.0.1:9/hook' } },
        { dataDir: t.dir, log: () => undefined, now: () => now },
      );
      const alerting = alertWindow(
        new Suppressor(
          s,
          () => undefined,
          () => now,
        ),
        alerter,
      );
      const alerted: string[] = [];
      const kept: Report[] = [];
      const sched = new DetectScheduler(s, {
        thresholds: defaultThresholds(),
        graceMs: 60_000,
        now: () => now,
        onWindow: async (w) => {
          const r = await alerting(w.reports);
          kept.push(...r.kept);
          alerted.push(...(r.alerted ?? []).map((q) => q.reportId));
        },
      });
      await sched.catchUp();
      await alerter.stop();
      const stored = (await s.getDocs<Report>('reports')).flatMap((p) => p.docs);
      const victim = stored.filter((r) => r.ip === '140.114.9.9' && r.type === 'ddos-victim');
      assert.equal(victim.length, 2, 'stored in both windows');
      assert.ok(alerted.length > 0, 'other anomalies are alerted');
      assert.ok(!alerted.some((id) => id.endsWith('/140.114.9.9')), 'the victim is not alerted');
      assert.equal(kept.length, stored.length - 2);
      const suppressed = (await s.getDocs<{ reportId: string; rule: string }>('suppressed')).flatMap(
        (p) => p.docs,
      );
      assert.deepEqual(
        suppressed.map((x) => x.reportId),
        victim.map((r) => r.id),
      );
      assert.deepEqual(
        (await s.getDocs('suppressed')).map((p) => p.partition),
        [windowId(w0), windowId(w0 + WIN)],
      );
    } finally {
      await s.close();
      t.remove();
    }
  });
});

describe('traffic over time', () => {
  test('per window, summed in the engine: the store totals of each window, all or one campus', async () => {
    const from = new Date(ds.w0).toISOString();
    const to = new Date(ds.w0 + 2 * WIN).toISOString();
    const all = (await get(`/api/traffic?from=${from}&to=${to}`)).json();
    assert.equal(all.bucketMs, WIN);
    assert.deepEqual(
      all.points.map((x: Json) => x.t),
      [ds.w0, ds.w0 + WIN],
    );
    const campusB = compileFilter('net 140.114.0.0/16', store.dialect);
    for (const [i, x] of all.points.entries()) {
      const w = { from: ds.w0 + i * WIN, to: ds.w0 + (i + 1) * WIN };
      assert.deepEqual({ flows: x.flows, packets: x.packets, bytes: x.bytes }, await store.totals(w));
      assert.ok(x.flows > 20_000, 'the DDoS alone is 20,000 flows a window');
    }
    // Campus B's token: the flows with an address in its space (the DDoS on its victim, its members).
    const b = (await get(`/api/traffic?from=${from}&to=${to}`, TOKENS.campusB)).json();
    for (const [i, x] of b.points.entries()) {
      const w = { from: ds.w0 + i * WIN, to: ds.w0 + (i + 1) * WIN, where: campusB };
      assert.deepEqual({ flows: x.flows, packets: x.packets, bytes: x.bytes }, await store.totals(w));
    }
    // Asked again (now from the cache: both windows closed long ago), the same.
    assert.deepEqual((await get(`/api/traffic?from=${from}&to=${to}`)).json(), all);
    assert.equal((await get(`/api/traffic?org=Campus%20A`, TOKENS.campusB)).status, 403);
    assert.equal((await get(`/api/traffic?from=${to}&to=${from}`)).status, 400);
    assert.equal((await get('/api/traffic?from=2020-01-01&bucket=window')).status, 400);
  });
});

describe('the global time range', () => {
  test('families and suspects keep the members found on the days asked for, in the token scope', async () => {
    const next = new Date(Date.parse(`${ds.day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    for (const token of [TOKENS.admin, TOKENS.campusB]) {
      const all = (await get('/api/families?limit=100', token)).json();
      assert.ok(all.total > 0);
      assert.deepEqual((await get(`/api/families?limit=100&from=${ds.day}&to=${ds.day}`, token)).json(), all);
      assert.equal((await get(`/api/families?from=${next}`, token)).json().total, 0);
      assert.equal((await get(`/api/families?to=2020-01-01`, token)).json().total, 0);
      const suspects = (await get('/api/suspects?limit=1000', token)).json();
      assert.ok(suspects.total > 0);
      assert.deepEqual(
        (await get(`/api/suspects?limit=1000&from=${ds.day}&to=${ds.day}`, token)).json(),
        suspects,
      );
      assert.equal((await get(`/api/suspects?from=${next}`, token)).json().total, 0);
    }
    const b = (await get(`/api/families?from=${ds.day}&to=${ds.day}`, TOKENS.campusB)).json();
    assert.deepEqual(b.items.flatMap((f: Json) => f.members).sort(), [...MEMBERS.campusB].sort());
    const bs = (await get(`/api/suspects?limit=1000&from=${ds.day}&to=${ds.day}`, TOKENS.campusB)).json();
    assert.ok(bs.items.every((s: Json) => s.org === 'Campus B'));
    assert.equal((await get(`/api/families?from=${next}&to=${ds.day}`)).status, 400);
    assert.equal((await get(`/api/suspects?from=${next}&to=${ds.day}`)).status, 400);
  });
});

describe('the dashboard cache', () => {
  test('a restart reads the closed days of reports from one document a day, the same rows, a rewritten window read again', async () => {
    // Three old days of alerts (copies of the dataset's), as a detector running then would have written.
    const old = ['2026-02-01', '2026-02-02', '2026-02-03'].map((d) => `${d}T10-00`);
    const copies = (p: string, n: number) =>
      ds.reports.slice(0, n).map((r) => ({
        ...r,
        id: `${p}/${r.role}/${r.ip}`,
        windowStart: Date.parse(`${p.slice(0, 10)}T10:00Z`),
      }));
    for (const p of old) await store.putDocs('reports', p, copies(p, 5));
    const open = async (s: FlowStore) => {
      const a = Fastify();
      const { data } = await registerApi(a, {
        store: s,
        config: await loadConfig(ds.config),
        envToken: '',
        log: () => undefined,
        data: { ttlMs: 0 },
      });
      return { a, data };
    };
    const reads: string[] = [];
    const spied = new Proxy(store, {
      get(t, k) {
        if (k === 'getDocs')
          return (kind: DocKind, range?: { from?: string; to?: string }) => {
            if (kind === 'reports') reads.push(range?.from ?? '*');
            return t.getDocs(kind, range);
          };
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    try {
      const first = await open(store);
      const rows = JSON.stringify(await first.data.reports());
      await first.data.reportDays.written();
      await first.a.close();
      const days = (await store.getDocs('report-days')).map((p) => p.partition);
      // Every closed day has its document; the dataset's own day (today) does not.
      assert.deepEqual(
        days.filter((d) => d.startsWith('2026-02')),
        ['2026-02-01', '2026-02-02', '2026-02-03'],
      );
      assert.ok(!days.includes(ds.day));
      const again = await open(spied);
      assert.equal(JSON.stringify(await again.data.reports()), rows);
      // Only today's windows were read from their partitions, and a campus still sees its own only.
      assert.ok(reads.length > 0 && reads.every((p) => p.startsWith(ds.day)), reads.join(' '));
      await again.a.close();
      // A backfill rewrites an old window: the next start reads that window, and shows what it holds now.
      await store.putDocs('reports', old[1]!, copies(old[1]!, 2));
      reads.length = 0;
      const third = await open(spied);
      const now = await third.data.reports();
      assert.deepEqual(
        old.map((p) => now.filter((r) => r.id.startsWith(p)).length),
        [5, 2, 5],
      );
      assert.ok(reads.includes(old[1]!) && !reads.includes(old[0]!), reads.join(' '));
      assert.ok(now.filter((r) => r.ip === '140.114.9.9').every((r) => r.org === 'Campus B'));
      await third.a.close();
    } finally {
      for (const p of old) await store.putDocs('reports', p, []);
    }
  });

  test('the episodes of a query, kept between views, change with a mark and with a backfilled report', async () => {
    const url = '/api/episodes?type=ddos-victim&limit=1000';
    const victim = (b: Json) => b.items.find((e: Json) => e.ip === '140.114.9.9');
    const first = (await get(url, TOKENS.campusB)).json();
    assert.deepEqual((await get(url, TOKENS.campusB)).json(), first);
    assert.equal(victim(first).state.mark, undefined);
    const latest = ddos().at(-1)!;
    assert.equal(victim(first).latest, latest.id);
    await call('POST', `/api/reports/${latest.id}/mark`, TOKENS.campusB, { state: 'acknowledged' });
    assert.equal(victim((await get(url, TOKENS.campusB)).json()).state.mark.state, 'acknowledged');
    await call('POST', `/api/reports/${latest.id}/mark`, TOKENS.campusB, { state: 'open' });
    assert.deepEqual((await get(url, TOKENS.campusB)).json(), first);
    // A report a backfill writes into an old window: one episode more, for the admin and the campus alike.
    const admin = (await get(url)).json();
    const old = {
      ...latest,
      id: '2026-01-06T10-00/destination/140.114.9.9',
      windowStart: Date.parse('2026-01-06T10:00Z'),
    };
    old.windowEnd = old.windowStart + WIN;
    old.duration = { ...old.duration, firstWindow: old.windowStart };
    await store.putDocs('reports', '2026-01-06T10-00', [old]);
    try {
      assert.equal((await get(url)).json().total, admin.total + 1);
      assert.equal((await get(url, TOKENS.campusB)).json().total, first.total + 1);
      // Another campus sees none of it, before or after.
      assert.equal((await get(url, TOKENS.campusA)).json().total, 0);
    } finally {
      await store.putDocs('reports', '2026-01-06T10-00', []);
    }
    assert.deepEqual((await get(url, TOKENS.campusB)).json(), first);
  });

  test('a report a backfill writes into an old window shows at the next refresh', async () => {
    const a2 = Fastify();
    await registerApi(a2, {
      store,
      config: await loadConfig(ds.config),
      envToken: '',
      log: () => undefined,
      data: { ttlMs: 0 },
    });
    try {
      const n = async () =>
        (
          await a2.inject({
            url: '/api/reports?limit=1',
            headers: { authorization: `Bearer ${TOKENS.admin}` },
          })
        ).json().total as number;
      const before = await n();
      // Older than every cached window, as a backfill of last month writes.
      const old = {
        ...brute(),
        id: `2026-01-05T10-00/source/198.18.7.7`,
        windowStart: Date.parse('2026-01-05T10:00Z'),
      };
      await store.putDocs('reports', '2026-01-05T10-00', [old]);
      assert.equal(await n(), before + 1);
      // Replayed with the same name and no reports: gone at the next refresh.
      await store.putDocs('reports', '2026-01-05T10-00', []);
      assert.equal(await n(), before);
    } finally {
      await a2.close();
    }
  });
});
