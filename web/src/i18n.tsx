/**
 * @module The dashboard's words in English and Traditional Chinese (Taiwan).
 * One table per language with the same keys (a missing translation is a type
 * error); anomaly type and profile names come from the API (`/api/meta`),
 * which takes them from the alert texts, so both say the same.
 */

import { createContext, useContext } from 'react';

const en = {
  appName: 'flowhunt',
  nav: {
    overview: 'Overview',
    alerts: 'Alerts',
    signatures: 'Signatures',
    findings: 'Hunt findings',
    trends: 'Trends',
    families: 'Families',
  },
  login: {
    title: 'Sign in',
    token: 'API token',
    submit: 'Sign in',
    bad: 'That token is not valid.',
    hint: 'Use the token your NOC gave you (the same one the API takes).',
  },
  logout: 'Sign out',
  searchHint: 'IP, network, signature or organisation',
  go: 'Go',
  loading: 'Loading…',
  none: 'Nothing here yet.',
  admin: 'all organisations',
  prev: 'Previous',
  next: 'Next',
  pageOf: (from: number, to: number, total: number) => `${from}–${to} of ${total.toLocaleString('en-US')}`,
  overview: {
    flowsPerSecond: 'Flows/s ingested',
    exporters: 'Exporters',
    alerts24h: 'Alerts, last 24 h',
    events24h: 'Anomaly events, last 24 h',
    suspects: 'Suspicious IPs',
    topTypes: 'Top anomaly types, last 24 h',
    latest: 'Latest alerts',
    lastReport: 'Last report',
  },
  col: {
    time: 'Window',
    ip: 'IP',
    org: 'Organisation',
    role: 'Role',
    type: 'Type',
    score: 'Score',
    flows: 'Flows',
    peers: 'Peers',
    duration: 'Duration',
    day: 'Day',
    signature: 'Signature',
    sourceIp: 'Source IP',
    destinations: 'Dst IPs',
    sourcePorts: 'Src ports',
    hosts: 'Hosts',
    strength: 'Strength',
    attackers: 'Attackers',
    reports: 'Reports',
    days: 'Days',
    members: 'Members',
    firstSeen: 'First seen',
    lastSeen: 'Last seen',
    largeScale: 'Large-scale',
    value: 'Value',
    share: 'Share',
    metric: 'Metric',
    threshold: 'Threshold',
  },
  role: { source: 'attacker', destination: 'victim' } as Record<string, string>,
  filter: {
    all: 'all',
    type: 'Type',
    ip: 'IP or network',
    org: 'Organisation',
    apply: 'Filter',
    from: 'From',
    to: 'To',
  },
  alert: {
    title: 'Alert',
    text: 'Alert text',
    profile: 'Profile',
    distinct: (n: number) => `${n.toLocaleString('en-US')} distinct`,
    duration: 'Duration',
    since: 'Anomalous since',
    windows: (a: number, n: number) => `${a} of ${n} windows anomalous`,
    minutes: (m: number) => `${m.toLocaleString('en-US')} min`,
    /** A duration in minutes, hours or days, whichever reads best. */
    span: (m: number) =>
      m < 120 ? `${m} min` : m < 2880 ? `${(m / 60).toFixed(1)} h` : `${(m / 1440).toFixed(1)} d`,
    streak: 'Current streak',
    exceeded: 'Thresholds exceeded',
    mitigation: 'Mitigation',
    notFound: 'No such alert.',
  },
  sig: {
    port: (p: string, n: number) => `Port ${p} · ${n} signature${n === 1 ? '' : 's'}`,
    hunt: 'Found by the hunt',
    huntCell: (hosts: number, days: number) =>
      `${hosts} host${hosts === 1 ? '' : 's'} on ${days} day${days === 1 ? '' : 's'}`,
    byDay: 'Hunt results by day',
    catalog: 'Attackers (from the alerts)',
    notFound: 'No such signature.',
  },
  findings: {
    groups: 'Per signature and day',
    table: (sig: string, day: string) => `${sig} on ${day}`,
    all: 'All findings',
    export: 'Export',
  },
  ip: {
    title: 'IP',
    reports: 'Alerts',
    findings: 'Hunt findings',
    signatures: 'Signatures used as an attacker',
    flows24h: 'Flows in the last 24 h',
    asSource: 'as source',
    asDestination: 'as destination',
    location: 'Location',
    suspect: 'Suspicious IP',
    seenDays: (n: number) => `seen on ${n} day${n === 1 ? '' : 's'}`,
    outside: 'This address is outside your organisations.',
  },
  trends: {
    title: 'Anomaly events by type',
    monthly: 'Monthly',
    daily: 'Daily',
    events: 'events',
  },
  families: { title: 'Families', family: (id: number) => `Family ${id}` },
  search: { title: 'Search', nothing: 'No match you can see.' },
};

