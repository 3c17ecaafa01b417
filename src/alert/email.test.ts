import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Report } from '../detect/report.js';
import { Enricher } from '../enrich/index.js';
import { tempDir } from '../testing/helpers.js';
import { genuineReports, later, parseMail, startSmtp, until } from '../testing/reports.js';
import { Alerter } from './index.js';

let windows: Report[][] = [];
before(async () => {
  windows = await genuineReports(3);
});

const DIRECTORY = `organisations:
  - name: 範例掃描網路
    cidrs: [203.0.113.0/24]
    contacts: [abuse@scan.example]
    lang: zh-TW
  - name: Bench Net
    cidrs: [198.18.0.0/15]
    contacts: [cert@bench.example, CERT2@bench.example]
`;

async function enricher(t: Parameters<typeof tempDir>[0]): Promise<Enricher> {
  const f = join(tempDir(t), 'orgs.yaml');
  writeFileSync(f, DIRECTORY);
  return Enricher.open({ directory: f, geoCountry: false });
}

test('real mail to a real SMTP server: per-organisation recipients and language, one thread per anomaly', async (t) => {
  const smtp = await startSmtp();
  t.after(() => smtp.close());
  const alerter = await Alerter.open(
    {
      lang: 'en',
      email: {
        host: '127.0.0.1',
        port: smtp.port,
        tlsRejectUnauthorized: false, // the test server's built-in certificate
        from: 'flowhunt <flowhunt@noc.example>',
        to: ['noc@noc.example'],
      },
      retryMinSeconds: 0.05,
    },
    { dataDir: tempDir(t), enricher: await enricher(t) },
  );
  t.after(() => alerter.stop());
  alerter.start();
  let queued = 0;
  for (const w of windows) queued += (await alerter.handle(w)).length;
  // Five anomalous hosts, one thread each over three windows. The two scanners of the zh-TW organisation
  // get a Chinese mail to its contact and an English one to the NOC; Bench Net (no lang) one English mail
  // to its contacts and the NOC together; the victims, in no organisation, one to the NOC.
  assert.equal(queued, 7);
  await until(() => smtp.received.length === 7, 15_000, '7 mails');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(smtp.received.length, 7, 'and no more');
  const mails = smtp.received.map((m) => ({ ...parseMail(m.raw), rcpt: m.rcpt, secure: m.secure }));
  assert.ok(
    mails.every((m) => m.secure),
    'STARTTLS used when offered',
  );

  const zh = mails.find((m) => m.subject.includes('203.0.113.5') && m.rcpt.includes('abuse@scan.example'))!;
  assert.deepEqual(zh.rcpt, ['abuse@scan.example']);
  assert.equal(zh.subject, '[flowhunt] 新告警：服務掃描 203.0.113.5（範例掃描網路）');
  assert.equal(zh.header('content-language'), 'zh-TW');
  assert.match(zh.header('message-id')!, /^<[0-9a-f]{24}\.zh-TW@noc\.example>$/);
  assert.match(zh.header('from')!, /flowhunt@noc\.example/);
  for (const want of [
    '攻擊來源：203.0.113.5（用戶端）',
    '所屬單位：範例掃描網路',
    '  - TCP 100.00%',
    '  - Docker-2375 100.00%',
    '  - 100.00% 的流為 1 個封包／40 位元組',
    '  - SYN 比例 > 95%',
    '  協定（1 種）：TCP 100.00%',
    '持續時間：自 2026-11-20 10:00 UTC 起異常，已持續 5 分鐘；1 個時段中有 1 個異常（100.00%），目前連續 1 個時段',
  ])
    assert.ok(zh.text.split('\n').includes(want), want);

  const en = mails.find((m) => m.subject.includes('203.0.113.5') && m.rcpt.includes('noc@noc.example'))!;
  assert.deepEqual(en.rcpt, ['noc@noc.example']);
  assert.equal(en.subject, '[flowhunt] NEW: service-scan 203.0.113.5 (範例掃描網路)');
  for (const want of [
    'Attacker: 203.0.113.5 (client)',
    'Organisation: 範例掃描網路',
    '  - 100.00% of flows 1 packet / 40 bytes',
    '  - SYN share > 95%',
    '  Destination ports (1 distinct): Docker-2375 100.00%',
    'Duration: anomalous since 2026-11-20 10:00 UTC, 5 minutes; 1 of 1 windows (100.00%), 1 in a row now',
  ])
    assert.ok(en.text.split('\n').includes(want), want);

  const bench = mails.filter((m) => m.subject.includes('198.18.7.7'));
  assert.equal(bench.length, 1);
  assert.deepEqual(bench[0]!.rcpt, ['cert@bench.example', 'CERT2@bench.example', 'noc@noc.example']);
  assert.ok(bench[0]!.text.includes('  - SSH-22 100.00%'));
  const victims = mails.filter((m) => /140\.11[45]/.test(m.subject));
  assert.equal(victims.length, 2);
  assert.ok(victims.every((m) => m.rcpt.join() === 'noc@noc.example'));
  assert.ok(
    victims.some((m) =>
      m.text.includes('Mitigation: Filter or rate-limit the attack traffic toward 140.114.9.9'),
    ),
  );
  assert.equal(new Set(mails.map((m) => m.header('message-id'))).size, 7);

  // The scan doubles: an escalation, in the same mail thread as the first alert (per language).
  const scan = windows[2]!.find((r) => r.ip === '203.0.113.5')!;
  const up = await alerter.handle([later(scan, 1, scan.score * 2)]);
  assert.deepEqual(
    up.map((q) => [q.event, q.lang]),
    [
      ['escalation', 'zh-TW'],
      ['escalation', 'en'],
    ],
  );
  await until(() => smtp.received.length === 9, 10_000, '2 more mails');
  const follow = smtp.received.slice(7).map((m) => ({ ...parseMail(m.raw), rcpt: m.rcpt }));
  const zhUp = follow.find((m) => m.rcpt.includes('abuse@scan.example'))!;
  assert.equal(zhUp.subject, '[flowhunt] 升級：服務掃描 203.0.113.5（範例掃描網路）');
  assert.equal(zhUp.header('in-reply-to'), zh.header('message-id'));
  assert.equal(zhUp.header('references'), zh.header('message-id'));
  const enUp = follow.find((m) => m.rcpt.includes('noc@noc.example'))!;
  assert.equal(enUp.header('in-reply-to'), en.header('message-id'));
  assert.ok(enUp.text.includes(`score rose from ${scan.score} to ${scan.score * 2}`));
  assert.ok(
    enUp.text.includes(
      'Duration: anomalous since 2026-11-20 10:00 UTC, 15 minutes; 3 of 3 windows (100.00%), 3 in a row now',
    ),
  );
});

