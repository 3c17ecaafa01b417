/**
 * @module The words of an alert in English and Traditional Chinese (Taiwan).
 *
 * One table per language with the same shape, so a missing translation is a
 * type error rather than a blank in a NOC's mailbox. Anomaly types are keyed
 * by the detector's type list; rule metrics by the detector's metric names,
 * falling back to the English name for one added later.
 */

import type { AnomalyType } from '../detect/rules.js';
import type { Lang } from '../enrich/directory.js';
import { dec, int, plural } from './format.js';

export type AlertEvent = 'start' | 'escalation' | 'reminder';

export interface Messages {
  event: Record<AlertEvent, string>;
  type: Record<AnomalyType, string>;
  /** Rule descriptions by `type/hostKind` or `type`; the report's own English text otherwise. */
  rule: Record<string, string>;
  metric: Record<string, string>;
  /** Separator in a list of values, and a parenthesised remark, in the language's punctuation. */
  sep: string;
  colon: string;
  paren: (x: string) => string;
  label: {
    title: string;
    type: string;
    attacker: string;
    victim: string;
    client: string;
    server: string;
    org: string;
    noOrg: string;
    contacts: string;
    location: string;
    window: string;
    score: string;
    exceeded: string;
    features: string;
    traffic: string;
    summaries: string;
    duration: string;
    ingress: string;
    mitigation: string;
    reflectors: string;
    report: string;
  };
  dim: {
    protocols: string;
    tcpFlags: string;
    dstPorts: string;
    srcPorts: string;
    packetsPerFlow: string;
    octetsPerFlow: string;
    ppo: string;
    ingress: string;
    peers: string;
  };
  /** `(N× the threshold)` after an exceeded value. */
  times: (ratio: string) => string;
  /** What a learned threshold was judged against. */
  basis: (b: {
    learned?: string;
    quantile: string;
    margin: string;
    n: string;
    from: string;
    minimum: string;
  }) => string;
  scoreLine: (score: string, rank: number) => string;
  escalated: (from: string, to: string) => string;
  flowsOf: (share: string, packets: number, bytes: number) => string;
  synOver: string;
  synShare: (share: string) => string;
  sourcePort: string;
  traffic: (t: {
    flows: number;
    packets: number;
    bytes: number;
    peers: number;
    ports: number;
    ppf: number;
    bpp: number;
  }) => string;
  distinct: (n: string) => string;
  duration: (d: {
    since: string;
    minutes: number;
    windows: number;
    anomalous: number;
    share: string;
    streak: number;
  }) => string;
  ingressLine: (where: string, packets: string, bytes: string) => string;
  iface: (exporter: string, iface: number) => string;
  mitigate: (what: 'reflection' | 'attack', ip: string, where: string, share: string) => string;
  noIngress: (ip: string) => string;
  abused: (n: number) => string;
}

const hours = (m: number) => (m >= 120 ? ` (${(m / 60).toFixed(1)} h)` : '');

