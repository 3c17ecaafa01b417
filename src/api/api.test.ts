import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { cidrContains, parseAddress, parseCidr } from '../flow/address.js';
import type { DuckFlowStore } from '../store/duckdb/index.js';
import { type Dataset, MEMBERS, makeDataset, scratchDir, TOKENS } from '../testing/api.js';
import { type InjectedApi, injectApi } from '../testing/inject.js';
import { ROUTES } from './index.js';

let ds: Dataset;
let api: InjectedApi;
let app: FastifyInstance;
let store: DuckFlowStore;
let cleanup: () => void;

before(async () => {
  const t = scratchDir();
  cleanup = t.remove;
  ds = await makeDataset(t.dir);
  api = await injectApi(t.dir, ds);
  ({ app, store } = api);
});

after(async () => {
  await api.close();
  cleanup();
});

const get = (url: string, token?: string | null) => api.get(url, token);

/** Every route with its path parameters filled in with something that exists. */
function sampleUrls(): string[] {
  const ddos = ds.reports.find((r) => r.type === 'ddos-victim')!;
  const fill: Record<string, string> = {
    '/api/reports/:window/:role/:ip': `/api/reports/${ddos.id}`,
    '/api/signatures/:signature': '/api/signatures/22-4-240',
    '/api/ip/:addr': `/api/ip/${MEMBERS.campusB[0]}`,
    '/api/ip/:addr/timeline': `/api/ip/${MEMBERS.campusB[0]}/timeline`,
    '/api/exports/:what': '/api/exports/findings',
    '/api/search': '/api/search?q=140.114.0.0/16',
  };
  // Writes have their own tests (console.test.ts): each with its method, its body and its scoping.
  return ROUTES.filter((r) => (r.method ?? 'GET') === 'GET').map((r) => fill[r.path] ?? r.path);
}