test('STARTTLS required and SMTP authentication (password from the environment); a bad password keeps mail queued', async (t) => {
  const smtp = await startSmtp({ auth: { user: 'noc', pass: 's3cret' } });
  t.after(() => smtp.close());
  const r = windows[0]!.find((x) => x.ip === '140.114.9.9')!;
  process.env['FLOWHUNT_TEST_SMTP_PASS'] = 's3cret';
  const email = {
    host: '127.0.0.1',
    port: smtp.port,
    starttls: 'required' as const,
    tlsRejectUnauthorized: false,
    user: 'noc',
    passEnv: 'FLOWHUNT_TEST_SMTP_PASS',
    from: 'flowhunt@noc.example',
    to: ['noc@noc.example'],
  };
  const good = await Alerter.open({ lang: 'zh-TW', email, retryMinSeconds: 0.05 }, { dataDir: tempDir(t) });
  t.after(() => good.stop());
  assert.equal((await good.handle([r])).length, 1);
  const pass1 = await good.outbox.deliverDue();
  assert.equal(pass1.delivered, 1);
  assert.equal(smtp.received.length, 1);
  assert.equal(smtp.received[0]!.secure, true);
  assert.equal(smtp.received[0]!.user, 'noc');
  const m = parseMail(smtp.received[0]!.raw);
  assert.equal(m.subject, '[flowhunt] 新告警：DDoS 攻擊受害者 140.114.9.9');
  assert.ok(m.text.includes('受害目標：140.114.9.9'));
  assert.ok(m.text.includes('  1. 198.51.100.1 介面 7：封包 '));

  const bad = await Alerter.open(
    { email: { ...email, passEnv: undefined, pass: 'wrong' }, retryMinSeconds: 60 },
    { dataDir: tempDir(t) },
  );
  t.after(() => bad.stop());
  await bad.handle([r]);
  const pass2 = await bad.outbox.deliverDue();
  assert.equal(pass2.failed, 1);
  const [queued] = await bad.outbox.pending();
  assert.equal(queued!.attempts, 1);
  assert.match(queued!.lastError!, /auth|535|Invalid/i);
  assert.equal(smtp.received.length, 1, 'nothing more delivered');
  await assert.rejects(
    Alerter.open({ email: { ...email, passEnv: 'FLOWHUNT_TEST_UNSET_VAR' } }, { dataDir: tempDir(t) }),
    /passEnv names FLOWHUNT_TEST_UNSET_VAR, which is not set/,
  );
});
