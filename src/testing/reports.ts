/**
 * @module Genuine reports for the alert tests: the labelled window of
 * `src/testing/windows.ts` stored and run through the real detector, so the
 * tests read what the detector really writes rather than hand-made reports.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectRange } from '../detect/index.js';
import type { Report } from '../detect/report.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { FlowBatch } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { labelledWindow, W0, WIN } from './windows.js';

export { W0, WIN };

const LATER = new Set(['203.0.113.99', '140.122.0.27', '140.124.7.7']);

/** The reports of `windows` consecutive labelled windows from W0, one array per window. */
export async function genuineReports(windows = 1): Promise<Report[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'flowhunt-alert-reports-'));
  const s = await DuckFlowStore.open(dir);
  try {
    for (let w = 0; w < windows; w++) {
      const b = new FlowBatch(1 << 16);
      for (const f of labelledWindow(W0 + w * WIN, w + 1).flows) b.push(f);
      await s.append(b);
    }
    await s.flush();
    const res = await detectRange(s, W0, W0 + windows * WIN, { thresholds: defaultThresholds() });
    // The alert tests count mails for the window's first five anomalies; hosts added to the shared
    // window later (a UDP flood, a spam bot) are left out so the counts stay what they test.
    return res.map((r) => r.reports.filter((x) => !LATER.has(x.ip)));
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A report moved `windows` windows later, as the same anomaly seen again then. */
export function later(r: Report, windows: number, score = r.score): Report {
  const dt = windows * WIN;
  return {
    ...r,
    id: r.id.replace(/^[^/]+/, new Date(r.windowStart + dt).toISOString().slice(0, 16).replace(':', '-')),
    windowStart: r.windowStart + dt,
    windowEnd: r.windowEnd + dt,
    score,
  };
}

export interface ReceivedMail {
  /** RCPT TO addresses of the SMTP session. */
  rcpt: string[];
  raw: string;
  /** Whether the session ran over TLS (implicit or STARTTLS). */
  secure: boolean;
  user?: string;
}

export interface TestSmtp {
  port: number;
  /** Messages the server accepted (answered 250). */
  received: ReceivedMail[];
  /** Messages it read and then refused with a 451. */
  refused: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * A real SMTP server (`smtp-server`) on a loopback port, with STARTTLS on
 * its built-in test certificate, authentication when `auth` is given, and a
 * switch to refuse messages after reading them.
 */
export async function startSmtp(
  o: { port?: number; auth?: { user: string; pass: string }; refuse?: () => boolean } = {},
): Promise<TestSmtp> {
  const { SMTPServer } = await import('smtp-server');
  const received: ReceivedMail[] = [];
  const refused: ReceivedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: !o.auth,
    ...(o.auth ? {} : { disabledCommands: ['AUTH'] }),
    onAuth(a, _session, cb) {
      if (o.auth && a.username === o.auth.user && a.password === o.auth.pass) cb(null, { user: a.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail: ReceivedMail = {
          rcpt: session.envelope.rcptTo.map((x) => x.address),
          raw: Buffer.concat(chunks).toString('latin1'),
          secure: session.secure,
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        };
        if (o.refuse?.()) {
          refused.push(mail);
          const e = new Error('Try again later') as Error & { responseCode: number };
          e.responseCode = 451;
          cb(e);
          return;
        }
        received.push(mail);
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    received,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ParsedMail {
  headers: Map<string, string[]>;
  header(name: string): string | undefined;
  subject: string;
  text: string;
}

function decodeBytes(s: string, charset: string): string {
  return Buffer.from(s, 'latin1').toString(/utf-?8/i.test(charset) ? 'utf8' : 'latin1');
}

/** Quoted-printable (RFC 2045 §6.7) to bytes held in a latin1 string. */
function unQuotedPrintable(s: string): string {
  return s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** RFC 2047 encoded words (`=?UTF-8?B?...?=`), adjacent ones joined. */
function decodeWords(v: string): string {
  return v
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, cs: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString(/utf-?8/i.test(cs) ? 'utf8' : 'latin1')
        : decodeBytes(unQuotedPrintable(data.replace(/_/g, ' ')), cs),
    );
}

/** Reads a single-part RFC 5322 message as a mail client would: headers, subject and text decoded. */
export function parseMail(raw: string): ParsedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers = new Map<string, string[]>();
  for (const line of head.split('\r\n')) {
    const c = line.indexOf(':');
    const k = line.slice(0, c).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), line.slice(c + 1).trim()]);
  }
  const header = (n: string) => headers.get(n.toLowerCase())?.[0];
  const cte = (header('content-transfer-encoding') ?? '7bit').toLowerCase();
  const charset = /charset="?([^";]+)/i.exec(header('content-type') ?? '')?.[1] ?? 'us-ascii';
  const text =
    cte === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : cte === 'quoted-printable'
        ? decodeBytes(unQuotedPrintable(body), charset)
        : decodeBytes(body, charset);
  return {
    headers,
    header,
    subject: decodeWords(header('subject') ?? ''),
    text: text.replace(/\r\n/g, '\n'),
  };
}

/** Waits until `cond()` holds, polling; fails after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
