/**
 * @module Alerts by email over SMTP (`nodemailer`): implicit TLS or
 * STARTTLS (opportunistic, required or off), optional authentication, and
 * a stable `Message-ID` per alert so that a retried delivery is recognisably
 * the same message. Alerts of one thread refer to the thread's first
 * message (`In-Reply-To`/`References`), so mail clients group them.
 */

import type { Transporter } from 'nodemailer';
import { z } from 'zod';
import type { Lang } from '../enrich/directory.js';

export const emailConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(25),
    /** Implicit TLS from the first byte (usually port 465). */
    secure: z.boolean().default(false),
    /** STARTTLS on a plain connection: when offered, always (fail without it), or never. */
    starttls: z.enum(['opportunistic', 'required', 'never']).default('opportunistic'),
    /** Check the server's certificate (turn off only for a test server with a self-signed one). */
    tlsRejectUnauthorized: z.boolean().default(true),
    user: z.string().optional(),
    pass: z.string().optional(),
    /** Name of an environment variable that holds the password, to keep it out of the config file. */
    passEnv: z.string().optional(),
    from: z.string().min(3),
    /** Always sent to (the NOC), in the alert config's language. */
    to: z.array(z.string()).default([]),
    /** Also send to the contacts of the host's organisation from the directory. */
    orgContacts: z.boolean().default(true),
    timeoutSeconds: z.number().positive().default(30),
  })
  .strict();

export type EmailConfig = z.infer<typeof emailConfigSchema>;

export interface EmailPayload {
  to: string[];
  subject: string;
  text: string;
  lang: Lang;
  /** Without angle brackets: `ID@domain`. */
  messageId: string;
  /** The thread's first message, for a follow-up alert. */
  inReplyTo?: string;
  headers: Record<string, string>;
}

/** The domain part of the From address, for Message-IDs. */
export function mailDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return m?.[1] ?? 'flowhunt.invalid';
}

export interface EmailSender {
  send(p: EmailPayload): Promise<void>;
  close(): void;
}

export function emailSender(cfg: EmailConfig, log?: (line: string) => void): EmailSender {
  const pass = cfg.passEnv ? process.env[cfg.passEnv] : cfg.pass;
  if (cfg.passEnv && pass === undefined)
    throw new Error(`alert.email.passEnv names ${cfg.passEnv}, which is not set in the environment`);
  const ms = cfg.timeoutSeconds * 1000;
  // nodemailer (and TLS behind it) is loaded at the first mail, not by every command that reads the config.
  let transport: Transporter | undefined;
  const open = async (): Promise<Transporter> =>
    (transport ??= (await import('nodemailer')).default.createTransport(options));
  const options = {
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure,
    requireTLS: cfg.starttls === 'required',
    ignoreTLS: cfg.starttls === 'never',
    tls: { rejectUnauthorized: cfg.tlsRejectUnauthorized },
    ...(cfg.user ? { auth: { user: cfg.user, pass: pass ?? '' } } : {}),
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
  };
  return {
    async send(p) {
      const info = await (await open()).sendMail({
        from: cfg.from,
        to: p.to,
        subject: p.subject,
        text: p.text,
        messageId: `<${p.messageId}>`,
        ...(p.inReplyTo ? { inReplyTo: `<${p.inReplyTo}>`, references: [`<${p.inReplyTo}>`] } : {}),
        headers: { ...p.headers, 'Content-Language': p.lang },
      });
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length) log?.(`alert ${p.messageId}: the mail server refused ${rejected.join(', ')}`);
    },
    close() {
      transport?.close();
    },
  };
}