describe('access', () => {
  test('no token and a wrong token get 401 on every route; the OpenAPI document is public', async () => {
    for (const url of sampleUrls()) {
      const none = await get(url, null);
      assert.equal(none.status, 401, url);
      assert.match(none.json().message, /token is required/);
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="flowhunt"');
      for (const bad of [
        `${TOKENS.admin}x`,
        TOKENS.admin.slice(0, -1),
        'x'.repeat(40),
        `${TOKENS.admin.toUpperCase()}`,
      ]) {
        const r = await get(url, bad);
        assert.equal(r.status, 401, `${url} with ${bad}`);
        assert.match(r.json().message, /not valid/);
      }
      const basic = await app.inject({ url, headers: { authorization: `Basic ${TOKENS.admin}` } });
      assert.equal(basic.statusCode, 401, url);
    }
    assert.equal((await get('/api/openapi.json', null)).status, 200);
    assert.equal((await get('/api/no-such-route')).status, 404);
  });

  test('the OpenAPI document lists every route with its parameters', async () => {
    const doc = (await get('/api/openapi.json', null)).json();
    const listed = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const routes = ROUTES.map(
      (r) => `${r.method ?? 'GET'} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`,
    ).sort();
    assert.deepEqual(listed, routes);
    const add = doc.paths['/api/suppressions'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(add.required.sort(), ['ip', 'why']);
    const reports = doc.paths['/api/reports'].get.parameters.map((p: { name: string }) => p.name);
    assert.deepEqual(reports, [
      'from',
      'to',
      'type',
      'role',
      'ip',
      'org',
      'port',
      'country',
      'sort',
      'order',
      'offset',
      'limit',
    ]);
    const detail = doc.paths['/api/reports/{window}/{role}/{ip}'].get.parameters;
    assert.ok(
      detail.filter((p: { in: string }) => p.in === 'path').every((p: { required: boolean }) => p.required),
    );
  });

  test('a scoped token says who it is and lists only its organisations', async () => {
    assert.deepEqual((await get('/api/me', TOKENS.campusB)).json(), {
      name: 'Campus B admin',
      admin: false,
      organisations: ['Campus B'],
    });
    assert.deepEqual((await get('/api/orgs', TOKENS.campusB)).json(), {
      items: [{ name: 'Campus B', cidrs: ['140.114.0.0/16'] }],
    });
    assert.equal((await get('/api/me')).json().admin, true);
    assert.deepEqual(
      (await get('/api/orgs')).json().items.map((o: { name: string }) => o.name),
      ['Backbone Lab', 'Campus A', 'Campus B'],
    );
  });
});

const CAMPUS_B = parseCidr('140.114.0.0/16')!;
const ipv4s = (text: string) =>
  [...text.matchAll(/(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g)].map((m) => m[0]);

function assertOnlyCampusB(text: string, what: string): void {
  for (const ip of ipv4s(text))
    assert.ok(cidrContains(CAMPUS_B, parseAddress(ip)!), `${what}: ${ip} is outside Campus B`);
  assert.ok(!/2001:db8/i.test(text), `${what}: an IPv6 address of Campus A`);
}

describe('scoping', () => {
  test('Campus B gets exactly its own reports, findings, suspects, families, search hits and counts', async () => {
    const b = TOKENS.campusB;
    const own = ds.reports.filter((r) => r.ip.startsWith('140.114.'));
    assert.ok(
      own.some((r) => r.ip === '140.114.9.9' && r.type === 'ddos-victim'),
      'the DDoS victim is on Campus B',
    );
    const reports = (await get('/api/reports?limit=1000', b)).json();
    assert.deepEqual(
      [...new Set(reports.items.map((r: { ip: string }) => r.ip))].sort(),
      [...new Set(own.map((r) => r.ip))].sort(),
    );
    assert.equal(reports.total, own.length);
    const findings = (await get('/api/findings?limit=1000', b)).json();
    assert.deepEqual(findings.items.map((f: { ip: string }) => f.ip).sort(), [...MEMBERS.campusB].sort());
    const suspects = (await get('/api/suspects', b)).json();
    assert.equal(suspects.total, MEMBERS.campusB.length);
    const fams = (await get('/api/families', b)).json();
    assert.deepEqual(
      fams.items.map((f: { members: string[] }) => f.members),
      [[...MEMBERS.campusB]],
    );
    const counts = (await get('/api/counts', b)).json();
    const ownTypes = [...new Set(own.map((r) => r.type))];
    assert.deepEqual([...counts.types].sort(), ownTypes.sort());
    // Two windows of the same attack on one host: one event, two reports.
    assert.deepEqual(counts.events['ddos-victim'], [1]);
    assert.deepEqual(counts.reports['ddos-victim'], [2]);
    const overview = (await get('/api/overview', b)).json();
    assert.equal(overview.inRange.reports, own.length);
    assert.equal(overview.totals.suspects, 2);
    const sigs = (await get('/api/signatures', b)).json();
    assert.deepEqual(
      sigs.items.map((s: { signature: string; attackers: unknown[]; hunt: { hosts: number } }) => [
        s.signature,
        s.attackers.length,
        s.hunt.hosts,
      ]),
      [['22-4-240', 0, 2]],
    );
    const search = (await get('/api/search?q=0.0.0.0/0', b)).json();
    assert.deepEqual(search.ips.map((x: { ip: string }) => x.ip).sort(), [
      '140.114.60.1',
      '140.114.60.2',
      '140.114.9.9',
    ]);
    // Campus A: its three IPv4 members and one IPv6; no reports.
    const a = (await get('/api/findings', TOKENS.campusA)).json();
    assert.deepEqual(a.items.map((f: { ip: string }) => f.ip).sort(), [...MEMBERS.campusA].sort());
    assert.equal((await get('/api/reports', TOKENS.campusA)).json().total, 0);
  });

  test('no endpoint, export format or search gives Campus B an address outside its space', async () => {
    const urls = [
      // The flow explorer and a host's timeline show the peers of its own flows, as a victim's attackers
      // (a report's) are: flows.test.ts checks that each of their flows has an address of its own.
      ...sampleUrls().filter(
        (u) =>
          !u.startsWith('/api/reports/') &&
          u !== '/api/flows' &&
          !u.endsWith('/timeline') &&
          u !== '/api/stats' &&
          u !== '/api/exporters' &&
          u !== '/api/exports/findings',
      ),
      '/api/reports?limit=1000',
      '/api/findings?limit=1000&sort=ip',
      '/api/findings/groups',
      '/api/suspects?limit=1000',
      '/api/search?q=0.0.0.0/0',
      '/api/search?q=::/0',
      '/api/search?q=22-4-240',
      '/api/search?q=campus',
      '/api/signatures/2375-1-40',
      ...['csv', 'json', 'blocklist'].flatMap((f) => [
        `/api/exports/findings?format=${f}`,
        `/api/exports/suspects?format=${f}`,
        `/api/exports/reports?format=${f}`,
      ]),
      '/api/exports/suspects?format=stix',
    ];
    for (const url of urls) {
      const r = await get(url, TOKENS.campusB);
      assert.ok(r.status === 200 || r.status === 404, `${url}: ${r.status} ${r.body}`);
      assertOnlyCampusB(r.body, url);
    }
    const stix = (await get('/api/exports/suspects?format=stix', TOKENS.campusB)).json();
    assert.deepEqual(
      stix.objects
        .filter((o: { type: string }) => o.type === 'indicator')
        .map((o: { pattern: string }) => o.pattern)
        .sort(),
      ["[ipv4-addr:value = '140.114.60.1']", "[ipv4-addr:value = '140.114.60.2']"],
    );
    const blocklist = (await get('/api/exports/findings?format=blocklist', TOKENS.campusB)).body;
    assert.equal(blocklist, '140.114.60.1\n140.114.60.2\n');
    // The admin export has every member, and the two large attackers the hunt finds too.
    const all = (await get('/api/exports/findings?format=blocklist')).body.trim().split('\n');
    assert.deepEqual(
      all.sort(),
      [...MEMBERS.campusA, ...MEMBERS.campusB, ...MEMBERS.outside, '198.18.7.7', '203.0.113.5'].sort(),
    );
  });

  test('outside addresses, reports and organisations are refused, whether or not they exist', async () => {
    const b = TOKENS.campusB;
    const scan = ds.reports.find((r) => r.ip === '203.0.113.5')!;
    for (const url of [
      `/api/reports/${scan.id}`,
      '/api/reports/2000-01-01T00-00/source/203.0.113.5',
      `/api/ip/${MEMBERS.campusA[0]}`,
      '/api/ip/8.8.8.8',
      '/api/reports?org=Campus%20A',
      '/api/findings?org=Campus%20A',
      '/api/exports/findings?org=Campus%20A',
      '/api/stats',
      '/api/exporters',
    ]) {
      const r = await get(url, b);
      assert.equal(r.status, 403, url);
      assert.match(r.json().message, /outside this token|admin token/, url);
      assertOnlyCampusB(r.body.replace(/\d+\.\d+\.\d+\.\d+ is outside/, ''), url);
    }
    const own = await get(`/api/reports/${ds.reports.find((r) => r.ip === '140.114.9.9')!.id}`, b);
    assert.equal(own.status, 200);
    assert.equal(own.json().report.ip, '140.114.9.9');
    assert.equal((await get(`/api/ip/${MEMBERS.campusB[0]}`, b)).json().findings.total, 1);
  });
});

describe('validation', () => {
  test('malformed parameters get 400 with a message naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/api/reports?ip=300.1.1.1', /query\.ip: "300\.1\.1\.1" is not an address/],
      ['/api/reports?from=yesterday', /query\.from: "yesterday" is not a time/],
      ['/api/reports?from=2026-11-20&to=2026-11-19', /query\.to must be after query\.from/],
      ['/api/reports?type=botnet', /type must be one of port-sweep/],
      ['/api/reports?limit=0', /limit must be a whole number from 1 to 1000/],
      ['/api/reports?limit=5000', /limit must be a whole number from 1 to 1000/],
      ['/api/reports?offset=-1', /offset must be a whole number/],
      ['/api/reports?sort=ip', /sort must be one of time, score/],
      ['/api/reports?ip=1.2.3.4&ip=5.6.7.8', /query\.ip is given more than once/],
      ['/api/reports?bogus=1', /unknown query parameter "bogus"/],
      ['/api/reports?org=Nowhere', /no organisation "Nowhere"/],
      ['/api/findings?day=2026-13-45', /query\.day: "2026-13-45" is not a day/],
      ['/api/findings?signature=22-4', /is not a signature: PORT-PACKETS-OCTETS/],
      ['/api/signatures?port=70000', /port must be a whole number from 0 to 65535/],
      ['/api/signatures/abc', /path\.signature: "abc" is not a signature/],
      ['/api/reports/2026-11-20/source/1.2.3.4', /path\.window: a window id looks like/],
      ['/api/reports/2026-11-20T10-05/sideways/1.2.3.4', /role must be one of source, destination/],
      ['/api/ip/not-an-ip', /path\.addr: "not-an-ip" is not an IP address/],
      ['/api/exports/everything', /what must be one of findings, suspects, reports/],
      ['/api/exports/findings?format=stix', /STIX exports suspects/],
      ['/api/exports/findings?format=pdf', /format must be one of csv, json, blocklist, stix/],
      ['/api/counts?by=year', /by must be one of month, day/],
      ['/api/search?q=', /q is empty/],
      ['/api/reports/2026-11-20T10-05/source/1.2.3.4?lang=fr', /lang must be one of en, zh-TW/],
    ];
    for (const [url, re] of cases) {
      const r = await get(url);
      assert.equal(r.status, 400, `${url}: ${r.body}`);
      assert.equal(r.json().error, 'bad_request');
      assert.match(r.json().message, re, url);
    }
  });

  test('an injection attempt in any parameter of any route changes nothing', async () => {
    const before = {
      reports: (await get('/api/reports?limit=1')).json().total,
      findings: (await get('/api/findings?limit=1')).json().total,
      flows: (await store.days()).reduce((n, d) => n + d.flows, 0),
    };
    const attempts = [
      "' OR '1'='1",
      '1; DROP TABLE flows; --',
      "140.112.50.1' OR 1=1 --",
      '22-4-240) OR (1=1',
      '../../../../etc/passwd',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
      '${7*7}',
      '<script>alert(1)</script>',
    ];
    let checked = 0;
    const reads = ROUTES.filter((r) => (r.method ?? 'GET') === 'GET');
    for (const r of reads) {
      const base = sampleUrls()[reads.indexOf(r)]!;
      for (const name of Object.keys(r.query?.shape ?? {})) {
        for (const a of attempts) {
          const u = new URL(base, 'http://flowhunt');
          u.searchParams.set(name, a);
          const res = await get(`${u.pathname}${u.search}`);
          checked++;
          if (name === 'q') {
            // Free text, compared in memory only: it finds nothing.
            assert.equal(res.status, 200, `${r.path} q=${a}`);
            assert.deepEqual([res.json().ips, res.json().signatures, res.json().organisations], [[], [], []]);
          } else {
            assert.equal(res.status, 400, `${r.path} ${name}=${a}: ${res.status} ${res.body}`);
            // A value quoted back in a message is JSON, never something a browser would render.
            assert.match(String(res.headers['content-type']), /^application\/json/);
            assert.equal(res.headers['x-content-type-options'], 'nosniff');
          }
        }
      }
      for (const name of Object.keys(r.params?.shape ?? {})) {
        for (const a of attempts) {
          const url = base
            .split('/')
            .map((seg, i) => (r.path.split('/')[i] === `:${name}` ? encodeURIComponent(a) : seg))
            .join('/');
          const res = await get(url);
          checked++;
          assert.ok(res.status === 400 || res.status === 404, `${url}: ${res.status}`);
        }
      }
    }
    assert.ok(checked > 300, `${checked} attempts`);
    assert.deepEqual(
      {
        reports: (await get('/api/reports?limit=1')).json().total,
        findings: (await get('/api/findings?limit=1')).json().total,
        flows: (await store.days()).reduce((n, d) => n + d.flows, 0),
      },
      before,
    );
  });
});

