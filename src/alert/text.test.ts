import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Profile } from '../detect/profile.js';
import type { Report } from '../detect/report.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { genuineReports, later } from '../testing/reports.js';
import { packetsOctetsShare, renderAlert } from './text.js';

let reports: Report[] = [];
const T = defaultThresholds();

before(async () => {
  const windows = await genuineReports(3);
  reports = windows[2]!;
});

const rep = (ip: string) => reports.find((r) => r.ip === ip)!;
const NTU = { org: '國立臺灣大學', contacts: ['noc@ntu.example'] };

function lines(text: string): string[] {
  return text.split('\n');
}

test('English: type, attacker and organisation, thresholds, paper-style shares, summaries and duration', () => {
  const r = rep('203.0.113.5');
  assert.equal(r.type, 'service-scan');
  const { subject, text } = renderAlert(r, { org: 'Example Scanning Org' }, 'en');
  assert.equal(subject, '[flowhunt] NEW: service-scan 203.0.113.5 (Example Scanning Org)');
  const l = lines(text);
  assert.ok(l.includes('Attacker: 203.0.113.5 (client)'));
  assert.ok(l.includes('Organisation: Example Scanning Org'));
  assert.ok(l.some((x) => x.startsWith('Type: service-scan — bare probes of one service across many hosts')));
  assert.ok(l.includes('Window: 2026-11-20 10:10–10:15 UTC'));
  // The threshold is learned (this labelled window is the store's first: judged against its own hosts).
  const scanPeers = r.exceeded.find((e) => e.metric === 'distinct targets')!.threshold;
  assert.equal(r.baseline, 'this window');
  assert.ok(
    l.includes(
      `  - distinct targets: 3,000 ≥ ${scanPeers} (${(3000 / scanPeers).toFixed(2)}× the threshold)`,
    ),
    text,
  );
  const basis =
    l[
      l.indexOf(
        `  - distinct targets: 3,000 ≥ ${scanPeers} (${(3000 / scanPeers).toFixed(2)}× the threshold)`,
      ) + 1
    ]!;
  assert.match(basis, /^ {6}the minimum 30: too few host-windows \(\d+\) to learn from \(this window\)$/);
  assert.ok(l.includes(`  - packets per flow: 1 ≤ ${T.probe.maxPackets}`));
  assert.ok(
    l.includes(
      `  - top destination port share: 100.00% ≥ ${(T.probe.servicePortShare * 100).toFixed(2)}% (${(1 / T.probe.servicePortShare).toFixed(2)}× the threshold)`,
    ),
  );
  // The main features, as the paper prints them.
  const features = l.slice(l.indexOf('Main features:') + 1, l.indexOf('Main features:') + 5);
  assert.deepEqual(features, [
    '  - TCP 100.00%',
    '  - Docker-2375 100.00%',
    '  - 100.00% of flows 1 packet / 40 bytes',
    '  - SYN share > 95%',
  ]);
  assert.ok(
    l.includes(
      'Traffic: 3,000 flows, 3,000 packets, 120,000 bytes, 3,000 peers, 1 port; 1 packet per flow, 40 bytes per packet',
    ),
  );
  // The summaries: number of distinct values and the top 10 with shares.
  assert.ok(l.includes('  Protocols (1 distinct): TCP 100.00%'));
  assert.ok(l.includes('  TCP flags (1 distinct): ......S. 100.00%'));
  assert.ok(l.includes('  Destination ports (1 distinct): Docker-2375 100.00%'));
  assert.ok(l.includes('  Packets per flow (1 distinct): 1 100.00%'));
  assert.ok(l.includes('  Octets per flow (1 distinct): 40 100.00%'));
  assert.ok(l.includes('  Port-packets-octets (1 distinct): 2375-1-40 100.00%'));
  const src = l.find((x) => x.startsWith('  Source ports ('))!;
  assert.match(
    src,
    new RegExp(`^  Source ports \\(${r.profile.srcPorts.distinct.toLocaleString('en-US')} distinct\\): `),
  );
  assert.equal(src.split(', ').length, 10, 'top 10');
  assert.ok(
    l.includes(
      'Duration: anomalous since 2026-11-20 10:00 UTC, 15 minutes; 3 of 3 windows (100.00%), 3 in a row now',
    ),
  );
  assert.ok(l.includes(`Report: ${r.id}`));
});

