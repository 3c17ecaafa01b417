import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Report } from '../detect/report.js';
import { tempDir } from '../testing/helpers.js';
import { genuineReports, parseMail, startSmtp, until } from '../testing/reports.js';
import { type AlertConfigInput, Alerter } from './index.js';
import { Outbox, type OutboxMessage } from './outbox.js';

let windows: Report[][] = [];
before(async () => {
  windows = await genuineReports(2);
});

const config = (port: number): AlertConfigInput => ({
  email: {
    host: '127.0.0.1',
    port,
    starttls: 'never',
    from: 'flowhunt@noc.example',
    to: ['noc@noc.example'],
    timeoutSeconds: 5,
  },
  retryMinSeconds: 0.05,
  retryMaxSeconds: 0.2,
});

const messageIds = (raws: { raw: string }[]) => raws.map((m) => parseMail(m.raw).header('message-id')!);

test('mail server down: alerts wait on disk; a restarted process delivers them all, each once', async (t) => {
  // A port with nothing listening: start a server to learn a free port, then close it.
  const probe = await startSmtp();
  const port = probe.port;
  await probe.close();
  const data = tempDir(t);
  const outboxDir = join(data, 'alerts', 'outbox');

  const first = await Alerter.open(config(port), { dataDir: data });
  first.start();
  const queued = await first.handle(windows[0]!);
  assert.equal(queued.length, 5, 'one alert per anomalous host');
  // Let the loop try and fail a few times.
  await until(() => readdirSync(outboxDir).filter((f) => f.endsWith('.json')).length === 5, 2000, 'files');
  await new Promise((r) => setTimeout(r, 400));
  const waiting = await first.outbox.pending();
  assert.equal(waiting.length, 5, 'all five still queued');
  assert.ok(
    waiting.some((m) => m.attempts >= 2),
    'retried with backoff',
  );
  const errors = waiting.flatMap((m) => (m.lastError ? [m.lastError] : []));
  assert.ok(errors.length > 0 && errors.every((e) => /ECONNREFUSED/.test(e)), 'the refusal is recorded');
  assert.equal(readdirSync(join(outboxDir, 'sent')).length, 0);
  // The process stops (or dies) with its alerts queued.
  await first.stop();

  // The mail server comes back on its port; a new process opens the same data directory.
  const smtp = await startSmtp({ port });
  t.after(() => smtp.close());
  const second = await Alerter.open(config(port), { dataDir: data });
  t.after(() => second.stop());
  // The next window of the same anomalies continues the threads: nothing new to send.
  assert.deepEqual(await second.handle(windows[1]!), []);
  second.start();
  await until(() => smtp.received.length === 5, 10_000, '5 mails');
  await until(async () => (await second.outbox.pending()).length === 0, 2000, 'empty outbox');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(smtp.received.length, 5, 'none sent twice');
  const ids = messageIds(smtp.received);
  assert.equal(new Set(ids).size, 5);
  assert.deepEqual((await second.outbox.pending()).length, 0);
  const receipts = await second.outbox.receipts();
  assert.deepEqual(receipts.map((r) => r.id).sort(), waiting.map((m) => m.id).sort());
  // Handling the first window again (a replay) queues nothing: the threads and the receipts know it.
  assert.deepEqual(await second.handle(windows[0]!), []);
  const texts = smtp.received.map((m) => parseMail(m.raw));
  assert.ok(texts.some((m) => m.subject === '[flowhunt] NEW: service-scan 203.0.113.5'));
  assert.ok(texts.every((m) => m.text.includes('Duration: anomalous since 2026-11-20 10:00 UTC, 5 minutes')));
});

test('a refused delivery is retried with the same Message-ID, and delivered once', async (t) => {
  let refusals = 2;
  const smtp = await startSmtp({ refuse: () => refusals-- > 0 });
  t.after(() => smtp.close());
  const a = await Alerter.open(config(smtp.port), { dataDir: tempDir(t) });
  t.after(() => a.stop());
  a.start();
  await a.handle(windows[0]!);
  await until(() => smtp.received.length === 5, 10_000, '5 mails');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(smtp.received.length, 5);
  assert.equal(smtp.refused.length, 2);
  const accepted = messageIds(smtp.received);
  assert.equal(new Set(accepted).size, 5);
  for (const id of messageIds(smtp.refused)) assert.ok(accepted.includes(id), `${id} delivered on a retry`);
});

test('the outbox: an id is queued once, before and after delivery; a receipt written before a crash is honoured', async (t) => {
  const dir = tempDir(t);
  const sent: string[] = [];
  let up = false;
  const box = await Outbox.open(
    dir,
    {
      test: async (m: OutboxMessage) => {
        if (!up) throw new Error('receiver down');
        sent.push(m.id);
      },
    },
    { retryMinMs: 10, retryMaxMs: 40 },
  );
  assert.equal(await box.enqueue('a1', 'test', { n: 1 }), true);
  assert.equal(await box.enqueue('a1', 'test', { n: 1 }), false, 'already queued');
  assert.equal(await box.enqueue('a2', 'test', { n: 2 }), true);
  const down = await box.deliverDue();
  assert.deepEqual(
    { d: down.delivered, f: down.failed, q: down.queued },
    { d: 0, f: 1, q: 2 },
    'one try per channel per pass',
  );
  assert.ok(down.nextDue !== undefined);
  up = true;
  await new Promise((r) => setTimeout(r, 20));
  const ok = await box.deliverDue();
  assert.equal(ok.delivered, 2);
  assert.deepEqual(sent, ['a1', 'a2']);
  assert.equal(await box.enqueue('a1', 'test', { n: 1 }), false, 'already sent');
  // A crash after the receipt and before the removal leaves both files: the message is not sent again.
  writeFileSync(
    join(dir, 'a3.json'),
    JSON.stringify({ id: 'a3', channel: 'test', createdAt: 0, attempts: 0, nextAttemptAt: 0, payload: {} }),
  );
  writeFileSync(
    join(dir, 'sent', 'a3.json'),
    JSON.stringify({ id: 'a3', channel: 'test', createdAt: 0, sentAt: Date.now(), attempts: 1 }),
  );
  writeFileSync(join(dir, 'a4.json.123-abcd.tmp'), '{"half');
  const reopened = await Outbox.open(dir, { test: async (m) => void sent.push(m.id) });
  assert.equal(
    existsSync(join(dir, 'a4.json.123-abcd.tmp')),
    false,
    'temporary files from a crash are cleared',
  );
  await reopened.deliverDue();
  assert.deepEqual(sent, ['a1', 'a2']);
  assert.equal(existsSync(join(dir, 'a3.json')), false);
  // A message for a channel with no sender waits rather than being dropped.
  await reopened.enqueue('w1', 'webhook', {});
  const r = await reopened.deliverDue();
  assert.equal(r.failed, 1);
  assert.match((await reopened.pending())[0]!.lastError!, /no webhook sender is configured/);
  await assert.rejects(reopened.enqueue('../x', 'test', {}), /bad outbox message id/);
});