const en: Messages = {
  event: { start: 'NEW', escalation: 'ESCALATED', reminder: 'ONGOING' },
  type: {
    'port-sweep': 'port-sweep',
    'content-attack': 'content-attack',
    'service-scan': 'service-scan',
    'syn-scan': 'syn-scan',
    'many-peers': 'many-peers',
    'reflection-victim': 'reflection-victim',
    'ddos-victim': 'ddos-victim',
    flood: 'flood',
    'ping-sweep': 'ping-sweep',
    'distributed-scan': 'distributed-scan',
  },
  rule: {},
  metric: {},
  sep: ', ',
  colon: ': ',
  paren: (x) => ` (${x})`,
  label: {
    title: 'flowhunt alert',
    type: 'Type',
    attacker: 'Attacker',
    victim: 'Victim',
    client: 'client',
    server: 'server',
    org: 'Organisation',
    noOrg: 'not in the organisation directory',
    contacts: 'Contacts',
    location: 'Location',
    window: 'Window',
    score: 'Score',
    exceeded: 'Thresholds exceeded',
    features: 'Main features',
    traffic: 'Traffic',
    summaries: 'Summaries (distinct values: top 10 with share of flows)',
    duration: 'Duration',
    ingress: 'Ingress (largest first)',
    mitigation: 'Mitigation',
    reflectors: 'Reflectors',
    report: 'Report',
  },
  dim: {
    protocols: 'Protocols',
    tcpFlags: 'TCP flags',
    dstPorts: 'Destination ports',
    srcPorts: 'Source ports',
    packetsPerFlow: 'Packets per flow',
    octetsPerFlow: 'Octets per flow',
    ppo: 'Port-packets-octets',
    ingress: 'Ingress interfaces',
    peers: 'Peers',
  },
  times: (r) => ` (${r}× the threshold)`,
  basis: (b) =>
    b.learned === undefined
      ? `the minimum ${b.minimum}: too few host-windows (${b.n}) to learn from (${b.from})`
      : `${b.margin} × this network's ${b.quantile} percentile ${b.learned} (${b.n} host-windows, ${b.from}), at least ${b.minimum}`,
  scoreLine: (s, rank) => `${s}× its thresholds (rank ${rank} in the window)`,
  escalated: (a, b) => `score rose from ${a} to ${b}`,
  flowsOf: (share, p, b) => `${share} of flows ${plural(p, 'packet')} / ${b} bytes`,
  synOver: 'SYN share > 95%',
  synShare: (s) => `SYN share ${s}`,
  sourcePort: 'source port',
  traffic: (t) =>
    `${plural(t.flows, 'flow')}, ${plural(t.packets, 'packet')}, ${plural(t.bytes, 'byte')}, ${plural(t.peers, 'peer')}, ${plural(t.ports, 'port')}; ${plural(t.ppf, 'packet')} per flow, ${plural(t.bpp, 'byte')} per packet`,
  distinct: (n) => `${n} distinct`,
  duration: (d) =>
    `anomalous since ${d.since}, ${d.minutes} minutes${hours(d.minutes)}; ${d.anomalous} of ${d.windows} windows (${d.share}), ${d.streak} in a row now`,
  ingressLine: (w, p, b) => `${w}: ${p} of packets, ${b} of bytes`,
  iface: (x, i) => `${x} interface ${i}`,
  mitigate: (what, ip, where, share) =>
    `Filter or rate-limit ${what === 'reflection' ? 'UDP from amplification ports' : 'the attack traffic'} toward ${ip} at ${where}: together ${share} of it.`,
  noIngress: (ip) => `No ingress information for traffic to ${ip}.`,
  abused: (n) => `${int(n)} distinct (abused hosts, not attackers); largest`,
};