export type Words = typeof en;

const zhTW: Words = {
  appName: 'flowhunt',
  nav: {
    overview: '總覽',
    alerts: '告警',
    signatures: '特徵',
    findings: '獵捕結果',
    trends: '趨勢',
    families: '家族',
  },
  login: {
    title: '登入',
    token: 'API 權杖',
    submit: '登入',
    bad: '權杖無效。',
    hint: '請使用網路維運中心提供的權杖（與 API 相同）。',
  },
  logout: '登出',
  searchHint: 'IP、網段、特徵或單位名稱',
  go: '查詢',
  loading: '載入中…',
  none: '目前沒有資料。',
  admin: '所有單位',
  prev: '上一頁',
  next: '下一頁',
  pageOf: (from, to, total) => `第 ${from}–${to} 筆，共 ${total.toLocaleString('zh-TW')} 筆`,
  overview: {
    flowsPerSecond: '每秒收錄流量筆數',
    exporters: '匯出設備',
    alerts24h: '近 24 小時告警',
    events24h: '近 24 小時異常事件',
    suspects: '可疑 IP',
    topTypes: '近 24 小時主要異常類型',
    latest: '最新告警',
    lastReport: '最近報告',
  },
  col: {
    time: '時間窗',
    ip: 'IP',
    org: '單位',
    role: '角色',
    type: '類型',
    score: '分數',
    flows: '流量筆數',
    peers: '對端數',
    duration: '持續時間',
    day: '日期',
    signature: '特徵',
    sourceIp: '來源 IP',
    destinations: '目的 IP 數',
    sourcePorts: '來源埠數',
    hosts: '主機數',
    strength: '強度',
    attackers: '攻擊者',
    reports: '報告數',
    days: '天數',
    members: '成員',
    firstSeen: '首次出現',
    lastSeen: '最後出現',
    largeScale: '大規模',
    value: '值',
    share: '比例',
    metric: '指標',
    threshold: '門檻',
  },
  role: { source: '攻擊者', destination: '受害者' },
  filter: { all: '全部', type: '類型', ip: 'IP 或網段', org: '單位', apply: '篩選', from: '起', to: '迄' },
  alert: {
    title: '告警',
    text: '告警內容',
    profile: '輪廓',
    distinct: (n) => `${n.toLocaleString('zh-TW')} 個不同值`,
    duration: '持續時間',
    since: '異常開始於',
    windows: (a, n) => `${n} 個時間窗中有 ${a} 個異常`,
    minutes: (m) => `${m.toLocaleString('zh-TW')} 分鐘`,
    span: (m) =>
      m < 120 ? `${m} 分鐘` : m < 2880 ? `${(m / 60).toFixed(1)} 小時` : `${(m / 1440).toFixed(1)} 天`,
    streak: '目前連續',
    exceeded: '超過的門檻',
    mitigation: '緩解建議',
    notFound: '找不到此告警。',
  },
  sig: {
    port: (p, n) => `通訊埠 ${p} · ${n} 個特徵`,
    hunt: '獵捕找到',
    huntCell: (hosts, days) => `${days} 天內 ${hosts} 台主機`,
    byDay: '每日獵捕結果',
    catalog: '攻擊者（來自告警）',
    notFound: '找不到此特徵。',
  },
  findings: {
    groups: '依特徵與日期',
    table: (sig, day) => `${day} 的 ${sig}`,
    all: '全部結果',
    export: '匯出',
  },
  ip: {
    title: 'IP',
    reports: '告警',
    findings: '獵捕結果',
    signatures: '作為攻擊者使用的特徵',
    flows24h: '近 24 小時流量',
    asSource: '作為來源',
    asDestination: '作為目的',
    location: '位置',
    suspect: '可疑 IP',
    seenDays: (n) => `出現 ${n} 天`,
    outside: '此位址不在您的單位範圍內。',
  },
  trends: {
    title: '各類型異常事件',
    monthly: '每月',
    daily: '每日',
    events: '事件',
  },
  families: { title: '家族', family: (id) => `家族 ${id}` },
  search: { title: '搜尋', nothing: '沒有您可查看的結果。' },
};

export type Lang = 'en' | 'zh-TW';
export const WORDS: Record<Lang, Words> = { en, 'zh-TW': zhTW };

export interface I18n {
  lang: Lang;
  t: Words;
  /** The name of an anomaly type in the current language. */
  type(t: string): string;
  dim(d: string): string;
  setLang(l: Lang): void;
}

export const I18nContext = createContext<I18n>({
  lang: 'en',
  t: en,
  type: (x) => x,
  dim: (x) => x,
  setLang: () => undefined,
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export function initialLang(): Lang {
  const saved = localStorage.getItem('flowhunt.lang');
  if (saved === 'en' || saved === 'zh-TW') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-TW' : 'en';
}
