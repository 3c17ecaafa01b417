import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ConfigError, configSchema, loadConfig } from '../config.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { DIRECTORY_YAML } from '../testing/api.js';
import { runCli, tempDir } from '../testing/helpers.js';
import { bearer, FailureLimiter, isLoopback, refuseOpenBind, TokenSet } from './auth.js';
import { apiBindRefusal, registerApi, registerOps } from './index.js';

const A = 'aaaaaaaaaaaaaaaaaaaa-1';
const B = 'bbbbbbbbbbbbbbbbbbbb-2';

test('a token matches its own principal only: no prefix, no extension, no case folding', () => {
  const set = new TokenSet(
    [
      { name: 'noc', token: A, admin: true, organisations: [] },
      { name: 'campus', token: B, admin: false, organisations: ['Campus A'] },
    ],
    'env-token-0123456789',
  );
  assert.equal(set.match(A)?.name, 'noc');
  assert.deepEqual(set.match(B), { name: 'campus', admin: false, organisations: ['Campus A'] });
  assert.deepEqual(set.match('env-token-0123456789'), {
    name: 'FLOWHUNT_TOKEN',
    admin: true,
    organisations: [],
  });
  for (const wrong of ['', A.slice(0, -1), `${A}x`, A.toUpperCase(), ` ${A}`, B.replace('2', '3')])
    assert.equal(set.match(wrong), undefined, JSON.stringify(wrong));
  assert.equal(set.open, false);
  assert.equal(new TokenSet([], '').open, true);
  assert.throws(() => new TokenSet([], 'short'), /FLOWHUNT_TOKEN must be at least 16 characters/);
  assert.throws(
    () => new TokenSet([{ name: 'x', token: A, admin: true, organisations: [] }], A),
    /the token of "FLOWHUNT_TOKEN" is used twice/,
  );
});

test('bearer takes the token from an Authorization header and nothing else', () => {
  assert.equal(bearer(`Bearer ${A}`), A);
  assert.equal(bearer(`bearer  ${A} `), A);
  assert.equal(bearer(`Basic ${A}`), undefined);
  assert.equal(bearer('Bearer'), undefined);
  assert.equal(bearer(`Bearer ${A} extra`), undefined);
  assert.equal(bearer(undefined), undefined);
});

test('an open API (no token) is refused on any address but loopback', () => {
  for (const h of ['127.0.0.1', '127.9.9.9', '::1', 'localhost', '::ffff:127.0.0.1'])
    assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '140.112.1.1', '::2', '128.0.0.1'])
    assert.equal(isLoopback(h), false, h);
  const open = new TokenSet([]);
  assert.equal(refuseOpenBind('127.0.0.1', 8080, open), undefined);
  assert.match(
    refuseOpenBind('0.0.0.0', 8080, open)!,
    /^refusing to serve the API on 0\.0\.0\.0:8080 without an API token: set FLOWHUNT_TOKEN or api\.tokens/,
  );
  assert.match(refuseOpenBind('::', 80, open)!, /on \[::\]:80 /);
  assert.equal(refuseOpenBind('0.0.0.0', 8080, new TokenSet([], 'env-token-0123456789')), undefined);
  const cfg = configSchema.parse({});
  assert.match(apiBindRefusal(cfg, '0.0.0.0', 8080, '')!, /refusing/);
  assert.equal(apiBindRefusal(cfg, '0.0.0.0', 8080, 'env-token-0123456789'), undefined);
});

