import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type AddrWords,
  type Cidr,
  cidrContains,
  formatAddress,
  parseAddress,
  parseCidr,
} from '../flow/address.js';
import { tempDir } from '../testing/helpers.js';
import { Directory, DirectoryError, parseDirectoryCsv, parseDirectoryYaml } from './directory.js';

const YAML = `# campus networks
organisations:
  - name: National Taiwan University
    cidrs: [140.112.0.0/16, 2001:288:1001::/48]
    contacts: [noc@ntu.example, security@ntu.example]
    lang: zh-TW
  - name: NTU Computer Science
    cidrs:
      - 140.112.8.0/24
    contacts: [admin@csie.example]
  - name: Internet
    cidrs: [0.0.0.0/0]
`;

const CSV = `# cidr,organisation,contact[,lang]
cidr,organisation,contact
140.112.0.0/16,National Taiwan University,noc@ntu.example;security@ntu.example,zh-TW
2001:288:1001::/48,National Taiwan University,
140.112.8.0/24,NTU Computer Science,admin@csie.example
0.0.0.0/0,Internet,
192.0.2.0/24,"Example, Inc.","a@example.com b@example.com"
`;

function write(t: Parameters<typeof tempDir>[0], name: string, text: string): string {
  const f = join(tempDir(t), name);
  writeFileSync(f, text);
  return f;
}

test('longest prefix wins, for IPv4 and IPv6, and an IPv4 /0 does not cover IPv6', async (t) => {
  for (const [name, text] of [
    ['dir.yaml', YAML],
    ['dir.csv', CSV],
  ] as const) {
    const d = await Directory.load(write(t, name, text));
    const org = (ip: string) => d.lookup(ip)?.name;
    assert.equal(org('140.112.8.116'), 'NTU Computer Science', name);
    assert.equal(org('140.112.9.1'), 'National Taiwan University', name);
    assert.equal(org('140.113.1.1'), 'Internet', name);
    assert.equal(org('2001:288:1001:5::7'), 'National Taiwan University', name);
    assert.equal(org('2001:288:1002::7'), undefined, name);
    assert.equal(org('::ffff:140.112.8.1'), 'NTU Computer Science', `${name}: mapped form`);
    assert.equal(org('not an address'), undefined);
    const ntu = d.lookup('140.112.1.1')!;
    assert.deepEqual(ntu.contacts, ['noc@ntu.example', 'security@ntu.example']);
    assert.equal(ntu.lang, 'zh-TW');
    assert.deepEqual(ntu.cidrs, ['140.112.0.0/16', '2001:288:1001::/48']);
    assert.equal(d.lookup('140.112.8.1')!.lang, undefined);
  }
});

test('CSV: quoted names with commas, several contacts in one cell, header and comments skipped', () => {
  const orgs = parseDirectoryCsv(CSV);
  assert.deepEqual(
    orgs.map((o) => [o.name, o.cidrs.length, o.contacts]),
    [
      ['National Taiwan University', 2, ['noc@ntu.example', 'security@ntu.example']],
      ['NTU Computer Science', 1, ['admin@csie.example']],
      ['Internet', 1, []],
      ['Example, Inc.', 1, ['a@example.com', 'b@example.com']],
    ],
  );
});

test('bad entries are refused with the file and line', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['a.yaml', YAML.replace('140.112.8.0/24', '140.112.8.0/33'), /a\.yaml:9: bad CIDR "140\.112\.8\.0\/33"/],
    [
      'b.yaml',
      YAML.replace('admin@csie.example', 'admin'),
      /b\.yaml:10: organisations\.1\.contacts\.0: not an email/,
    ],
    ['c.yaml', YAML.replace('lang: zh-TW', 'lang: fr'), /c\.yaml:6: organisations\.0\.lang/],
    ['d.yaml', 'organisations:\n  - name: x\n    cidrs: [1.2.3.0/24\n', /d\.yaml:\d+: not valid YAML/],
    ['e.yaml', 'orgs: []\n', /e\.yaml: organisations: .*expected array/],
    ['f.csv', CSV.replace('140.112.8.0/24', '140.112.8.0/24x'), /f\.csv:5: bad CIDR/],
    ['g.csv', 'cidr,organisation,contact\n1.2.3.0/24\n', /g\.csv:2: expected cidr,organisation,contact/],
    [
      'h.csv',
      '1.2.3.0/24,A,a@x.example\n1.2.3.0/24,B,b@x.example\n',
      /h\.csv:2: 1\.2\.3\.0\/24 is already listed for "A" \(.*h\.csv:1\)/,
    ],
    ['i.csv', '1.2.3.0/24,"A,x@y.example\n', /i\.csv:1: unbalanced quotes/],
    ['j.csv', '1.2.3.0/24,A,not-mail\n', /j\.csv:1: "not-mail" is not an email address/],
    ['k.txt', 'x', /expected a \.yaml, \.yml or \.csv file/],
  ];
  for (const [name, text, re] of cases) {
    await assert.rejects(Directory.load(write(t, name, text)), (e: Error) => {
      assert.ok(e instanceof DirectoryError, name);
      assert.match(e.message, re);
      assert.equal(e.message.includes('\n'), false, 'one line');
      return true;
    });
  }
  await assert.rejects(
    Directory.load('/nonexistent/dir.yaml'),
    /cannot read organisation directory .*ENOENT/,
  );
  assert.throws(
    () =>
      parseDirectoryYaml(
        'organisations:\n  - {name: A, cidrs: [10.0.0.0/8]}\n  - {name: B, cidrs: [10.0.0.0/8]}\n',
      ),
    /already listed for "A"/,
  );
});

