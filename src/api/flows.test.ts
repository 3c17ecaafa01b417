/**
 * The console's flow explorer, host timeline, range-aware overview and
 * episode export (issue #17), against a real DuckDB store built by the real
 * pipeline (testing.ts). Every count is checked against the fixture's own
 * flows, counted here in JavaScript, and each route with its campus-token
 * scoping.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cidrContains, parseAddress, parseCidr } from '../flow/address.js';
import type { FlowRecord } from '../flow/record.js';
import { type Dataset, MEMBERS, makeDataset, memberFlows, scratchDir, TOKENS } from '../testing/api.js';
import { type InjectedApi, injectApi, type Json } from '../testing/inject.js';
import { labelledWindow, WIN } from '../testing/windows.js';

let ds: Dataset;
let api: InjectedApi;
let scratch: ReturnType<typeof scratchDir>;
/** Every flow of the fixture, as makeDataset wrote them. */
let flows: FlowRecord[];

before(async () => {
  scratch = scratchDir();
  ds = await makeDataset(scratch.dir);
  flows = [...labelledWindow(ds.w0, 1).flows, ...memberFlows(ds.w0), ...labelledWindow(ds.w0 + WIN, 2).flows];
  api = await injectApi(scratch.dir, ds, { ttlMs: 0 });
});

after(async () => {
  await api.close();
  scratch.remove();
});

const get = (url: string, token: string = TOKENS.admin) => api.get(url, token);

const range = () => `from=${ds.w0}&to=${ds.w0 + 2 * WIN}`;
const inNet = (net: string) => {
  const c = parseCidr(net)!;
  return (ip: string) => cidrContains(c, parseAddress(ip)!);
};
const campusB = inNet('140.114.0.0/16');

