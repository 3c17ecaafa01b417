/**
 * @module Configuration: one schema with defaults, loaded from YAML.
 *
 * Every section is optional in the file; what is left out takes the default.
 * An invalid file is refused with the path of the offending key.
 */

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { alertConfigSchema } from './alert/index.js';
import { apiConfigSchema } from './api/config.js';
import { thresholdsSchema } from './detect/thresholds.js';
import { enrichConfigSchema } from './enrich/index.js';
import { FlowhuntError } from './errors.js';
import { DEFAULT_HUNT } from './hunt/hunt.js';
import { DEFAULT_DATA_DIR } from './store/open.js';

export const configSchema = z
  .object({
    /** Data directory (flows, reports, findings). Overridden by --data / FLOWHUNT_DATA. */
    data: z.string().default(DEFAULT_DATA_DIR),
    /** `duckdb:DIR` or `clickhouse://HOST:PORT/DB`. Overridden by --store / FLOWHUNT_STORE. */
    store: z.string().optional(),
    /**
     * Memory the embedded store's engine (DuckDB `memory_limit`) may use, such
     * as `512MB` or `2GiB`; past it, sorts and writes spill or fail rather
     * than grow. Default: DuckDB's own (80% of RAM), and for `flowhunt import`
     * 512 MiB or 128 MiB a core if more (its day compactions would otherwise
     * hold memory that grows with the file). Not used by ClickHouse.
     */
    storeMemoryLimit: z
      .string()
      .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as 512MB or 2GiB')
      .optional(),
    /** Days of flows to keep; older day partitions are dropped. 0 keeps everything. */
    retentionDays: z.number().int().min(0).default(0),
    collect: z
      .object({
        netflow: z.string().default('0.0.0.0:2055'),
        sflow: z.string().default('0.0.0.0:6343'),
        /** Exporter addresses accepted; empty accepts all. */
        allowExporters: z.array(z.string()).default([]),
        /** Longest time a received flow waits before it is written (and queryable), in seconds. */
        flushIntervalSeconds: z.number().positive().max(300).default(5),
        workers: z.number().int().min(1).max(64).default(1),
        /**
         * Each worker receives on its own socket of the port where the runtime
         * offers reusePort (Node ≥ 22.12 on Linux); false: the main thread reads one socket.
         */
        socketPerWorker: z.boolean().default(true),
      })
      .strict()
      .default({
        netflow: '0.0.0.0:2055',
        sflow: '0.0.0.0:6343',
        allowExporters: [],
        flushIntervalSeconds: 5,
        workers: 1,
        socketPerWorker: true,
      }),
    /**
     * What the store accepts, on every ingest path (see docs/reliability.md):
     * flow end times in [earliest, clock + maxAheadHours]; live UDP also not
     * older than liveMaxAgeDays (imports of old archives are fine); one flush
     * writes at most maxDaysPerFlush day partitions; at most maxStagedFlows
     * flows wait while the disk refuses writes.
     */
    ingest: z
      .object({
        earliest: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z)?$/, 'expected a date such as 1990-01-01')
          .refine((v) => !Number.isNaN(Date.parse(v.includes('T') ? v : `${v}T00:00:00Z`)), 'not a date')
          .default('1990-01-01'),
        maxAheadHours: z.number().min(0).max(8760).default(24),
        liveMaxAgeDays: z.number().gt(0).max(3650).default(7),
        maxDaysPerFlush: z.number().int().min(1).max(1000).default(32),
        maxStagedFlows: z.number().int().min(1000).max(100_000_000).default(2_000_000),
      })
      .strict()
      .default({
        earliest: '1990-01-01',
        maxAheadHours: 24,
        liveMaxAgeDays: 7,
        maxDaysPerFlush: 32,
        maxStagedFlows: 2_000_000,
      }),
    http: z.string().default('127.0.0.1:8080'),
    /**
     * Behind a reverse proxy: the proxy addresses (or true for any) whose
     * X-Forwarded-For names the client, for the per-client limit on invalid
     * tokens. Never set it without a proxy: clients could name themselves.
     */
    trustProxy: z.union([z.boolean(), z.array(z.string())]).default(false),
    /** Detection thresholds (see src/detect/thresholds.ts for every key and its default). */
    detect: thresholdsSchema.default(thresholdsSchema.parse({})),
    /** Seconds after a window ends before live detection runs it (late flows: exporters' active timeouts). */
    detectGraceSeconds: z.number().min(0).max(3600).default(60),
    /**
     * Hours of missed windows live detection catches up after an outage (older
     * ones are skipped); on its first start it begins with the oldest flows
     * within them.
     */
    detectBacklogHours: z
      .number()
      .gt(0)
      .max(24 * 31)
      .default(24),
    /**
     * Of several detectors (or hunters) on one store, one works and the others
     * stand by; one that dies without a clean stop is replaced after this long.
     */
    leaseSeconds: z.number().min(5).max(3600).default(60),
    /** The signatures and the daily hunt. */
    hunt: z
      .object({
        /** Share of an attacker's flows a port-packets-octets combination must cover to be a signature. */
        minShare: z.number().gt(0).max(1).default(0.5),
        /** Days of reports the daily hunt learns signatures from. */
        learnDays: z.number().int().min(1).max(3650).default(30),
        minTargets: z.number().int().min(1).default(DEFAULT_HUNT.minTargets),
        maxSessionsPerTarget: z.number().gt(0).default(DEFAULT_HUNT.maxSessionsPerTarget),
        maxVisitsPerTarget: z.number().gt(0).default(DEFAULT_HUNT.maxVisitsPerTarget),
        visitMinutes: z.number().gt(0).max(1440).default(DEFAULT_HUNT.visitMinutes),
        minCoverage: z.number().min(0).max(1).default(DEFAULT_HUNT.minCoverage),
        minSimilarity: z.number().min(0).max(1).default(DEFAULT_HUNT.minSimilarity),
        minSourcePortRatio: z.number().min(0).max(1).default(DEFAULT_HUNT.minSourcePortRatio),
        minEphemeralShare: z.number().min(0).max(1).default(DEFAULT_HUNT.minEphemeralShare),
        /** Minutes after midnight UTC before the previous day is hunted. */
        graceMinutes: z.number().min(0).max(720).default(30),
      })
      .strict()
      .default({
        minShare: 0.5,
        learnDays: 30,
        ...DEFAULT_HUNT,
        graceMinutes: 30,
      }),
    /** Organisation directory and geo/ASN databases (see docs/alerts.md). */
    enrich: enrichConfigSchema.default({}),
    /** Alerts: language, email, webhook, throttling (see docs/alerts.md). */
    alert: alertConfigSchema.default(alertConfigSchema.parse({})),
    /** Names of ingress points for DDoS tracing: `EXPORTER/IFINDEX` (or `EXPORTER`) → name. */
    interfaces: z.record(z.string(), z.string()).default({}),
    /** API tokens: admin, or scoped to organisations of the directory (see docs/api.md). */
    api: apiConfigSchema.default({ tokens: [] }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends FlowhuntError {
  override name = 'ConfigError';

  constructor(message: string) {
    super('config', message);
  }
}

export function defaultConfig(): Config {
  return configSchema.parse({});
}

export async function loadConfig(path?: string): Promise<Config> {
  if (!path) return defaultConfig();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    const { parse: parseYaml } = await import('yaml');
    doc = parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError(`config ${path} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = configSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError(`config ${path}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return r.data;
}