/** The organisation of the longest prefix holding `w`, by looking at every prefix (parsed once by the caller). */
function bruteForce(prefixes: readonly { c: Cidr; org: string }[], w: AddrWords): string | undefined {
  let best: { bits: number; org: string } | undefined;
  for (const p of prefixes)
    if (cidrContains(p.c, w) && (!best || p.c.bits > best.bits)) best = { bits: p.c.bits, org: p.org };
  return best?.org;
}

test('lookup equals a brute-force longest-prefix scan (random v4/v6 prefixes and addresses)', () => {
  const word = fc.integer({ min: 0, max: 0xffffffff });
  // Addresses near a few bases so that prefixes and addresses overlap often.
  const v4 = fc
    .tuple(fc.constantFrom(0x8c700000, 0x0a000000, 0xc0000200), fc.integer({ min: 0, max: 0xfffff }))
    .map(([b, x]): AddrWords => [0, 0, 0xffff, (b + x) >>> 0]);
  const v6 = fc
    .tuple(fc.constantFrom(0x20010288, 0x2001db8), word)
    .map(([a, b]): AddrWords => [a, b >>> 16, 0, 1]);
  const addr = fc.oneof(v4, v6);
  const prefix = fc.tuple(addr, fc.integer({ min: 0, max: 128 })).map(([w, len]) => {
    const v4ish = w[2] === 0xffff && w[0] === 0;
    const text = formatAddress(w);
    return v4ish ? `${text}/${Math.min(32, len % 33)}` : `${text}/${len}`;
  });
  fc.assert(
    fc.property(
      fc.array(prefix, { minLength: 1, maxLength: 40 }),
      fc.array(addr, { maxLength: 40 }),
      (ps, as) => {
        const uniq = [
          ...new Map(ps.map((p, i) => [parseCidr(p)!.text, { cidr: p, org: `org${i}` }])).values(),
        ];
        const d = new Directory(uniq.map((p) => ({ name: p.org, cidrs: [p.cidr], contacts: [] })));
        const parsed = uniq.map((p) => ({ c: parseCidr(p.cidr)!, org: p.org }));
        for (const w of as) assert.equal(d.lookup(w)?.name, bruteForce(parsed, w), formatAddress(w));
      },
    ),
    { numRuns: 300 },
  );
});

test('thousands of prefixes: every lookup equals a brute-force longest-prefix scan (speed is in bench/, not asserted)', () => {
  const orgs = [];
  for (let i = 0; i < 5000; i++)
    orgs.push({
      name: `org${i}`,
      cidrs: [
        `${10 + (i % 200)}.${i & 255}.${(i * 7) & 255}.0/${20 + (i % 9)}`,
        `2001:db8:${i.toString(16)}::/48`,
      ],
      contacts: [],
    });
  const uniq = new Map<string, (typeof orgs)[number]>();
  for (const o of orgs) {
    const k = parseCidr(o.cidrs[0]!)!.text;
    if (!uniq.has(k)) uniq.set(k, o);
  }
  const d = new Directory([...uniq.values()]);
  assert.ok(d.prefixes >= 9000);
  const prefixes = [...uniq.values()].flatMap((o) =>
    o.cidrs.map((cidr) => ({ c: parseCidr(cidr)!, org: o.name })),
  );
  const n = 1_000;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const ip =
      i % 2 ? `${10 + (i % 200)}.${i & 255}.${(i * 7) & 255}.${i & 255}` : `2001:db8:${i.toString(16)}::1`;
    const want = bruteForce(prefixes, parseAddress(ip)!);
    assert.equal(d.lookup(ip)?.name, want, ip);
    if (want) hits++;
  }
  assert.ok(hits > n / 2, `hits ${hits}`);
});
