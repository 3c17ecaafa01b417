/**
 * @module The HTTP API and the dashboard, mounted on `flowhunt serve`'s
 * Fastify instance:
 *
 * ```ts
 * const refusal = apiBindRefusal(config, host, port); // before anything starts
 * await registerApi(app, { store, config, collector, enricher });
 * ```
 *
 * Every route is under `/api/` and needs a token (`Authorization: Bearer`),
 * except `/api/openapi.json`; the built dashboard (`dist/web/`) is served at
 * `/`. See docs/api.md for the routes, the tokens and the scoping rules.
 */

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Collector } from '../collect/collector.js';
import type { Config } from '../config.js';
import { Enricher } from '../enrich/index.js';
import { classify, FlowhuntError } from '../errors.js';
import type { FlowStore } from '../store/types.js';
import { authenticate, FailureLimiter, type Principal, refuseOpenBind, TokenSet } from './auth.js';
import { ApiData, type DataOptions } from './data.js';
import { IngestRate } from './ingest.js';
import type { ApiError } from './params.js';
import { mountRoutes, openApiDocument, type Route } from './route.js';
import { exportRoutes } from './routes/exports.js';
import { flowRoutes } from './routes/flows.js';
import { hostRoutes } from './routes/hosts.js';
import { huntRoutes } from './routes/hunt.js';
import { ingestRoutes } from './routes/ingest.js';
import { reportRoutes } from './routes/reports.js';
import { workflowRoutes } from './routes/workflow.js';
import { checkTokenOrganisations, orgDirectory, Scope } from './scope.js';

export type { Principal } from './auth.js';
export { apiConfigSchema } from './config.js';

/** Every route of the API, in the order the OpenAPI document lists them. */
export const ROUTES: readonly Route[] = [
  ...ingestRoutes,
  ...reportRoutes,
  ...workflowRoutes,
  ...huntRoutes,
  ...hostRoutes,
  ...flowRoutes,
  ...exportRoutes,
];

/** Where the built dashboard lives: `dist/web/` beside `dist/src/`. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface ApiOptions {
  store: FlowStore;
  config: Config;
  collector?: Collector;
  enricher?: Enricher;
  /** `FLOWHUNT_TOKEN` by default. */
  envToken?: string;
  /** The built dashboard; {@link WEB_ROOT} by default. */
  webRoot?: string;
  data?: Partial<DataOptions>;
  log?: (line: string) => void;
  /** Failed token checks per client; 20 a minute by default, shared with `/metrics` ({@link limiterOf}). */
  failures?: FailureLimiter;
  /** How often the closed days' traffic rollups are brought up to date in the background; 60 s by default. */
  rollupEveryMs?: number;
}

/** The closed days a background pass rolls up: the longest range the traffic graph shows by the hour. */
const ROLLUP_DAYS = 31;

const limiters = new WeakMap<FastifyInstance, FailureLimiter>();

/**
 * The failure limiter of an HTTP server: one for all its authenticated paths
 * (`/api/…` and `/metrics`), so guesses at one count against the other.
 */
export function limiterOf(app: FastifyInstance, given?: FailureLimiter): FailureLimiter {
  let l = limiters.get(app);
  if (given && l && given !== l) throw new Error('this HTTP server already has a failure limiter');
  if (!l) {
    l = given ?? new FailureLimiter();
    limiters.set(app, l);
  }
  return l;
}

function tokensOf(config: Config, envToken = process.env['FLOWHUNT_TOKEN']): TokenSet {
  return new TokenSet(config.api.tokens, envToken);
}

/**
 * Why `serve` must not start with this HTTP address (an open API reachable
 * from the network), or undefined. Throws on a malformed `FLOWHUNT_TOKEN`.
 */
export function apiBindRefusal(
  config: Config,
  host: string,
  port: number | string,
  envToken?: string,
): string | undefined {
  return refuseOpenBind(host, port, tokensOf(config, envToken));
}

/**
 * `/metrics` (Prometheus text) and `/healthz`, on every role's HTTP listener.
 * With no token configured (then loopback only) both are open; with tokens,
 * `/metrics`, which names the exporters and their traffic, needs an admin
 * token (Prometheus: `authorization: { credentials: … }`), checked by the
 * same {@link authenticate} and failure limiter as the API: any other token
 * gets the answer a wrong one gets (401), so the answer does not confirm that
 * a token is valid. `/healthz` stays open for load balancers: 200
 * `{ok: true}` while the process can store what it receives, 503
 * `{ok: false, reason}` while it cannot (a full disk).
 */
