/**
 * @module Alerts: after each detection window the detector hands its
 * reports to `Alerter.handle`; the throttle decides which start, escalate or
 * remind an alert thread; each such event is rendered (per recipient
 * language) and queued in the persistent outbox, whose sender loop delivers
 * by email and webhook. Everything under `DATA/alerts/`:
 * `threads.json` (throttle state), `outbox/` (queued), `outbox/sent/` (receipts).
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Report } from '../detect/report.js';
import { LANGS, type Lang } from '../enrich/directory.js';
import type { Enricher, Enrichment } from '../enrich/index.js';
import {
  type EmailConfig,
  type EmailPayload,
  type EmailSender,
  emailConfigSchema,
  emailSender,
  mailDomain,
} from './email.js';
import { isTimeZone } from './format.js';
import type { AlertEvent } from './i18n.js';
import { Outbox, type Sender } from './outbox.js';
import { renderAlert } from './text.js';
import { type ThreadEvent, Throttle } from './throttle.js';
import { postWebhook, type WebhookPayload, webhookConfigSchema } from './webhook.js';

export { Outbox } from './outbox.js';
export { renderAlert } from './text.js';
export { Throttle } from './throttle.js';

export const alertConfigSchema = z
  .object({
    /** Language of the NOC's alerts and the webhook; an organisation's `lang` overrides it for its contacts. */
    lang: z.enum(LANGS).default('en'),
    /** IANA time zone of the times in the alert text. */
    timeZone: z.string().refine(isTimeZone, 'unknown time zone').default('UTC'),
    email: emailConfigSchema.optional(),
    webhook: webhookConfigSchema.optional(),
    /** Minutes between reminders while an anomaly lasts; 0 sends none. */
    reminderMinutes: z.number().min(0).default(360),
    /** A new alert when the score reaches this multiple of the last alerted one. */
    escalateFactor: z.number().gt(1).default(2),
    /** Minutes without a report that end an alert thread. */
    quietMinutes: z.number().positive().default(60),
    /** First retry of a failed delivery, doubling up to `retryMaxSeconds`. */
    retryMinSeconds: z.number().positive().default(30),
    retryMaxSeconds: z.number().positive().default(1800),
    /** Days to keep delivery receipts (duplicate enqueues within them are recognised). */
    keepSentDays: z.number().positive().default(7),
  })
  .strict();

export type AlertConfig = z.infer<typeof alertConfigSchema>;
export type AlertConfigInput = z.input<typeof alertConfigSchema>;

export interface AlerterOptions {
  /** The data directory; alerts live under `DATA/alerts/`. */
  dataDir: string;
  enricher?: Enricher;
  log?: (line: string) => void;
  /** Clock for the outbox's retry schedule (tests). */
  now?: () => number;
}

export interface QueuedAlert {
  outboxId: string;
  channel: 'email' | 'webhook';
  event: AlertEvent;
  reportId: string;
  lang: Lang;
  to?: string[];
}

