import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture, requireTool, tempDir } from '../testing/helpers.js';
import { Geo, GeoDatabase, GeoError, placeTag } from './geo.js';
import { defaultCountryDatabase, Enricher, enrichConfigSchema } from './index.js';

const CITY = fixture(import.meta.url, 'GeoLite2-City-Test.mmdb');
const ASN = fixture(import.meta.url, 'GeoLite2-ASN-Test.mmdb');
const BROKEN = fixture(import.meta.url, 'MaxMind-DB-test-broken-pointers-24.mmdb');

/** The reference answer: one value by its data path, as `mmdblookup` prints it, or undefined. */
function mmdblookup(file: string, ip: string, ...path: string[]): string | number | undefined {
  let out: string;
  try {
    out = execFileSync('mmdblookup', ['-f', file, '-i', ip, ...path], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    return undefined; // no entry, or no such key in the entry
  }
  const s = /"((?:[^"\\]|\\.)*)" <utf8_string>/.exec(out);
  if (s) return s[1];
  const n = /(\d+) <uint(?:16|32)>/.exec(out);
  return n ? Number(n[1]) : undefined;
}

const IPS = [
  '81.2.69.160',
  '81.2.69.142',
  '89.160.20.112',
  '216.160.83.56',
  '2001:218::1',
  '2a02:cf40::1',
  '1.128.0.0',
  '2600:6000::1',
  '12.81.92.0',
  '140.112.8.116',
  '::1',
];

test('City and ASN test databases answer as mmdblookup does, IPv4 and IPv6', async (t) => {
  if (!requireTool(t, 'mmdblookup')) return;
  const city = await GeoDatabase.open(CITY);
  const asn = await GeoDatabase.open(ASN);
  assert.equal(city.databaseType, 'GeoLite2-City');
  let known = 0;
  for (const ip of IPS) {
    const c = city.lookup(ip);
    const a = asn.lookup(ip);
    assert.equal(c.country, mmdblookup(CITY, ip, 'country', 'iso_code'), `${ip} country`);
    assert.equal(c.city, mmdblookup(CITY, ip, 'city', 'names', 'en'), `${ip} city`);
    assert.equal(a.asn, mmdblookup(ASN, ip, 'autonomous_system_number'), `${ip} asn`);
    assert.equal(a.asOrg, mmdblookup(ASN, ip, 'autonomous_system_organization'), `${ip} as org`);
    if (c.country || a.asn) known++;
  }
  assert.ok(known >= 8, 'most test addresses are in the databases');
  // The facts the databases' documentation gives.
  assert.deepEqual(city.lookup('81.2.69.160'), { country: 'GB', city: 'London' });
  assert.deepEqual(asn.lookup('1.128.0.0'), { asn: 1221, asOrg: 'Telstra Pty Ltd' });
});

test('a broken, truncated, missing or foreign file is refused at open with its name', async (t) => {
  await assert.rejects(GeoDatabase.open(BROKEN), (e: Error) => {
    assert.ok(e instanceof GeoError);
    assert.match(
      e.message,
      /MaxMind-DB-test-broken-pointers-24\.mmdb is corrupt: the record for 1\.1\.1\.\d+\/\d+/,
    );
    return true;
  });
  const dir = tempDir(t);
  const cut = join(dir, 'cut.mmdb');
  const whole = readFileSync(CITY);
  writeFileSync(cut, whole.subarray(0, whole.length >> 1));
  await assert.rejects(GeoDatabase.open(cut), /cut\.mmdb is not a MaxMind DB file/);
  // A file whose tree is cut short but still ends in metadata.
  const meta = whole.lastIndexOf(Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'));
  const hollow = join(dir, 'hollow.mmdb');
  writeFileSync(hollow, Buffer.concat([whole.subarray(0, 200), whole.subarray(meta)]));
  await assert.rejects(GeoDatabase.open(hollow), /hollow\.mmdb is (truncated|corrupt)/);
  await assert.rejects(
    GeoDatabase.open(join(dir, 'none.mmdb')),
    /cannot read geo database .*none\.mmdb: ENOENT/,
  );
  const gz = join(dir, 'db.mmdb.gz');
  writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
  await assert.rejects(GeoDatabase.open(gz), /gzip-compressed/);
  // Without the check the same broken file opens, and its bad records still never throw out of a lookup.
  const unchecked = await GeoDatabase.open(BROKEN, { verify: false });
  for (const ip of ['1.1.1.16', '1.1.1.32', '1.1.1.1', 'garbage', '', '1.2.3', '::zz'])
    assert.doesNotThrow(() => unchecked.lookup(ip), ip);
  assert.deepEqual(unchecked.lookup('1.1.1.32'), {});
});

test('the enricher merges directory, city and ASN answers; the packaged country database is the default', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'orgs.yaml');
  writeFileSync(
    file,
    'organisations:\n  - {name: Linköping Uni, cidrs: [89.160.0.0/16], contacts: [cert@liu.example], lang: en}\n',
  );
  const e = await Enricher.open({ directory: file, geoCity: CITY, geoAsn: ASN, geoCountry: false });
  assert.deepEqual(e.enrich('89.160.20.112'), {
    org: 'Linköping Uni',
    contacts: ['cert@liu.example'],
    lang: 'en',
    country: 'SE',
    city: 'Linköping',
    asn: 29518,
    asOrg: 'Bredband2 AB',
  });
  assert.deepEqual(e.enrich('203.0.113.9'), {});
  assert.match(e.describe(), /1 organisations, 1 prefixes; GeoLite2-City .*GeoLite2-ASN/);
  await assert.rejects(Enricher.open({ geoCity: BROKEN }), /is corrupt/);
  await assert.rejects(
    Enricher.open({ directory: join(dir, 'missing.csv') }),
    /cannot read organisation directory/,
  );

  const def = defaultCountryDatabase();
  assert.ok(def, 'the default country database package is installed');
  const plain = await Enricher.open({});
  assert.match(plain.describe(), /no organisation directory; country/);
  if (requireTool(t, 'mmdblookup')) {
    for (const ip of ['8.8.8.8', '140.112.8.116', '2001:288:1001::1', '81.2.69.160'])
      assert.equal(plain.enrich(ip).country, mmdblookup(def, ip, 'country_code'), ip);
  }
  assert.equal(plain.enrich('140.112.8.116').country, 'TW');
  const none = await Enricher.open({ geoCountry: false });
  assert.deepEqual(none.enrich('8.8.8.8'), {});
});