test('Traditional Chinese: the same content in NOC wording, times in the configured zone', () => {
  const r = rep('203.0.113.5');
  const { subject, text } = renderAlert(r, NTU, 'zh-TW', { timeZone: 'Asia/Taipei' });
  assert.equal(subject, '[flowhunt] 新告警：服務掃描 203.0.113.5（國立臺灣大學）');
  const l = lines(text);
  assert.ok(
    l.some((x) =>
      x.startsWith('異常類型：服務掃描（service-scan） — 以不帶酬載的探測封包掃描大量主機的同一服務'),
    ),
  );
  assert.ok(l.includes('攻擊來源：203.0.113.5（用戶端）'));
  assert.ok(l.includes('所屬單位：國立臺灣大學'));
  assert.ok(l.includes('聯絡窗口：noc@ntu.example'));
  assert.ok(l.includes('偵測時段：2026-11-20 18:10–18:15 Asia/Taipei'));
  const p = r.exceeded.find((e) => e.metric === 'distinct targets')!.threshold;
  assert.ok(l.includes(`  - 不同目標數：3,000 ≥ ${p}（門檻的 ${(3000 / p).toFixed(2)} 倍）`));
  assert.match(
    l[l.indexOf(`  - 不同目標數：3,000 ≥ ${p}（門檻的 ${(3000 / p).toFixed(2)} 倍）`) + 1]!,
    /^ {6}最低門檻 30：/,
  );
  assert.ok(l.includes(`  - 每流封包數：1 ≤ ${T.probe.maxPackets}`));
  const i = l.indexOf('主要特徵：');
  assert.deepEqual(l.slice(i + 1, i + 5), [
    '  - TCP 100.00%',
    '  - Docker-2375 100.00%',
    '  - 100.00% 的流為 1 個封包／40 位元組',
    '  - SYN 比例 > 95%',
  ]);
  assert.ok(l.includes('  協定（1 種）：TCP 100.00%'));
  assert.ok(l.includes('  目的通訊埠（1 種）：Docker-2375 100.00%'));
  assert.ok(l.includes('  每流封包數（1 種）：1 100.00%'));
  assert.ok(l.includes('  每流位元組數（1 種）：40 100.00%'));
  assert.ok(
    l.includes(
      '持續時間：自 2026-11-20 18:00 Asia/Taipei 起異常，已持續 15 分鐘；3 個時段中有 3 個異常（100.00%），目前連續 3 個時段',
    ),
  );
  assert.ok(l.includes(`報告編號：${r.id}`));
});

test('a brute-force attack: the signature share, and top-10 summaries of a spread distribution', () => {
  const r = rep('198.18.7.7');
  assert.equal(r.type, 'content-attack');
  const sig = r.profile.ppo.top[0]!;
  assert.equal(sig.value, '22-4-240');
  const share = `${(sig.share * 100).toFixed(2)}%`;
  for (const [lang, want] of [
    ['en', `  - ${share} of flows 4 packets / 240 bytes`],
    ['zh-TW', `  - ${share} 的流為 4 個封包／240 位元組`],
  ] as const) {
    const l = lines(renderAlert(r, {}, lang).text);
    assert.ok(l.includes(want), lang);
    assert.ok(l.includes('  - SSH-22 100.00%'), lang);
    assert.ok(!l.some((x) => x.includes('SYN')), `${lang}: no SYN line for full sessions`);
  }
  const l = lines(renderAlert(r, {}, 'en').text);
  assert.ok(l.includes('Organisation: not in the organisation directory'));
  const pk = r.profile.packetsPerFlow.top.map((x) => `${x.value} ${(x.share * 100).toFixed(2)}%`).join(', ');
  assert.ok(l.includes(`  Packets per flow (2 distinct): ${pk}`));
  const oct = l.find((x) =>
    x.startsWith(`  Octets per flow (${r.profile.octetsPerFlow.distinct} distinct): 240 ${share}, `),
  )!;
  assert.equal(oct.split(', ').length, 10);
  assert.ok(l.includes('  TCP flags (1 distinct): ...AP.SF 100.00%'));
});

test('a port sweep has no main port: its number of ports is the feature', () => {
  const r = rep('203.0.113.77');
  const l = lines(renderAlert(r, {}, 'en').text);
  assert.ok(l.includes('  - Destination ports (1,500 distinct)'));
  assert.ok(l.includes('  - 100.00% of flows 1 packet / 44 bytes'));
  assert.ok(lines(renderAlert(r, {}, 'zh-TW').text).includes('  - 目的通訊埠（1,500 種）'));
});