export function registerOps(
  app: FastifyInstance,
  o: {
    config: Config;
    envToken?: string;
    metrics: () => Promise<string>;
    /** Unhealthy (503 with the reason) while e.g. the store cannot write; default: always healthy. */
    health?: () => { ok: boolean; reason?: string };
    failures?: FailureLimiter;
  },
): void {
  const tokens = tokensOf(o.config, o.envToken);
  const failures = limiterOf(app, o.failures);
  app.get('/metrics', async (req, reply) => {
    try {
      authenticate(tokens, failures, req.ip, req.headers.authorization, 'admin');
    } catch (e) {
      const err = e as ApiError;
      reply.code(err.status).type('text/plain');
      if (err.status === 401) reply.header('www-authenticate', 'Bearer realm="flowhunt"');
      if (err.status === 429) reply.header('retry-after', String(failures.retryAfter(req.ip)));
      return `${err.message}\n`;
    }
    reply.type('text/plain; version=0.0.4');
    return o.metrics();
  });
  app.get('/healthz', async (_req, reply) => {
    const h = o.health?.() ?? { ok: true };
    if (!h.ok) reply.code(503);
    return h.ok ? { ok: true } : { ok: false, reason: h.reason ?? 'unhealthy' };
  });
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return '0.0.0';
  }
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export async function registerApi(
  app: FastifyInstance,
  o: ApiOptions,
): Promise<{ close(): void; rollUp(): Promise<void>; data: ApiData }> {
  const tokens = tokensOf(o.config, o.envToken);
  const failures = limiterOf(app, o.failures);
  const enricher = o.enricher ?? (await Enricher.open(o.config.enrich));
  const directory = orgDirectory(enricher.directory);
  checkTokenOrganisations(tokens.principals, directory);
  const data = new ApiData(o.store, directory, { minShare: o.config.hunt.minShare, ...o.data });
  const ingest = new IngestRate(o.store, o.collector);
  const scopes = new WeakMap<FastifyRequest, Scope>();
  const log = o.log ?? ((line: string) => void process.stderr.write(`flowhunt: ${line}\n`));
  const doc = openApiDocument(ROUTES, version());
  const webRoot = o.webRoot ?? WEB_ROOT;
  const hasWeb = existsSync(`${webRoot}/index.html`);

  await app.register(async (root) => {
    root.addHook('onSend', async (_req, reply, payload) => {
      reply.headers(SECURITY_HEADERS);
      return payload;
    });

    await root.register(
      async (api) => {
        api.addHook('onRequest', async (req, reply) => {
          if (req.url.split('?')[0] === '/api/openapi.json') return;
          let principal: Principal;
          try {
            principal = authenticate(tokens, failures, req.ip, req.headers.authorization);
          } catch (e) {
            const err = e as ApiError;
            if (err.status === 401) reply.header('www-authenticate', 'Bearer realm="flowhunt"');
            if (err.status === 429) reply.header('retry-after', String(failures.retryAfter(req.ip)));
            throw err;
          }
          scopes.set(req, new Scope(principal, directory));
          reply.header('cache-control', 'no-store');
        });
        api.setErrorHandler((err: FastifyError | FlowhuntError, _req, reply) => {
          // A registered error answers with its code and status (src/errors.ts); one that is not the client's is logged.
          if (err instanceof FlowhuntError && classify(err).spec.expose)
            return reply.code(err.spec.http).send({ error: err.code, message: err.message });
          const status = err instanceof FlowhuntError ? 500 : (err.statusCode ?? 500);
          if (status >= 400 && status < 500)
            return reply.code(status).send({ error: 'bad_request', message: err.message });
          log(`api: ${err.stack ?? err.message}`);
          return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
        });
        api.setNotFoundHandler(async (req, reply) =>
          reply
            .code(404)
            .send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }),
        );
        api.get('/openapi.json', async () => doc);
        mountRoutes(
          api,
          ROUTES.map((r) => ({ ...r, path: r.path.slice('/api'.length) })),
          {
            data,
            directory,
            ingest,
            enrich: (ip) => enricher.enrich(ip),
            scopeOf: (req) => scopes.get(req)!,
          },
        );
      },
      { prefix: '/api' },
    );

    if (hasWeb) {
      await root.register(fastifyStatic, {
        root: webRoot,
        prefix: '/',
        index: ['index.html'],
        decorateReply: false,
        // Built file names carry a content hash: cache them for good; the page itself never.
        setHeaders: (res, path) =>
          res.header(
            'cache-control',
            path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          ),
      });
    } else {
      root.get('/', async (_req, reply) =>
        reply
          .type('text/plain; charset=utf-8')
          .send('The flowhunt dashboard is not built: run `npm run build:web`. The API is at /api/.\n'),
      );
    }
  });

  ingest.start();
  // The closed days' traffic of every scope a token has (and all of it), rolled up in the background at
  // start and as days close or late flows arrive, so no page view is the one that sums a month of flows.
  const rollupScopes = [
    undefined,
    ...tokens.principals
      .filter((pr) => !pr.admin)
      .map((pr) => new Scope(pr, directory).organisations().flatMap((org) => directory.cidrsOf(org) ?? [])),
  ];
  const now = o.data?.now ?? Date.now;
  let rolling = Promise.resolve();
  const rollUp = () => {
    rolling = rolling
      .then(() => data.traffic.rollups.warm(rollupScopes, now(), ROLLUP_DAYS))
      .catch((e: Error) => log(`api: rolling up the closed days' traffic: ${e.message}`));
    return rolling;
  };
  void rollUp();
  // The alerts read at start, not at the first page view (from the kept days' documents when there are).
  data.reports().catch((e: Error) => log(`api: reading the reports: ${e.message}`));
  const timer = setInterval(rollUp, o.rollupEveryMs ?? 60_000);
  timer.unref();
  app.addHook('onClose', async () => {
    ingest.stop();
    clearInterval(timer);
    await rolling;
    await data.reportDays.written();
  });
  const who = tokens.open
    ? 'open (no token configured, loopback only)'
    : `${tokens.principals.length} token${tokens.principals.length === 1 ? '' : 's'}`;
  log(`API at /api/ (${who}); dashboard ${hasWeb ? 'at /' : 'not built (npm run build:web)'}`);
  return {
    close: () => {
      ingest.stop();
      clearInterval(timer);
    },
    rollUp,
    data,
  };
}
