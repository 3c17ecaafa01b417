/**
 * @module The API on profile signatures (docs/hunt.md): a profile found under other
 * percentages on another day is one signature, asked for by its exchanges
 * alone or with other percentages it is the same one, and families and
 * suspects write signatures in the documented form (with `/udp`), a family
 * with its profile.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { defaultConfig } from '../config.js';
import type { Finding } from '../hunt/hunt.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { scratchDir } from '../testing/api.js';
import { FailureLimiter } from './auth.js';
import { registerApi } from './index.js';

let app: FastifyInstance;
let store: DuckFlowStore;
let cleanup: () => void;

const T0 = Date.parse('2026-11-20T00:00:00Z');
const finding = (day: string, ip: string, signature: string, protocol = 6): Finding => ({
  day,
  signature,
  protocol,
  ip,
  destinations: 12,
  flows: 20,
  sourcePorts: 20,
  firstSeen: T0,
  lastSeen: T0 + 1000,
  role: 'client',
  sessionsPerTarget: 1.667,
  visitsPerTarget: 1,
  ...(signature.includes(':') ? { coverage: 0.9, similarity: 0.95 } : {}),
  largeScale: false,
});

before(async () => {
  const t = scratchDir();
  cleanup = t.remove;
  store = await DuckFlowStore.open(join(t.dir, 'data'));
  // The same profile learned 60/40 one day and 62/38 the next; an alike three-exchange one; a UDP exact one.
  await store.putDocs('findings', '2026-11-20', [
    finding('2026-11-20', '46.0.0.1', '1433:5-420=60,4-320=40'),
    finding('2026-11-20', '46.0.0.4', '1433:5-420=60,4-320=40'),
    finding('2026-11-20', '46.0.0.3', '1433:5-420=45,4-320=30,3-210=25'),
    finding('2026-11-20', '47.0.0.1', '53-1-70', 17),
  ]);
  await store.putDocs('findings', '2026-11-21', [
    finding('2026-11-21', '46.0.0.2', '1433:5-420=62,4-320=38'),
  ]);
  app = Fastify();
  const config = defaultConfig();
  await registerApi(app, {
    store,
    config,
    envToken: 'profile-token-0123456789abcdef',
    log: () => undefined,
    failures: new FailureLimiter(Number.POSITIVE_INFINITY),
  });
});

after(async () => {
  await app.close();
  await store.close();
  cleanup();
});

async function get(url: string) {
  const r = await app.inject({ url, headers: { authorization: 'Bearer profile-token-0123456789abcdef' } });
  assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
  return r.json() as Record<string, any>;
}

test('a profile is one signature whatever percentages it was found or asked with', async () => {
  for (const asked of ['1433:5-420,4-320', '1433:4-320=50,5-420=50', '1433:5-420=62,4-320=38']) {
    const d = await get(`/api/signatures/${encodeURIComponent(asked)}`);
    // Written as on the latest day it was found (no catalog here), hosts of both days counted.
    assert.deepEqual([d.signature, d.hunt.hosts, d.hunt.days], ['1433:5-420=62,4-320=38', 3, 2], asked);
    const s = await get(`/api/suspects?signature=${encodeURIComponent(asked)}`);
    assert.deepEqual(
      s.items.map((x: { ip: string }) => x.ip),
      ['46.0.0.1', '46.0.0.2', '46.0.0.4'],
      asked,
    );
  }
  const f = await get(`/api/findings?signature=${encodeURIComponent('1433:5-420,4-320')}`);
  assert.equal(f.total, 3);
});

test('families and suspects write each signature in the documented form, UDP with its suffix', async () => {
  const fams = await get('/api/families');
  assert.deepEqual(
    fams.items.map((x: { profile: string; signatures: string[]; members: string[]; days: string[] }) => [
      x.profile,
      x.signatures,
      x.members,
      x.days,
    ]),
    [
      [
        // The family's profile: the one most of its members were found with.
        '1433:5-420=60,4-320=40',
        ['1433:5-420=45,4-320=30,3-210=25', '1433:5-420=60,4-320=40', '1433:5-420=62,4-320=38'],
        ['46.0.0.1', '46.0.0.2', '46.0.0.3', '46.0.0.4'],
        ['2026-11-20', '2026-11-21'],
      ],
      ['53-1-70/udp', ['53-1-70/udp'], ['47.0.0.1'], ['2026-11-20']],
    ],
  );
  const s = await get('/api/suspects?ip=47.0.0.1');
  assert.deepEqual(s.items[0].signatures, ['53-1-70/udp']);
});