describe('lists', () => {
  test('findings sort and page on the server, and filter by signature, network and day', async () => {
    const page1 = (await get('/api/findings?sort=destinations&order=desc&limit=3')).json();
    // The members, and the two large attackers, which come back to their targets within minutes.
    assert.equal(page1.total, 11);
    assert.deepEqual(
      page1.items.map((f: { destinations: number }) => f.destinations),
      [3000, 771, 7],
    );
    const page3 = (await get('/api/findings?sort=destinations&order=desc&limit=3&offset=6')).json();
    assert.deepEqual(
      page3.items.map((f: { destinations: number }) => f.destinations),
      [5, 5, 4],
    );
    const byIp = (await get('/api/findings?sort=ip&limit=20')).json().items.map((f: { ip: string }) => f.ip);
    assert.deepEqual(byIp, [
      '45.33.1.1',
      '45.33.1.2',
      '45.33.1.3',
      '140.112.50.1',
      '140.112.50.2',
      '140.112.50.3',
      '140.114.60.1',
      '140.114.60.2',
      '198.18.7.7',
      '203.0.113.5',
      '2001:db8:a::7',
    ]);
    const net = (await get('/api/findings?ip=140.112.0.0/16')).json();
    assert.equal(net.total, 3);
    assert.equal((await get(`/api/findings?day=${ds.day}&signature=22-4-240`)).json().total, 10);
    assert.equal((await get('/api/findings?day=2000-01-01')).json().total, 0);
    assert.equal((await get('/api/findings?signature=22-4-240/udp')).json().total, 0);
  });

  test('reports filter by type, role and network, and a report comes with its alert text in either language', async () => {
    const count = (f: (r: Dataset['reports'][number]) => boolean) => ds.reports.filter(f).length;
    assert.equal(
      (await get('/api/reports?type=ddos-victim')).json().total,
      count((r) => r.type === 'ddos-victim'),
    );
    assert.equal(
      (await get('/api/reports?role=destination')).json().total,
      count((r) => r.role === 'destination'),
    );
    assert.equal(
      (await get('/api/reports?ip=203.0.113.0/24')).json().total,
      count((r) => r.ip.startsWith('203.0.113.')),
    );
    assert.ok(count((r) => r.ip.startsWith('203.0.113.')) >= 4);
    const id = ds.reports.find((r) => r.type === 'ddos-victim')!.id;
    const en = (await get(`/api/reports/${id}`)).json();
    assert.match(en.alert.text, /ddos-victim/);
    assert.equal(en.report.profile.ingress.top[0].value, '198.51.100.1/7');
    const zh = (await get(`/api/reports/${id}?lang=zh-TW`)).json();
    assert.match(zh.alert.text, /異常類型/);
  });

  test('an IP look-up counts the flows of an IPv6 address as source and destination', async () => {
    const ip = MEMBERS.campusA[3]!;
    const r = (await get(`/api/ip/${ip}?from=${ds.w0 - 3600_000}&to=${ds.w0 + 3600_000}`)).json();
    assert.equal(r.org, 'Campus A');
    assert.equal(r.flows.asSource.flows, 7);
    assert.equal(r.flows.asDestination.flows, 0);
    assert.deepEqual(
      r.findings.items.map((f: { signature: string }) => f.signature),
      ['22-4-240'],
    );
    assert.equal(r.suspect.ip, ip);
    const found = (await get('/api/search?q=2001:db8:a::/48')).json();
    assert.deepEqual(
      found.ips.map((x: { ip: string }) => x.ip),
      [ip],
    );
  });

  test('exports come with a type and a file name', async () => {
    const csv = await get('/api/exports/findings?format=csv');
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(
      String(csv.headers['content-disposition']),
      /attachment; filename="flowhunt-findings-\d{4}-\d{2}-\d{2}\.csv"/,
    );
    assert.equal(
      csv.body.split('\n')[0],
      'day,signature,protocol,ip,destinations,flows,sourcePorts,firstSeen,lastSeen,role,largeScale',
    );
    assert.equal(csv.body.trim().split('\n').length, 12);
    const stix = await get('/api/exports/suspects?format=stix');
    assert.match(String(stix.headers['content-type']), /^application\/stix\+json/);
    const reports = await get('/api/exports/reports?format=blocklist');
    const attackers = [...new Set(ds.reports.filter((r) => r.role === 'source').map((r) => r.ip))];
    assert.deepEqual(reports.body.trim().split('\n').sort(), attackers.sort());
    assert.ok(attackers.includes('198.18.7.7') && !reports.body.includes('140.114.9.9'));
  });
});