export class Alerter {
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly config: AlertConfig,
    readonly throttle: Throttle,
    readonly outbox: Outbox,
    private readonly email: EmailSender | undefined,
    private readonly enricher: Enricher | undefined,
  ) {}

  static async open(cfg: AlertConfigInput, o: AlerterOptions): Promise<Alerter> {
    const config = alertConfigSchema.parse(cfg);
    const dir = join(o.dataDir, 'alerts');
    await mkdir(dir, { recursive: true });
    const throttle = await Throttle.open(join(dir, 'threads.json'), config);
    const email = config.email ? emailSender(config.email, o.log) : undefined;
    const senders: Record<string, Sender> = {};
    if (email) senders['email'] = (m) => email.send(m.payload as EmailPayload);
    const hook = config.webhook;
    if (hook) senders['webhook'] = (m) => postWebhook(hook, m.payload as WebhookPayload);
    const outbox = await Outbox.open(join(dir, 'outbox'), senders, {
      retryMinMs: config.retryMinSeconds * 1000,
      retryMaxMs: config.retryMaxSeconds * 1000,
      keepSentMs: config.keepSentDays * 86_400_000,
      ...(o.now ? { now: o.now } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    return new Alerter(config, throttle, outbox, email, o.enricher);
  }

  /** Throttles, renders and queues the alerts of one or more windows' reports; returns what was queued. */
  handle(reports: readonly Report[]): Promise<QueuedAlert[]> {
    const run = this.lock.then(() => this.handleNow(reports));
    this.lock = run.catch(() => {});
    return run;
  }

  private async handleNow(reports: readonly Report[]): Promise<QueuedAlert[]> {
    const queued: QueuedAlert[] = [];
    const ordered = [...reports].sort((a, b) => a.windowStart - b.windowStart || a.id.localeCompare(b.id));
    for (const r of ordered) {
      const ev = this.throttle.decide(r);
      if (ev) queued.push(...(await this.queue(ev)));
    }
    const last = ordered.at(-1);
    if (last) this.throttle.prune(last.windowEnd);
    // Saved after the messages are queued: a crash in between repeats an event (same ids, queued once), never loses one.
    await this.throttle.save();
    return queued;
  }

  private enrichment(r: Report): Enrichment {
    const given = (r as Report & { enrichment?: Enrichment }).enrichment;
    return given ?? this.enricher?.enrich(r.ip) ?? {};
  }

  private async queue(ev: ThreadEvent): Promise<QueuedAlert[]> {
    const c = this.config;
    const r = ev.report;
    const e = this.enrichment(r);
    const render = (lang: Lang) =>
      renderAlert(r, e, lang, {
        event: ev.event,
        timeZone: c.timeZone,
        ...(ev.previousScore !== undefined ? { previousScore: ev.previousScore } : {}),
      });
    const out: QueuedAlert[] = [];
    const base = { event: ev.event, reportId: r.id };
    if (c.email) {
      const domain = mailDomain(c.email.from);
      for (const [lang, to] of recipients(c.email, e, c.lang)) {
        const { subject, text } = render(lang);
        const first = `${ev.threadId}.${lang}@${domain}`;
        const payload: EmailPayload = {
          to,
          subject,
          text,
          lang,
          messageId: ev.event === 'start' ? first : `${ev.id}.${lang}@${domain}`,
          ...(ev.event === 'start' ? {} : { inReplyTo: first }),
          headers: { 'X-Flowhunt-Report': r.id, 'X-Flowhunt-Event': ev.event },
        };
        const id = `${ev.id}-email-${lang}`;
        if (await this.outbox.enqueue(id, 'email', payload))
          out.push({ ...base, outboxId: id, channel: 'email', lang, to });
      }
    }
    if (c.webhook) {
      const { subject, text } = render(c.lang);
      const id = `${ev.id}-webhook`;
      const payload: WebhookPayload = {
        id,
        event: ev.event,
        threadId: ev.threadId,
        reportId: r.id,
        type: r.type,
        role: r.role,
        ip: r.ip,
        lang: c.lang,
        subject,
        text,
        enrichment: e,
        report: r,
      };
      if (await this.outbox.enqueue(id, 'webhook', payload))
        out.push({ ...base, outboxId: id, channel: 'webhook', lang: c.lang });
    }
    return out;
  }

  /** Starts delivering in the background. */
  start(): void {
    this.outbox.start();
  }

  /** Stops delivering after the one in progress; what is queued stays queued on disk. */
  async stop(): Promise<void> {
    await this.lock;
    await this.outbox.stop();
    this.email?.close();
  }
}

/**
 * Who gets the mail, grouped by language: the organisation's contacts in its
 * language (or the default), the configured `to` in the default language.
 * An address is mailed once.
 */
export function recipients(cfg: EmailConfig, e: Enrichment, lang: Lang): Map<Lang, string[]> {
  const groups = new Map<Lang, string[]>();
  const seen = new Set<string>();
  const add = (l: Lang, list: readonly string[]) => {
    for (const a of list) {
      const k = a.toLowerCase();
      if (seen.has(k)) continue;
      seen.add(k);
      const g = groups.get(l) ?? [];
      g.push(a);
      groups.set(l, g);
    }
  };
  if (cfg.orgContacts && e.contacts) add(e.lang ?? lang, e.contacts);
  add(lang, cfg.to);
  return groups;
}
