/**
 * @module `flowhunt query`: nfdump-style questions to the store.
 *
 * `flowhunt query proto tcp and dst port 22` lists matching flows like
 * `nfdump -o line`; `--stat srcip/bytes --top 10` answers like
 * `nfdump -s srcip/bytes -n 10`. The filter is nfdump's language (its words
 * are joined with spaces, as nfdump does), compiled to SQL and run in the
 * engine; only the rows shown cross into this process.
 */

import type { Command } from 'commander';
import { flagsText, protocolName } from '../flow/names.js';
import type { FlowRecord } from '../flow/record.js';
import { askFlows } from '../store/ask.js';
import { FilterError } from '../store/filter/index.js';
import {
  STAT_KEYS,
  STAT_ORDERS,
  type StatKey,
  type StatOrder,
  type StatRow,
  type Totals,
} from '../store/types.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  fmtScaled,
  type GlobalOptions,
  parsePositiveInt,
  parseTime,
  printJson,
  storeContext,
  UsageError,
  withStore,
} from './common.js';

interface QueryOptions extends GlobalOptions {
  from?: string;
  to?: string;
  stat?: string;
  top?: string;
  limit?: string;
}

const DEFAULT_TOP = 10;
const DEFAULT_LIMIT = 20;

const KEY_TITLES: Record<StatKey, string> = {
  srcip: 'Src IP Addr',
  dstip: 'Dst IP Addr',
  ip: 'IP Addr',
  srcport: 'Src Port',
  dstport: 'Dst Port',
  port: 'Port',
  proto: 'Protocol',
  exporter: 'Exporter',
};

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'query')
      .option('--from <time>', 'flows ending at or after this time (ISO 8601)')
      .option('--to <time>', 'flows ending before this time (ISO 8601)')
      .option(
        '--stat <key[/order]>',
        `top-N statistic: ${STAT_KEYS.join('|')}, ordered by ${STAT_ORDERS.join('|')}`,
      )
      .option('--top <n>', `rows of a statistic (default ${DEFAULT_TOP})`)
      .option('--limit <n>', `flows listed without --stat (default ${DEFAULT_LIMIT})`),
  ).action(
    action(async (words: string[], opts: QueryOptions) => {
      const ctx = await storeContext(opts);
      const stat = opts.stat === undefined ? undefined : parseStat(opts.stat);
      const top = opts.top === undefined ? DEFAULT_TOP : parsePositiveInt(opts.top, '--top');
      const limit = opts.limit === undefined ? DEFAULT_LIMIT : parsePositiveInt(opts.limit, '--limit');
      const from = opts.from === undefined ? undefined : parseTime(opts.from, '--from');
      const to = opts.to === undefined ? undefined : parseTime(opts.to, '--to');
      if (from !== undefined && to !== undefined && from >= to) {
        throw new UsageError(`--from ${opts.from} must be before --to ${opts.to}`);
      }
      const text = words.join(' ');
      const question = { filter: text, from, to, limit, ...(stat ? { stat: { ...stat, top } } : {}) };
      await withStore(ctx, async (store) => {
        const a = await filterErrorsAsUsage(() => askFlows(store, question));
        if (ctx.json)
          return printJson(a.rows ? { total: a.total, rows: a.rows } : { total: a.total, rows: a.flows });
        if (a.rows) process.stdout.write(statTable(stat!.key, stat!.order, top, a.rows, a.total));
        else process.stdout.write(flowTable(a.flows, a.total));
      });
    }),
  );
}

/** A filter that does not parse, as a usage error (its message points at the word). */
async function filterErrorsAsUsage<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(`filter: ${e.message}`);
    throw e;
  }
}

export function parseStat(text: string): { key: StatKey; order: StatOrder } {
  const [key, order = 'flows', extra] = text.toLowerCase().split('/');
  if (extra !== undefined || !(STAT_KEYS as readonly string[]).includes(key!)) {
    throw new UsageError(`--stat ${JSON.stringify(text)}: the key must be one of ${STAT_KEYS.join(', ')}`);
  }
  if (!(STAT_ORDERS as readonly string[]).includes(order)) {
    throw new UsageError(
      `--stat ${JSON.stringify(text)}: the order must be one of ${STAT_ORDERS.join(', ')}`,
    );
  }
  return { key: key as StatKey, order: order as StatOrder };
}

