import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { localZone, parseTimeZone, WallClock } from './times.js';

const us = (iso: string) => Date.parse(iso) * 1000;

test('times: --tz accepts IANA names, UTC and offsets, and refuses anything else', () => {
  const name = (s: string) => parseTimeZone(s)?.name;
  assert.equal(name('Asia/Taipei'), 'Asia/Taipei');
  assert.equal(name('europe/prague'), 'Europe/Prague');
  assert.equal(name('UTC'), 'UTC');
  assert.equal(name('z'), 'UTC');
  assert.equal(name('+08:00'), '+08:00');
  assert.equal(name('+0800'), '+08:00');
  assert.equal(name('+8'), '+08:00');
  assert.equal(name('UTC+8'), '+08:00');
  assert.equal(name('GMT-05:30'), '-05:30');
  assert.equal(name('-00:00'), '+00:00');
  assert.equal(parseTimeZone('+08:00')!.offsetMs(0), 8 * 3_600_000);
  assert.equal(parseTimeZone('-0530')!.offsetMs(0), -(5 * 60 + 30) * 60_000);
  for (const bad of [
    'Mars/Olympus',
    '+15:00',
    '+08:60',
    '',
    '8',
    'UTC+',
    '../../etc/passwd',
    'x'.repeat(100),
  ])
    assert.equal(parseTimeZone(bad), undefined, bad);
  assert.equal(localZone().isLocal, true);
  assert.equal(parseTimeZone('Asia/Taipei')!.isLocal, false);
});

test('times: wall-clock times in a zone are the instants GNU date gives for them', () => {
  const cases: [string, string][] = [
    ['Asia/Taipei', '2011/08/10 09:46:53'],
    ['Europe/Prague', '2011/08/10 09:46:53'],
    ['Europe/Prague', '2011/12/24 23:59:59'],
    ['America/New_York', '2026-03-08 01:59:59'],
    ['America/New_York', '2026-03-08 03:00:00'],
    ['Australia/Lord_Howe', '2026-07-01 12:00:00'],
    ['Asia/Kathmandu', '2000-01-01 00:00:00'],
  ];
  for (const [zone, text] of cases) {
    const date = execFileSync('date', ['-d', text.replaceAll('/', '-'), '+%s'], {
      env: { ...process.env, TZ: zone },
      encoding: 'utf8',
    });
    const got = new WallClock(parseTimeZone(zone)!).micros(text);
    assert.equal(got, Number(date.trim()) * 1e6, `${zone} ${text}`);
  }
});

test('times: a repeated hour gives the earlier instant, a skipped one the offset before the change', () => {
  const prague = () => new WallClock(parseTimeZone('Europe/Prague')!);
  // 30 Oct 2011: 03:00 CEST back to 02:00 CET; 02:30 happened twice, first at 00:30 UTC.
  assert.equal(prague().micros('2011/10/30 02:30:00'), us('2011-10-30T00:30:00Z'));
  // 27 Mar 2011: 02:00 CET jumped to 03:00 CEST; 02:30 never happened: read as CET, 01:30 UTC.
  assert.equal(prague().micros('2011/03/27 02:30:00'), us('2011-03-27T01:30:00Z'));
  assert.equal(prague().micros('2011/03/27 03:30:00'), us('2011-03-27T01:30:00Z'));
});

test('times: fractions to the microsecond, the minute cache follows the text, bad dates are NaN', () => {
  const c = new WallClock(parseTimeZone('+08:00')!);
  assert.equal(c.micros('2011/08/10 09:46:53.047277'), us('2011-08-10T01:46:53.047Z') + 277);
  assert.equal(c.micros('2011/08/10 09:46:54.5'), us('2011-08-10T01:46:54.500Z'));
  assert.equal(c.micros('2011/08/10 09:47:00'), us('2011-08-10T01:47:00Z'));
  assert.equal(c.micros('2011-08-10 09:47:01'), us('2011-08-10T01:47:01Z'));
  for (const bad of [
    '2011/02/29 00:00:00',
    '2011/08/10 24:00:00',
    '1969/12/31 23:59:59',
    '2011/08/10 09:46',
    'x',
  ])
    assert.ok(Number.isNaN(c.micros(bad)), bad);
  assert.ok(Number.isNaN(c.micros('2011/08/10 09:47:0x')));
});