test('flowhunt serve on a non-loopback address without a token refuses to start, with the reason, in every role (all serve /metrics)', async () => {
  for (const role of ['all', 'collector', 'detector']) {
    const r = await runCli(
      [
        'serve',
        '--role',
        role,
        '--http',
        '0.0.0.0:0',
        '--netflow',
        '',
        '--sflow',
        '',
        '--data',
        '/nonexistent/never-created',
      ],
      { env: { FLOWHUNT_TOKEN: '' } },
    );
    assert.equal(r.code, 1, role);
    assert.match(r.stderr, /^flowhunt: refusing to serve the API on 0\.0\.0\.0:0 without an API token/m);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('config tokens: too short, neither admin nor scoped, or naming an unknown organisation are refused', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'dir.yaml'), DIRECTORY_YAML);
  const cases: [string, RegExp][] = [
    [
      'api:\n  tokens: [{ name: a, token: short, admin: true }]\n',
      /api\.tokens\.0\.token: must be at least 16/,
    ],
    [
      `api:\n  tokens: [{ name: a, token: ${A} }]\n`,
      /either admin: true or scoped to at least one organisation/,
    ],
    [
      `api:\n  tokens: [{ name: a, token: ${A}, admin: true, organisations: [X] }]\n`,
      /an admin token sees everything/,
    ],
    [`api:\n  tokenz: []\n`, /api/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(join(dir, 'c.yaml'), text);
    await assert.rejects(
      loadConfig(join(dir, 'c.yaml')),
      (e: Error) => e instanceof ConfigError && re.test(e.message),
      text,
    );
  }
  const store = await DuckFlowStore.open(join(dir, 'data'));
  t.after(() => store.close());
  const scoped = (orgs: string, directory?: string) =>
    configSchema.parse({
      ...(directory ? { enrich: { directory } } : {}),
      api: { tokens: [{ name: 'campus', token: A, organisations: [orgs] }] },
    });
  await assert.rejects(
    registerApi(Fastify(), { store, config: scoped('Campus A'), envToken: '', log: () => undefined }),
    /"campus" is scoped to organisation "Campus A" but no organisation directory is configured/,
  );
  await assert.rejects(
    registerApi(Fastify(), {
      store,
      config: scoped('Campus Z', join(dir, 'dir.yaml')),
      envToken: '',
      log: () => undefined,
    }),
    /"campus" names organisation "Campus Z", which the directory does not list/,
  );
});

test('with no token configured (loopback) the API answers as a local admin; with FLOWHUNT_TOKEN it needs it', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  t.after(() => store.close());
  const open = Fastify();
  await registerApi(open, { store, config: configSchema.parse({}), envToken: '', log: () => undefined });
  const me = await open.inject({ url: '/api/me' });
  assert.equal(me.statusCode, 200);
  assert.deepEqual(me.json(), { name: 'local', admin: true, organisations: [] });
  await open.close();
  const env = Fastify();
  await registerApi(env, {
    store,
    config: configSchema.parse({}),
    envToken: 'env-token-0123456789',
    log: () => undefined,
  });
  assert.equal((await env.inject({ url: '/api/me' })).statusCode, 401);
  const ok = await env.inject({ url: '/api/me', headers: { authorization: 'Bearer env-token-0123456789' } });
  assert.deepEqual(ok.json(), { name: 'FLOWHUNT_TOKEN', admin: true, organisations: [] });
  await env.close();
});

test('/metrics needs an admin token once tokens are configured; /healthz stays open and says nothing more', async () => {
  const config = configSchema.parse({
    api: {
      tokens: [
        { name: 'noc', token: A, admin: true },
        { name: 'campus', token: B, organisations: ['Campus A'] },
      ],
    },
  });
  const app = Fastify();
  registerOps(app, { config, envToken: '', metrics: async () => 'flowhunt_packets_total 1\n' });
  try {
    const get = (url: string, token?: string) =>
      app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const none = await get('/metrics');
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="flowhunt"');
    assert.doesNotMatch(none.body, /flowhunt_packets_total/);
    // A campus token sees no NOC metrics, and gets exactly what a wrong token gets: no oracle.
    const wrong = await get('/metrics', 'not-a-token-at-all');
    const campus = await get('/metrics', B);
    assert.equal(wrong.statusCode, 401);
    const answer = (r: typeof wrong) => ({
      status: r.statusCode,
      body: r.body,
      type: r.headers['content-type'],
      auth: r.headers['www-authenticate'],
      length: r.headers['content-length'],
    });
    assert.deepEqual(answer(campus), answer(wrong));
    assert.equal(wrong.body, 'the API token is not valid for this path\n');
    const ok = await get('/metrics', A);
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'flowhunt_packets_total 1\n');
    assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const health = await get('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { ok: true });
  } finally {
    await app.close();
  }
  // No token configured (loopback only): open.
  const open = Fastify();
  registerOps(open, { config: configSchema.parse({}), envToken: '', metrics: async () => 'x 1\n' });
  assert.equal((await open.inject({ url: '/metrics' })).body, 'x 1\n');
  await open.close();
});

test('invalid tokens are limited per client: after the limit even a valid token waits, other clients do not', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  t.after(() => store.close());
  let now = 1_000_000;
  const app = Fastify();
  t.after(() => app.close());
  await registerApi(app, {
    store,
    config: configSchema.parse({ api: { tokens: [{ name: 'noc', token: A, admin: true }] } }),
    envToken: '',
    log: () => undefined,
    failures: new FailureLimiter(3, 60_000, 100, () => now),
  });
  const me = (token: string | undefined, ip = '192.0.2.7') =>
    app.inject({
      url: '/api/me',
      remoteAddress: ip,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  for (let i = 0; i < 5; i++) assert.equal((await me(undefined)).statusCode, 401, 'no token: not a guess');
  for (let i = 0; i < 3; i++) assert.equal((await me(`guess-${i}-0123456789abcdef`)).statusCode, 401);
  const limited = await me(A);
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.headers['retry-after'], '60');
  assert.match(limited.json().message, /too many invalid tokens from 192\.0\.2\.7/);
  assert.equal((await me(A, '198.51.100.9')).statusCode, 200, 'another client');
  now += 60_001;
  assert.equal((await me(A)).statusCode, 200, 'after the window');
  // Bounded: many guessing clients, each tracked at most once.
  const lim = new FailureLimiter(1, 60_000, 10, () => now);
  for (let i = 0; i < 100; i++) lim.fail(`10.0.0.${i}`);
  assert.equal(lim.retryAfter('10.0.0.99'), 60);
  assert.equal(lim.retryAfter('10.0.0.0'), 0, 'the oldest were forgotten');
});