/** Top `n` keys of the flows by flow count, ties by key text (the engine breaks them on the number). */
function topBy(rows: readonly FlowRecord[], key: (f: FlowRecord) => string, n: number): [string, number][] {
  const m = new Map<string, number>();
  for (const f of rows) m.set(key(f), (m.get(key(f)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

describe('flow explorer', () => {
  test('a statistic: the totals and top sources of a filter, as the flows hold them', async () => {
    const victim = flows.filter(
      (f) => f.destinationIPAddress === '140.114.9.9' && f.protocolIdentifier === 6,
    );
    const r = await get(
      `/api/flows?filter=${encodeURIComponent('dst host 140.114.9.9 and proto tcp')}&stat=srcip&top=3&${range()}`,
    );
    assert.equal(r.status, 200, r.body);
    const a = r.json();
    assert.equal(a.total.flows, victim.length);
    assert.equal(
      a.total.bytes,
      victim.reduce((n, f) => n + f.octetDeltaCount, 0),
    );
    const want = topBy(victim, (f) => f.sourceIPAddress, 3);
    assert.deepEqual(
      a.rows.map((x: Json) => x.flows),
      want.map((w) => w[1]),
    );
    assert.ok(victim.length > 100, `${victim.length} flows to the victim`);
  });

  test('a list: the flows of one quiet member, every field as sent', async () => {
    const ip = MEMBERS.campusA[0];
    const r = (await get(`/api/flows?filter=${encodeURIComponent(`src host ${ip}`)}&${range()}`)).json();
    const want = flows.filter((f) => f.sourceIPAddress === ip);
    assert.equal(want.length, 4);
    assert.equal(r.total.flows, 4);
    assert.deepEqual(
      r.flows.map((f: Json) => [f.src, f.dst, f.sport, f.dport, f.proto, f.packets, f.bytes, f.exporter]),
      want.map((f) => [ip, f.destinationIPAddress, f.sourceTransportPort, 22, 'TCP', 4, 240, '198.51.100.1']),
    );
  });

  test('top-N by exporter and by destination port', async () => {
    const ex = (await get(`/api/flows?stat=exporter&${range()}`)).json();
    assert.deepEqual(
      ex.rows.map((x: Json) => [x.key, x.flows]),
      [['198.51.100.1', flows.length]],
    );
    const ports = (await get(`/api/flows?stat=dstport&top=5&${range()}`)).json();
    assert.deepEqual(
      ports.rows.map((x: Json) => x.flows),
      topBy(flows, (f) => String(f.destinationTransportPort), 5).map((w) => w[1]),
    );
  });

  test('a filter that does not parse: 400 with the position and length of the word', async () => {
    const r = await get(`/api/flows?filter=${encodeURIComponent('proto tcp and dst prot 22')}`);
    assert.equal(r.status, 400);
    const e = r.json();
    assert.equal(e.error, 'bad_filter');
    assert.equal(e.position, 18);
    assert.equal(e.length, 4);
    assert.match(e.message, /\n {2}proto tcp and dst prot 22\n {20}\^{4}$/);
    // Nor does a bad key or order pass.
    assert.equal((await get('/api/flows?stat=srcaddr')).status, 400);
    assert.equal((await get('/api/flows?stat=srcip&order=pps')).status, 400);
  });

  test("a campus token asks about its own prefixes' flows only", async () => {
    const own = flows.filter((f) => campusB(f.sourceIPAddress) || campusB(f.destinationIPAddress));
    const all = (await get(`/api/flows?stat=srcip&${range()}`, TOKENS.campusB)).json();
    assert.equal(all.total.flows, own.length);
    assert.ok(own.length > 0 && own.length < flows.length);
    // Every flow listed has an address of its own, whatever the other side is.
    const listed = (await get(`/api/flows?limit=1000&${range()}`, TOKENS.campusB)).json();
    assert.equal(listed.flows.length, Math.min(1000, own.length));
    assert.ok(listed.flows.every((f: Json) => campusB(f.src) || campusB(f.dst)));
    // Another campus's member: nothing, not an error that says it exists.
    const other = await get(
      `/api/flows?filter=${encodeURIComponent(`src host ${MEMBERS.campusA[0]}`)}&${range()}`,
      TOKENS.campusB,
    );
    assert.equal(other.status, 200);
    assert.equal(other.json().total.flows, 0);
    assert.deepEqual(other.json().flows, []);
    // Its own member, with a filter of its own.
    const mine = (
      await get(
        `/api/flows?filter=${encodeURIComponent(`src host ${MEMBERS.campusB[0]}`)}&${range()}`,
        TOKENS.campusB,
      )
    ).json();
    assert.equal(mine.total.flows, flows.filter((f) => f.sourceIPAddress === MEMBERS.campusB[0]).length);
  });
});

describe('host timeline', () => {
  test("a victim's flows and peers per window, its anomalous windows, top peers and ports", async () => {
    const ip = '140.114.9.9';
    const r = await get(`/api/ip/${ip}/timeline?${range()}&bucket=window`);
    assert.equal(r.status, 200, r.body);
    const a = r.json();
    assert.equal(a.bucketMs, WIN);
    const expected = [0, 1].map((w) => {
      const t = ds.w0 + w * WIN;
      const inW = flows.filter((f) => f.flowEndMilliseconds >= t && f.flowEndMilliseconds < t + WIN);
      const ins = inW.filter((f) => f.destinationIPAddress === ip);
      const outs = inW.filter((f) => f.sourceIPAddress === ip);
      const peers = new Set([
        ...ins.map((f) => f.sourceIPAddress),
        ...outs.map((f) => f.destinationIPAddress),
      ]);
      return {
        t,
        flowsIn: ins.length,
        flowsOut: outs.length,
        bytesIn: ins.reduce((n, f) => n + f.octetDeltaCount, 0),
        bytesOut: outs.reduce((n, f) => n + f.octetDeltaCount, 0),
        peers: peers.size,
      };
    });
    assert.deepEqual(a.points, expected);
    const reports = ds.reports.filter((x) => x.ip === ip);
    assert.deepEqual(
      a.anomalous.map((x: Json) => [x.t, x.type]).sort(),
      reports.map((x) => [x.windowStart, x.type]).sort(),
    );
    const mine = flows.filter((f) => f.sourceIPAddress === ip || f.destinationIPAddress === ip);
    assert.equal(a.total.flows, mine.length);
    assert.deepEqual(
      a.topPorts.slice(0, 3).map((x: Json) => x.flows),
      topBy(mine, (f) => String(f.destinationTransportPort), 3).map((w) => w[1]),
    );
    assert.ok(a.topPeers.every((x: Json) => x.key !== ip));
    assert.deepEqual(
      a.topPeers.slice(0, 3).map((x: Json) => x.flows),
      topBy(mine, (f) => (f.sourceIPAddress === ip ? f.destinationIPAddress : f.sourceIPAddress), 3).map(
        (w) => w[1],
      ),
    );
    // A second ask is answered from the same buckets.
    assert.deepEqual((await get(`/api/ip/${ip}/timeline?${range()}&bucket=window`)).json().points, a.points);
  });

  test("a campus token gets its own hosts' timelines, never another's", async () => {
    assert.equal((await get(`/api/ip/140.114.9.9/timeline?${range()}`, TOKENS.campusA)).status, 403);
    assert.equal((await get(`/api/ip/140.114.9.9/timeline?${range()}`, TOKENS.campusB)).status, 200);
    assert.equal((await get(`/api/ip/${MEMBERS.campusA[0]}/timeline`, TOKENS.campusB)).status, 403);
  });
});

describe('the global range', () => {
  test('the overview counts the alerts of the range asked for', async () => {
    const second = ds.reports.filter((r) => r.windowStart === ds.w0 + WIN);
    const o = (await get(`/api/overview?from=${ds.w0 + WIN}&to=${ds.w0 + 2 * WIN}`)).json();
    assert.equal(o.inRange.reports, second.length);
    assert.deepEqual(
      o.latest.map((r: Json) => r.id).sort(),
      second
        .map((r) => r.id)
        .sort()
        .slice(0, 10),
    );
    const both = (await get(`/api/overview?${range()}`)).json();
    assert.equal(both.inRange.reports, ds.reports.length);
    const before = (await get(`/api/overview?from=${ds.w0 - 2 * WIN}&to=${ds.w0}`)).json();
    assert.equal(before.inRange.reports, 0);
    assert.equal((await get(`/api/overview?from=${ds.w0}&to=${ds.w0}`)).status, 400);
    const b = (await get(`/api/overview?${range()}`, TOKENS.campusB)).json();
    assert.equal(b.inRange.reports, ds.reports.filter((r) => campusB(r.ip)).length);
  });
});

describe('alerts CSV', () => {
  test('one row per host and anomaly with its first and last window and windows count', async () => {
    const r = await get(`/api/exports/episodes?${range()}`);
    assert.equal(r.status, 200, r.body);
    const [head, ...lines] = r.body.trim().split('\n');
    assert.equal(
      head,
      'ip,org,country,role,type,firstWindow,lastWindow,windows,maxScore,state,suppressed,latest',
    );
    const episodes = new Set(ds.reports.map((x) => `${x.role}|${x.ip}|${x.type}|${x.duration.firstWindow}`));
    assert.equal(lines.length, episodes.size);
    const ddos = lines.filter((l) => l.startsWith('140.114.9.9,'));
    assert.equal(ddos.length, 1);
    const cells = ddos[0]!.split(',');
    assert.deepEqual(cells.slice(0, 8), [
      '140.114.9.9',
      'Campus B',
      cells[2],
      'destination',
      'ddos-victim',
      new Date(ds.w0).toISOString(),
      new Date(ds.w0 + WIN).toISOString(),
      '2',
    ]);
    const b = await get(`/api/exports/episodes?${range()}`, TOKENS.campusB);
    const bl = b.body.trim().split('\n').slice(1);
    assert.ok(bl.length > 0 && bl.every((l) => campusB(l.split(',')[0]!)), b.body);
    assert.equal((await get('/api/exports/episodes?format=blocklist')).status, 400);
  });
});
