import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Report } from '../detect/report.js';
import { tempDir } from '../testing/helpers.js';
import { genuineReports, later } from '../testing/reports.js';
import { Throttle, ThrottleError } from './throttle.js';

let windows: Report[][] = [];
before(async () => {
  windows = await genuineReports(3);
});
const scan = (w: number) => windows[w]!.find((r) => r.ip === '203.0.113.5')!;

test('three windows of the same anomaly are one alert; every host and type is its own thread', async () => {
  const th = await Throttle.open(undefined);
  const events = windows.flatMap((w) => w.map((r) => th.decide(r)).filter((e) => e !== undefined));
  assert.equal(
    events.length,
    windows[0]!.length,
    'one start per anomalous host, nothing for windows 2 and 3',
  );
  assert.ok(events.every((e) => e.event === 'start' && e.seq === 1));
  assert.equal(new Set(events.map((e) => e.threadId)).size, events.length);
  assert.equal(th.thread('source|203.0.113.5|service-scan')!.reports, 3);
  // The same host with another anomaly type is another thread.
  const other = th.decide({ ...later(scan(2), 1), type: 'syn-scan' });
  assert.equal(other?.event, 'start');
});

test('escalation at escalateFactor × the last alerted score, then a reminder after reminderMinutes', async () => {
  const th = await Throttle.open(undefined, { escalateFactor: 2, reminderMinutes: 30, quietMinutes: 60 });
  const r = scan(0);
  assert.equal(th.decide(r)?.event, 'start');
  assert.equal(th.decide(later(r, 1, r.score * 1.9)), undefined, 'below the factor');
  const esc = th.decide(later(r, 2, r.score * 2));
  assert.equal(esc?.event, 'escalation');
  assert.equal(esc?.previousScore, r.score);
  assert.equal(esc?.seq, 2);
  assert.equal(th.decide(later(r, 3, r.score * 3)), undefined, 'relative to the escalated score now');
  // Reminders count from the last alert (window 2 ended at +15 min): due at +45 min, i.e. window 8.
  for (let w = 4; w <= 7; w++) assert.equal(th.decide(later(r, w, r.score * 2)), undefined, `window ${w}`);
  const rem = th.decide(later(r, 8, r.score * 2));
  assert.equal(rem?.event, 'reminder');
  assert.equal(rem?.threadId, esc?.threadId);
  assert.equal(th.decide(later(r, 9, r.score * 2)), undefined);
});

test('a thread ends after quietMinutes without reports; a window handled twice alerts once', async () => {
  const th = await Throttle.open(undefined, { quietMinutes: 60 });
  const r = scan(0);
  const first = th.decide(r)!;
  assert.equal(th.decide(r), undefined, 'the same window again');
  assert.equal(th.decide(later(r, 12)), undefined, 'a 55-minute gap is the same thread');
  const again = th.decide(later(r, 26)); // 65 minutes after window 12 ended
  assert.equal(again?.event, 'start', 'after more than an hour of quiet, a new thread');
  assert.notEqual(again?.threadId, first.threadId);
  th.prune(later(r, 26).windowEnd + 61 * 60_000);
  assert.equal(th.size, 0);
});

test('state survives a restart: no new alert for an ongoing thread; ids are deterministic', async (t) => {
  const file = join(tempDir(t), 'threads.json');
  const a = await Throttle.open(file);
  const e1 = a.decide(scan(0))!;
  await a.save();
  const b = await Throttle.open(file);
  assert.equal(b.decide(scan(1)), undefined, 'the restarted process continues the thread');
  assert.equal(b.decide(scan(0)), undefined);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).threads.length, 1);
  const fresh = await Throttle.open(undefined);
  assert.equal(fresh.decide(scan(0))!.id, e1.id, 'same thread event, same id');
  const bad = join(tempDir(t), 'bad.json');
  writeFileSync(bad, '{"threads": [');
  await assert.rejects(
    Throttle.open(bad),
    (e: Error) => e instanceof ThrottleError && /not valid JSON/.test(e.message),
  );
});
