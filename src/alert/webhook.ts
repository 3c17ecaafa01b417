/**
 * @module Alerts by webhook: a JSON POST of the alert text and the report.
 * Any answer but 2xx (or no answer within the timeout) is a failed delivery
 * that the outbox retries; the message id travels as `Idempotency-Key` so a
 * receiver can drop a repeat.
 */

import { z } from 'zod';
import type { Report } from '../detect/report.js';
import type { Lang } from '../enrich/directory.js';
import type { Enrichment } from '../enrich/index.js';
import type { AlertEvent } from './i18n.js';

export const webhookConfigSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    /** Extra request headers, e.g. an `Authorization` token. */
    headers: z.record(z.string(), z.string()).default({}),
    timeoutSeconds: z.number().positive().default(10),
  })
  .strict();

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export interface WebhookPayload {
  id: string;
  event: AlertEvent;
  threadId: string;
  reportId: string;
  type: Report['type'];
  role: Report['role'];
  ip: string;
  lang: Lang;
  subject: string;
  text: string;
  enrichment: Enrichment;
  report: Report;
}

/** Posts one payload (an alert, or the test alert of `flowhunt alert test`); `id` is its idempotency key. */
export async function postWebhook<P extends { id: string }>(cfg: WebhookConfig, p: P): Promise<void> {
  let res: Response;
  try {
    res = await fetch(cfg.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'idempotency-key': p.id,
        'user-agent': 'flowhunt',
        ...cfg.headers,
      },
      body: JSON.stringify(p),
      signal: AbortSignal.timeout(cfg.timeoutSeconds * 1000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new Error(`webhook ${cfg.url}: ${cause ?? (e as Error).message}`);
  }
  // Read the body so the connection is released, whatever the answer.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`webhook ${cfg.url} answered ${res.status} ${res.statusText}`.trim());
}
