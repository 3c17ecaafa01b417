/**
 * @module The bad-token limiter on every authenticated path (issue #12,
 * finding 6): `/metrics` shares the API's limiter, IPv6 clients count per
 * /64, churn from other addresses does not free an offender, and hashed
 * (`sha256:`) tokens.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { configSchema } from '../config.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { DIRECTORY_YAML } from '../testing/api.js';
import { tempDir } from '../testing/helpers.js';
import { startServe } from '../testing/serve.js';
import { clientKey, FailureLimiter, TokenSet } from './auth.js';
import { registerApi, registerOps } from './index.js';

const ADMIN = 'aaaaaaaaaaaaaaaaaaaa-1';
const CAMPUS = 'bbbbbbbbbbbbbbbbbbbb-2';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('one limiter for /metrics and /api on a real serve: 20 bad tokens on /metrics block the client everywhere', async (t) => {
  const dir = tempDir(t);
  const cfg = join(dir, 'flowhunt.yaml');
  writeFileSync(cfg, `api:\n  tokens:\n    - { name: noc, token: ${ADMIN}, admin: true }\n`);
  const serve = await startServe(['--data', join(dir, 'data'), '--config', cfg], { FLOWHUNT_TOKEN: '' });
  try {
    const get = (path: string, token: string) =>
      fetch(`${serve.http}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get('/metrics', ADMIN)).status, 200);
    for (let i = 0; i < 20; i++) {
      const r = await get('/metrics', `guess-${i}-0123456789abcdef`);
      assert.equal(r.status, 401, `guess ${i}`);
    }
    const blocked = await get('/metrics', ADMIN);
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers.get('retry-after'), '60');
    assert.match(await blocked.text(), /^too many invalid tokens from 127\.0\.0\.1: try again in 60 s\n$/);
    assert.equal((await get('/api/me', ADMIN)).status, 429, 'the API shares the limiter');
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
});

test('guesses at the API count against /metrics too, and a campus token on /metrics counts as a guess', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'dir.yaml'), DIRECTORY_YAML);
  const store = await DuckFlowStore.open(join(dir, 'data'));
  t.after(() => store.close());
  const config = configSchema.parse({
    enrich: { directory: join(dir, 'dir.yaml') },
    api: {
      tokens: [
        { name: 'noc', token: `sha256:${sha(ADMIN)}`, admin: true },
        { name: 'campus', token: CAMPUS, organisations: ['Campus A'] },
      ],
    },
  });
  const app = Fastify();
  t.after(() => app.close());
  const failures = new FailureLimiter(3, 60_000, 100);
  registerOps(app, { config, envToken: '', metrics: async () => 'x 1\n', failures });
  await registerApi(app, { store, config, envToken: '', log: () => undefined });
  const get = (url: string, token: string, ip = '192.0.2.7') =>
    app.inject({ url, remoteAddress: ip, headers: { authorization: `Bearer ${token}` } });
  assert.equal((await get('/api/me', CAMPUS)).statusCode, 200, 'the campus token is valid for the API');
  assert.equal((await get('/api/me', 'wrong-token-0123456789')).statusCode, 401);
  assert.equal((await get('/api/me', 'wrong-token-0123456789')).statusCode, 401);
  assert.equal((await get('/metrics', CAMPUS)).statusCode, 401);
  assert.equal((await get('/metrics', ADMIN)).statusCode, 429);
  assert.equal((await get('/api/me', ADMIN)).statusCode, 429);
  // The hashed admin token works from another client; its hash presented as a token does not.
  assert.equal((await get('/metrics', ADMIN, '192.0.2.8')).body, 'x 1\n');
  const me = (await get('/api/me', ADMIN, '192.0.2.8')).json();
  assert.deepEqual([me.name, me.admin], ['noc', true]);
  assert.equal((await get('/api/me', `sha256:${sha(ADMIN)}`, '192.0.2.9')).statusCode, 401);
  // IPv6 clients of one /64 share one budget over HTTP too.
  for (const ip of ['2001:db8:7:7::1', '2001:db8:7:7::2', '2001:db8:7:7:1:2:3:4'])
    assert.equal((await get('/metrics', 'wrong-token-0123456789', ip)).statusCode, 401);
  const v6 = await get('/metrics', ADMIN, '2001:db8:7:7::99');
  assert.equal(v6.statusCode, 429);
  assert.match(v6.body, /^too many invalid tokens from 2001:db8:7:7::99: try again in 60 s\n$/);
  assert.equal((await get('/metrics', ADMIN, '2001:db8:7:8::1')).statusCode, 200, 'the next /64');
});

test('IPv6 clients count per /64: three addresses of one /64 share one budget', () => {
  assert.equal(clientKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
  let now = 0;
  const lim = new FailureLimiter(3, 60_000, 100, () => now);
  lim.fail('2001:db8:1:2::1');
  lim.fail('2001:db8:1:2::2');
  assert.equal(lim.retryAfter('2001:db8:1:2::3'), 0);
  lim.fail('2001:db8:1:2:abcd::3');
  assert.equal(lim.retryAfter('2001:db8:1:2::99'), 60);
  assert.equal(lim.retryAfter('2001:db8:1:3::1'), 0, 'the next /64 is another client');
  now = 60_000;
  assert.equal(lim.retryAfter('2001:db8:1:2::1'), 0, 'after the window');
});

test('churn of 20,000 other addresses failing once does not free a blocked client, and the tables stay bounded', () => {
  let now = 0;
  const lim = new FailureLimiter(20, 60_000, 10_000, () => now);
  for (let i = 0; i < 20; i++) lim.fail('198.51.100.66');
  assert.equal(lim.retryAfter('198.51.100.66'), 60);
  for (let i = 0; i < 20_000; i++) {
    now = i;
    lim.fail(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  }
  now = 20_000;
  assert.equal(lim.retryAfter('198.51.100.66'), 40, 'still blocked, 20 s of the window gone');
  assert.deepEqual(lim.size, { counting: 10_000, blocked: 1 });
  // Only more blocked clients than the table holds push out the first (the block that ends soonest).
  const small = new FailureLimiter(1, 60_000, 3, () => now);
  for (const c of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) small.fail(c);
  assert.deepEqual(
    ['10.0.0.1', '10.0.0.2', '10.0.0.4'].map((c) => small.retryAfter(c)),
    [0, 60, 60],
  );
});

test('hashed tokens: sha256 of the token in the config; a malformed hash is refused; the same token twice is caught', () => {
  const set = new TokenSet([
    { name: 'noc', token: `sha256:${sha(ADMIN).toUpperCase()}`, admin: true, organisations: [] },
  ]);
  assert.equal(set.match(ADMIN)?.name, 'noc');
  assert.equal(set.match(CAMPUS), undefined);
  assert.equal(set.match(`sha256:${sha(ADMIN)}`), undefined);
  const bad = configSchema.safeParse({
    api: { tokens: [{ name: 'noc', token: `sha256:${sha(ADMIN).slice(1)}`, admin: true }] },
  });
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0]!.message, /a hashed token is sha256: followed by 64 hex digits/);
  assert.throws(
    () =>
      new TokenSet([
        { name: 'a', token: ADMIN, admin: true, organisations: [] },
        { name: 'b', token: `sha256:${sha(ADMIN)}`, admin: true, organisations: [] },
      ]),
    /the token of "b" is used twice/,
  );
});
