import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, test } from 'node:test';
import type { Report } from '../detect/report.js';
import { tempDir } from '../testing/helpers.js';
import { genuineReports, until } from '../testing/reports.js';
import { Alerter, alertConfigSchema } from './index.js';
import type { WebhookPayload } from './webhook.js';

let reports: Report[] = [];
before(async () => {
  reports = (await genuineReports(1))[0]!;
});

interface Hit {
  status: number;
  headers: IncomingHttpHeaders;
  body: WebhookPayload;
}

test('webhook: a JSON POST per alert; a 500 answer is retried with the same id', async (t) => {
  const hits: Hit[] = [];
  let failures = 1;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failures-- > 0 ? 500 : 204;
      hits.push({ status, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const alerter = await Alerter.open(
    { lang: 'zh-TW', webhook: { url, headers: { authorization: 'Bearer t0ken' } }, retryMinSeconds: 0.05 },
    { dataDir: tempDir(t) },
  );
  t.after(() => alerter.stop());
  alerter.start();
  const queued = await alerter.handle(reports);
  assert.equal(queued.length, 5);
  await until(() => hits.filter((h) => h.status === 204).length === 5, 10_000, '5 deliveries');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(hits.length, 6, 'five alerts, one of them twice (the 500)');
  const ok = hits.filter((h) => h.status === 204);
  assert.equal(new Set(ok.map((h) => h.body.id)).size, 5);
  assert.ok(
    ok.some((h) => h.body.id === hits[0]!.body.id),
    'the failed one delivered on retry, same id',
  );
  for (const h of hits) {
    assert.equal(h.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(h.headers['authorization'], 'Bearer t0ken');
    assert.equal(h.headers['idempotency-key'], h.body.id);
  }
  const scan = ok.find((h) => h.body.ip === '203.0.113.5')!.body;
  const r = reports.find((x) => x.ip === '203.0.113.5')!;
  assert.equal(scan.type, 'service-scan');
  assert.equal(scan.event, 'start');
  assert.equal(scan.reportId, r.id);
  assert.equal(scan.lang, 'zh-TW');
  assert.deepEqual(scan.report, JSON.parse(JSON.stringify(r)));
  assert.equal(scan.subject, '[flowhunt] 新告警：服務掃描 203.0.113.5');
  assert.ok(scan.text.includes('  - 100.00% 的流為 1 個封包／40 位元組'));
  assert.equal((await alerter.outbox.pending()).length, 0);
});

test('config: defaults are valid; bad values are refused with their path', () => {
  const d = alertConfigSchema.parse({});
  assert.deepEqual(
    { ...d },
    {
      lang: 'en',
      timeZone: 'UTC',
      reminderMinutes: 360,
      escalateFactor: 2,
      quietMinutes: 60,
      retryMinSeconds: 30,
      retryMaxSeconds: 1800,
      keepSentDays: 7,
    },
  );
  const bad = (x: unknown) => alertConfigSchema.safeParse(x).error?.issues[0]?.path.join('.');
  assert.equal(bad({ timeZone: 'Mars/Olympus' }), 'timeZone');
  assert.equal(bad({ lang: 'fr' }), 'lang');
  assert.equal(bad({ escalateFactor: 1 }), 'escalateFactor');
  assert.equal(bad({ webhook: { url: 'ftp://x' } }), 'webhook.url');
  assert.equal(bad({ email: { host: 'h', from: 'a@b', starttls: 'yes' } }), 'email.starttls');
  assert.equal(bad({ email: { host: 'h' } }), 'email.from');
  assert.equal(bad({ smtp: {} }), '');
  const e = alertConfigSchema.parse({ email: { host: 'mail', from: 'f@x.example' } }).email!;
  assert.deepEqual(
    { port: e.port, secure: e.secure, starttls: e.starttls, to: e.to, orgContacts: e.orgContacts },
    { port: 25, secure: false, starttls: 'opportunistic', to: [], orgContacts: true },
  );
});