// ---------------------------------------------------------------- text output

function statTable(key: StatKey, order: StatOrder, top: number, rows: StatRow[], t: Totals): string {
  const isAddr = key.endsWith('ip') || key === 'exporter';
  const keyW = isAddr ? Math.max(15, ...rows.map((r) => r.key.length)) : 10;
  const head = [
    'Date first seen'.padEnd(23),
    'Duration'.padStart(12),
    KEY_TITLES[key].padStart(keyW),
    'Flows(%)'.padStart(16),
    'Packets(%)'.padStart(18),
    'Bytes(%)'.padStart(18),
    (isAddr ? 'Peers' : 'Sources').padStart(8),
  ].join(' ');
  const lines = [`Top ${top} ${KEY_TITLES[key]} ordered by ${order}:`, head];
  for (const r of rows) {
    const k = key === 'proto' ? protocolName(Number(r.key)) : r.key;
    lines.push(
      [
        time(r.firstSeen),
        duration(r.lastSeen - r.firstSeen).padStart(12),
        k.padStart(keyW),
        share(r.flows, t.flows).padStart(16),
        share(r.packets, t.packets).padStart(18),
        share(r.bytes, t.bytes).padStart(18),
        String(r.peers).padStart(8),
      ].join(' '),
    );
  }
  if (rows.length === 0) lines.push('No matching flows');
  lines.push('', summary(t));
  return `${lines.join('\n')}\n`;
}

function flowTable(rows: FlowRecord[], t: Totals): string {
  const lines = [
    [
      'Date first seen'.padEnd(23),
      'Duration'.padStart(12),
      'Proto'.padEnd(6),
      'Src IP Addr:Port'.padStart(22),
      '   ',
      'Dst IP Addr:Port'.padEnd(22),
      'Flags'.padEnd(8),
      'Packets'.padStart(8),
      'Bytes'.padStart(8),
    ].join(' '),
  ];
  for (const r of rows) {
    lines.push(
      [
        time(r.flowStartMilliseconds),
        duration(r.flowEndMilliseconds - r.flowStartMilliseconds).padStart(12),
        protocolName(r.protocolIdentifier).padEnd(6),
        endpoint(r.sourceIPAddress, r.sourceTransportPort).padStart(22),
        '-> ',
        endpoint(r.destinationIPAddress, r.destinationTransportPort).padEnd(22),
        flagsText(r.tcpControlBits),
        fmtScaled(r.packetDeltaCount).padStart(8),
        fmtScaled(r.octetDeltaCount).padStart(8),
      ].join(' '),
    );
  }
  if (rows.length === 0) lines.push('No matching flows');
  const shown = rows.length < t.flows ? ` (listed the first ${rows.length} by end time; see --limit)` : '';
  lines.push(summary(t) + shown);
  return `${lines.join('\n')}\n`;
}

function summary(t: Totals): string {
  return `Summary: total flows: ${t.flows}, total bytes: ${t.bytes}, total packets: ${t.packets}`;
}

/** `1234( 5.6)`, nfdump's count with its share of the total. */
function share(n: number, total: number): string {
  const pct = total > 0 ? (100 * n) / total : 0;
  return `${fmtScaled(n)}(${pct.toFixed(1).padStart(4)})`;
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** `2026-11-20 12:00:00.000`, in UTC like the flow data. */
function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

/** `HH:MM:SS.mmm`, as nfdump prints a duration. */
function duration(ms: number): string {
  const d = Math.max(0, ms);
  const h = Math.floor(d / 3_600_000);
  const m = Math.floor((d % 3_600_000) / 60_000);
  const s = (d % 60_000) / 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${s.toFixed(3).padStart(6, '0')}`;
}
