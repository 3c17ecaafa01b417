/**
 * @module `flowhunt alert test`: one test alert through every configured
 * channel (email over SMTP to the NOC list, the webhook), sent at once rather
 * than through the outbox, so the operator sees whether each channel works
 * before a real anomaly depends on it.
 */

import { randomBytes } from 'node:crypto';
import { oneLine } from '../errors.js';
import { emailSender, mailDomain } from './email.js';
import { type AlertConfigInput, alertConfigSchema } from './index.js';
import { postWebhook } from './webhook.js';

export interface TestDelivery {
  channel: 'email' | 'webhook';
  /** The recipients or the URL. */
  target: string;
  /** Why it failed, one line; absent when delivered. */
  error?: string;
}

const SUBJECT = 'flowhunt: test alert';
const TEXT =
  'This is a test alert from flowhunt (flowhunt alert test).\n' +
  'If you read this, alerts of this channel reach you. No anomaly was detected.\n';

/** Sends the test alert through each configured channel; the result lists every channel, failed or not. */
export async function sendTestAlert(
  input: AlertConfigInput,
  now = new Date(),
  log?: (line: string) => void,
): Promise<TestDelivery[]> {
  const cfg = alertConfigSchema.parse(input);
  const id = `test-${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const out: TestDelivery[] = [];
  if (cfg.email) {
    const target = cfg.email.to.join(', ');
    if (cfg.email.to.length === 0) {
      out.push({ channel: 'email', target: '-', error: 'alert.email.to lists no address' });
    } else {
      let sender: ReturnType<typeof emailSender> | undefined;
      try {
        sender = emailSender(cfg.email, log);
        await sender.send({
          to: cfg.email.to,
          subject: SUBJECT,
          text: TEXT,
          lang: cfg.lang,
          messageId: `${id}@${mailDomain(cfg.email.from)}`,
          headers: { 'X-Flowhunt-Event': 'test' },
        });
        out.push({ channel: 'email', target });
      } catch (e) {
        out.push({ channel: 'email', target, error: oneLine(e) });
      } finally {
        sender?.close();
      }
    }
  }
  if (cfg.webhook) {
    const target = cfg.webhook.url;
    try {
      await postWebhook(cfg.webhook, { id, event: 'test', lang: cfg.lang, subject: SUBJECT, text: TEXT });
      out.push({ channel: 'webhook', target });
    } catch (e) {
      out.push({ channel: 'webhook', target, error: oneLine(e) });
    }
  }
  return out;
}