const zhTW: Messages = {
  event: { start: '新告警', escalation: '升級', reminder: '持續中' },
  type: {
    'port-sweep': '通訊埠掃描',
    'content-attack': '內容型攻擊',
    'service-scan': '服務掃描',
    'syn-scan': 'SYN 掃描',
    'many-peers': '連線對象過多',
    'reflection-victim': '反射放大攻擊受害者',
    'ddos-victim': 'DDoS 攻擊受害者',
    flood: '封包洪泛',
    'ping-sweep': 'Ping 掃描',
    'distributed-scan': '分散式掃描',
  },
  rule: {
    'port-sweep': '對少數主機探測大量目的通訊埠（垂直掃描）',
    'content-attack': '針對單一服務，每個流帶有數個含酬載的封包，且連線型態一致（暴力破解、漏洞利用）',
    'service-scan': '以不帶酬載的探測封包掃描大量主機的同一服務（大範圍服務掃描）',
    'syn-scan': '對大量主機與通訊埠送出僅含 SYN 的探測封包',
    'many-peers/client': '連線對象遠多於一般用戶端，且每個對象約只有一次連線',
    'many-peers/server': '伺服器回應的用戶端數量遠超過平常',
    'reflection-victim': '大量反射器從放大攻擊通訊埠（DNS、NTP、memcached 等）送來大型 UDP 回應',
    'ddos-victim': '大量來源各送出少數不帶酬載或僅含 SYN 的流（偽造來源或殭屍網路 DDoS）',
    flood: '大量小封包湧向單一主機',
    'ping-sweep': '對大量位址各送出一次 ICMP 回應請求（或其他 ICMP 類型）（Ping 掃描）',
    'distributed-scan': '大量來源各以相同組合探測少數位址一次，合計涵蓋同一 /24 的大部分位址',
  },

  metric: {
    'distinct destination ports': '不同目的通訊埠數',
    'ports per target': '每個目標的通訊埠數',
    'top destination port share': '最大目的通訊埠占比',
    'packets per flow': '每流封包數',
    'payload bytes per packet': '每封包酬載位元組數',
    'top port-packets-octets share': '最大「埠-封包-位元組」組合占比',
    'distinct targets': '不同目標數',
    'flows to the service': '對該服務的流數',
    'flows per target': '每個目標的流數',
    'bytes per packet': '每封包位元組數',
    'SYN-only share': '僅 SYN 流占比',
    'distinct clients': '不同用戶端數',
    'share of flows from amplification ports': '來自放大攻擊通訊埠的流占比',
    'distinct reflectors': '不同反射器數',
    'bytes from amplification ports': '來自放大攻擊通訊埠的位元組數',
    'distinct sources': '不同來源數',
    packets: '封包數',
    'packets per source': '每個來源的封包數',
    'distinct targets of the service': '該服務的不同目標數',
    'distinct targets of the ICMP type': '該 ICMP 類型的不同目標數',
    'ICMP share': 'ICMP 流占比',
    'non-TCP share': '非 TCP 流占比',
    'sources, each below the per-host thresholds': '來源數（每個皆低於單一主機門檻）',
    'share of the /24 reached': '涵蓋該 /24 的位址比例',
    'packets from sources reported flooding it': '來自已回報洪泛來源的封包數',
  },
  sep: '、',
  colon: '：',
  paren: (x) => `（${x}）`,
  label: {
    title: 'flowhunt 資安告警',
    type: '異常類型',
    attacker: '攻擊來源',
    victim: '受害目標',
    client: '用戶端',
    server: '伺服器',
    org: '所屬單位',
    noOrg: '未登錄於單位名錄',
    contacts: '聯絡窗口',
    location: '地理位置',
    window: '偵測時段',
    score: '異常分數',
    exceeded: '超過門檻的指標',
    features: '主要特徵',
    traffic: '流量統計',
    summaries: '統計摘要（不同值數量：前 10 名及其占流數比例）',
    duration: '持續時間',
    ingress: '流量入口（由大至小）',
    mitigation: '處置建議',
    reflectors: '反射器',
    report: '報告編號',
  },
  dim: {
    protocols: '協定',
    tcpFlags: 'TCP 旗標',
    dstPorts: '目的通訊埠',
    srcPorts: '來源通訊埠',
    packetsPerFlow: '每流封包數',
    octetsPerFlow: '每流位元組數',
    ppo: '埠-封包-位元組組合',
    ingress: '入口介面',
    peers: '對端主機',
  },
  times: (r) => `（門檻的 ${r} 倍）`,
  basis: (b) => {
    const from =
      b.from === 'this window'
        ? '本時窗'
        : b.from.replace(/^days (\S+)\.\.(\S+)$/, '$1 至 $2').replace(/^day (\S+)$/, '$1');
    return b.learned === undefined
      ? `最低門檻 ${b.minimum}：可學習的主機時窗過少（${b.n} 個，${from}）`
      : `本網路第 ${b.quantile} 百分位數 ${b.learned} 的 ${b.margin} 倍（${b.n} 個主機時窗，${from}），至少 ${b.minimum}`;
  },
  scoreLine: (s, rank) => `超過門檻 ${s} 倍（本時段排名第 ${rank}）`,
  escalated: (a, b) => `異常分數由 ${a} 升至 ${b}`,
  flowsOf: (share, p, b) => `${share} 的流為 ${p} 個封包／${b} 位元組`,
  synOver: 'SYN 比例 > 95%',
  synShare: (s) => `SYN 比例 ${s}`,
  sourcePort: '來源通訊埠',
  traffic: (t) =>
    `${int(t.flows)} 個流、${int(t.packets)} 個封包、${int(t.bytes)} 位元組、${int(t.peers)} 個對端主機、${int(t.ports)} 個通訊埠；每流 ${dec(t.ppf)} 個封包，每封包 ${dec(t.bpp)} 位元組`,
  distinct: (n) => `${n} 種`,
  duration: (d) =>
    `自 ${d.since} 起異常，已持續 ${d.minutes} 分鐘${d.minutes >= 120 ? `（約 ${(d.minutes / 60).toFixed(1)} 小時）` : ''}；${d.windows} 個時段中有 ${d.anomalous} 個異常（${d.share}），目前連續 ${d.streak} 個時段`,
  ingressLine: (w, p, b) => `${w}：封包 ${p}、位元組 ${b}`,
  iface: (x, i) => `${x} 介面 ${i}`,
  mitigate: (what, ip, where, share) =>
    `建議於 ${where}${where.endsWith('）') ? '' : ' '}過濾或限速送往 ${ip} 的${what === 'reflection' ? '放大攻擊通訊埠 UDP 流量' : '攻擊流量'}，合計約占 ${share}。`,
  noIngress: (ip) => `沒有送往 ${ip} 之流量的入口資訊。`,
  abused: (n) => `共 ${int(n)} 個（被濫用的主機，並非攻擊者）；流量最大者`,
};

export const MESSAGES: Record<Lang, Messages> = { en, 'zh-TW': zhTW };