test('victims: ingress ranking and mitigation; reflectors listed as abused hosts', () => {
  const ddos = rep('140.114.9.9');
  const top = ddos.ingress![0]!;
  const p = (x: number) => `${(x * 100).toFixed(2)}%`;
  const en = lines(renderAlert(ddos, {}, 'en').text);
  assert.ok(en.includes('Victim: 140.114.9.9'));
  assert.ok(
    en.includes(
      `  1. 198.51.100.1 interface 7: ${p(top.packetShare)} of packets, ${p(top.byteShare)} of bytes`,
    ),
  );
  assert.ok(en.includes(`Mitigation: ${ddos.mitigation}`));
  const zh = lines(renderAlert(ddos, {}, 'zh-TW').text);
  assert.ok(zh.includes('受害目標：140.114.9.9'));
  assert.ok(zh.includes(`  1. 198.51.100.1 介面 7：封包 ${p(top.packetShare)}、位元組 ${p(top.byteShare)}`));
  assert.ok(
    zh.includes(
      `處置建議：建議於 198.51.100.1 介面 7（${p(top.packetShare)}）過濾或限速送往 140.114.9.9 的攻擊流量，合計約占 ${p(top.packetShare)}。`,
    ),
  );
  const refl = rep('140.115.3.3');
  const en2 = lines(renderAlert(refl, {}, 'en').text);
  assert.ok(en2.includes('  - NTP-123 100.00% (source port)'));
  assert.ok(
    en2.includes(
      `Reflectors: 3,000 distinct (abused hosts, not attackers); largest: ${refl.reflectors!.join(', ')}`,
    ),
  );
  assert.equal(refl.reflectors!.length, 10);
  assert.ok(
    en2.some((x) =>
      x.startsWith('Mitigation: Filter or rate-limit UDP from amplification ports toward 140.115.3.3'),
    ),
  );
  const zh2 = lines(renderAlert(refl, {}, 'zh-TW').text);
  assert.ok(
    zh2.includes(
      `反射器：共 3,000 個（被濫用的主機，並非攻擊者）；流量最大者：${refl.reflectors!.join(', ')}`,
    ),
  );
  assert.ok(zh2.some((x) => x.includes('放大攻擊通訊埠 UDP 流量')));
  assert.ok(!en2.some((x) => x.startsWith('  TCP flags')), 'no flag summary without TCP');
});

test('location from geo data, escalations and reminders say so; nothing undefined in any alert', () => {
  const r = rep('203.0.113.5');
  const geo = { country: 'GB', city: 'London', asn: 1221, asOrg: 'Telstra Pty Ltd' };
  assert.ok(
    lines(renderAlert(r, geo, 'en').text).includes(
      'Location: United Kingdom (GB), London, AS1221 Telstra Pty Ltd',
    ),
  );
  assert.ok(
    lines(renderAlert(r, geo, 'zh-TW').text).includes('地理位置：英國（GB）、London、AS1221 Telstra Pty Ltd'),
  );
  const up = later(r, 1, r.score * 2);
  const esc = renderAlert(up, {}, 'en', { event: 'escalation', previousScore: r.score });
  assert.equal(esc.subject, '[flowhunt] ESCALATED: service-scan 203.0.113.5');
  assert.match(esc.text, new RegExp(`score rose from ${r.score} to ${r.score * 2}`));
  assert.match(
    renderAlert(up, {}, 'zh-TW', { event: 'escalation', previousScore: r.score }).text,
    /異常分數由 \d+ 升至 \d+/,
  );
  assert.equal(
    renderAlert(r, {}, 'zh-TW', { event: 'reminder' }).subject,
    '[flowhunt] 持續中：服務掃描 203.0.113.5',
  );
  assert.ok(reports.length >= 5);
  for (const x of reports)
    for (const lang of ['en', 'zh-TW'] as const) {
      const a = renderAlert(x, { ...NTU, ...geo }, lang);
      assert.doesNotMatch(a.text + a.subject, /undefined|NaN|\[object/, `${x.id} ${lang}`);
    }
});

test('the packets/octets share is exact from a complete list, a bound otherwise', () => {
  const d = (top: [string, number][], distinct = top.length) => ({
    distinct,
    top: top.map(([value, share]) => ({ value, share, flows: 0, packets: 0, bytes: 0 })),
  });
  const empty = d([]);
  const base: Profile = {
    protocols: empty,
    tcpFlags: empty,
    dstPorts: empty,
    srcPorts: empty,
    packetsPerFlow: d([['1', 0.99]], 2),
    octetsPerFlow: d([['40', 0.985]], 3),
    ppo: d([
      ['22-1-40', 0.5],
      ['23-1-40', 0.3],
      ['22-2-80', 0.01],
    ]),
    ingress: empty,
    peers: empty,
    ephemeralSrcShare: 0,
  };
  assert.deepEqual(packetsOctetsShare(base), { packets: 1, bytes: 40, share: 0.8, exact: true });
  // 40 ports: the list is cut, so the share comes from the separate distributions.
  const cut = {
    ...base,
    ppo: d(
      [
        ['22-1-40', 0.1],
        ['23-1-40', 0.1],
      ],
      40,
    ),
  };
  const s = packetsOctetsShare(cut)!;
  assert.equal(s.exact, false);
  assert.equal(Math.round(s.share * 10_000), 9750);
  const r = { ...rep('203.0.113.5'), profile: cut };
  assert.ok(lines(renderAlert(r, {}, 'en').text).includes('  - ≥ 97.50% of flows 1 packet / 40 bytes'));
});