test('enrich config: empty is valid; geoCountry false turns the default off; unknown keys are refused', () => {
  assert.deepEqual(enrichConfigSchema.parse({}), {});
  assert.deepEqual(enrichConfigSchema.parse({ geoCity: ['a.mmdb', 'b.mmdb'] }), {
    geoCity: ['a.mmdb', 'b.mmdb'],
  });
  assert.equal(enrichConfigSchema.safeParse({ geoCity: [] }).success, false);
  assert.equal(enrichConfigSchema.safeParse({ geoAsn: [1] }).success, false);
  assert.deepEqual(enrichConfigSchema.parse({ geoCountry: false }), { geoCountry: false });
  assert.equal(enrichConfigSchema.safeParse({ geoCountry: true }).success, false);
  assert.equal(enrichConfigSchema.safeParse({ geoip: 'x.mmdb' }).success, false);
});

test('private, documentation, link-local and other reserved addresses get no location, whatever a database says', async (t) => {
  const def = defaultCountryDatabase()!;
  const raw = await GeoDatabase.open(def);
  const city = await GeoDatabase.open(CITY);
  const geo = new Geo([city, raw]);
  // The packaged country database gives registry blocks' countries to these ranges.
  const wrong: Record<string, string> = {
    '192.168.1.1': 'AU',
    '172.16.0.1': 'AU',
    '198.51.100.1': 'AU',
    '2001:db8::1': 'JP',
  };
  for (const [ip, cc] of Object.entries(wrong)) {
    assert.equal(raw.lookup(ip).country, cc, `the raw database says ${ip} is in ${cc}`);
    if (requireTool(t, 'mmdblookup')) assert.equal(mmdblookup(def, ip, 'country_code'), cc, ip);
  }
  for (const ip of [
    ...Object.keys(wrong),
    '10.0.0.1',
    '100.64.0.1',
    '127.0.0.1',
    '169.254.1.1',
    '203.0.113.9',
    '224.0.0.251',
    '::1',
    'fe80::1',
    'fd00::1',
    'ff02::1',
    '::ffff:192.168.1.1',
  ])
    assert.deepEqual(geo.lookup(ip), {}, ip);
  const e = await Enricher.open({ geoCity: CITY, geoAsn: ASN });
  assert.deepEqual(e.enrich('192.168.1.1'), {});
  assert.deepEqual(e.enrich('2001:db8::1'), {});
  // Routable addresses still answer, city database first, as mmdblookup does.
  assert.deepEqual(geo.lookup('81.2.69.160'), { country: 'GB', city: 'London' });
  if (requireTool(t, 'mmdblookup'))
    for (const ip of ['8.8.8.8', '140.112.8.116', '2001:288:1001::1'])
      assert.equal(geo.lookup(ip).country, mmdblookup(def, ip, 'country_code'), ip);
});

test('geoCity may list several databases (an IPv4 and an IPv6 file), consulted in order', async () => {
  const MIXED = fixture(import.meta.url, 'MaxMind-DB-test-mixed-24.mmdb');
  const e = await Enricher.open({ geoCity: [CITY, MIXED], geoCountry: false });
  assert.equal(e.geo.databases.length, 2);
  assert.deepEqual(e.enrich('81.2.69.160'), { country: 'GB', city: 'London' });
  await assert.rejects(
    Enricher.open({ geoCity: [CITY, BROKEN] }),
    /MaxMind-DB-test-broken-pointers-24\.mmdb is corrupt/,
  );
});

test("the paper's place tag: 1.2.3.4(@City[CC]), country or city alone, nothing when unknown", async () => {
  assert.equal(placeTag({ city: 'Hanoi', country: 'VN' }), '(@Hanoi[VN])');
  assert.equal(placeTag({ country: 'VN' }), '([VN])');
  assert.equal(placeTag({ city: 'Hanoi' }), '(@Hanoi)');
  assert.equal(placeTag({ asn: 7552 }), '');
  assert.equal(placeTag({}), '');
  const city = await GeoDatabase.open(CITY);
  assert.equal(`81.2.69.160${placeTag(new Geo([city]).lookup('81.2.69.160'))}`, '81.2.69.160(@London[GB])');
});
