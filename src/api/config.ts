/**
 * @module The `api` section of the configuration: who may read what.
 *
 * Each token is either an admin (sees everything) or scoped to one or more
 * organisations of the directory (sees only what lies in their address
 * space). An admin token may also come from env `FLOWHUNT_TOKEN`.
 */

import { z } from 'zod';

/** Shorter tokens are guessable; 16 characters of a random string is the floor. */
export const MIN_TOKEN_LENGTH = 16;

/** A configured token given as its SHA-256 (`sha256:` and 64 hex digits) rather than itself. */
export const HASHED_TOKEN = /^sha256:([0-9a-fA-F]{64})$/;

export const apiTokenSchema = z
  .object({
    /** Who holds the token: shown in the dashboard and in logs, never the token itself. */
    name: z.string().trim().min(1).max(100),
    /** The token, or its hash as `sha256:<64 hex digits>` (`printf %s TOKEN | sha256sum`). */
    token: z
      .string()
      .min(MIN_TOKEN_LENGTH, `must be at least ${MIN_TOKEN_LENGTH} characters`)
      .refine((t) => !t.startsWith('sha256:') || HASHED_TOKEN.test(t), {
        message: 'a hashed token is sha256: followed by 64 hex digits',
      }),
    admin: z.boolean().default(false),
    /** Organisation names from the directory (`enrich.directory`). */
    organisations: z.array(z.string().trim().min(1)).default([]),
  })
  .strict()
  .refine((t) => t.admin || t.organisations.length > 0, {
    message: 'a token is either admin: true or scoped to at least one organisation',
  })
  .refine((t) => !(t.admin && t.organisations.length > 0), {
    message: 'an admin token sees everything: drop its organisations, or admin: true',
  });

export const apiConfigSchema = z
  .object({
    tokens: z.array(apiTokenSchema).default([]),
  })
  .strict();

export type ApiToken = z.infer<typeof apiTokenSchema>;
export type ApiConfig = z.infer<typeof apiConfigSchema>;
