/**
 * @module One table of routes, from which both the Fastify handlers (with
 * their validation) and the OpenAPI document are made, so the document can
 * never list a route that does not exist or miss one that does.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Enrichment } from '../enrich/index.js';
import type { ApiData } from './data.js';
import type { IngestRate } from './ingest.js';
import { ApiError, issueMessage } from './params.js';
import type { OrgDirectory, Scope } from './scope.js';

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** What every handler may use besides its request. */
export interface ApiEnv {
  data: ApiData;
  directory: OrgDirectory;
  /** Organisation, country, city and AS of an address (the enricher of `serve`). */
  enrich(ip: string): Enrichment;
  ingest: IngestRate;
}

export interface RouteContext<Q, P, B = unknown> extends ApiEnv {
  query: Q;
  params: P;
  /** The JSON body of a POST (validated by the route's `body` schema). */
  body: B;
  scope: Scope;
  reply: FastifyReply;
  request: FastifyRequest;
}

export type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteDef<Q extends AnyObject, P extends AnyObject, B extends AnyObject> {
  /** GET when absent. Writes (POST, DELETE) are admin-only or check the scope of what they change. */
  method?: Method;
  /** A Fastify path under `/api/`, `:name` for a path parameter. */
  path: string;
  summary: string;
  tag: string;
  query?: Q;
  params?: P;
  body?: B;
  /** Media types of a successful answer (JSON when absent). */
  produces?: string[];
  /** Only an admin token may call it. */
  adminOnly?: boolean;
  handler(c: RouteContext<z.output<Q>, z.output<P>, z.output<B>>): Promise<unknown>;
}

export interface Route {
  method?: Method;
  path: string;
  summary: string;
  tag: string;
  query?: AnyObject;
  params?: AnyObject;
  body?: AnyObject;
  produces?: string[];
  adminOnly?: boolean;
  handler(c: RouteContext<unknown, unknown>): Promise<unknown>;
}

const EMPTY = z.strictObject({});

/** Declares a route; the handler's query and params are typed from the schemas. */
export function route<
  Q extends AnyObject = typeof EMPTY,
  P extends AnyObject = typeof EMPTY,
  B extends AnyObject = typeof EMPTY,
>(d: RouteDef<Q, P, B>): Route {
  return d as unknown as Route;
}

export interface Mount extends ApiEnv {
  scopeOf(req: FastifyRequest): Scope;
}

function parse(schema: AnyObject | undefined, value: unknown, where: string): unknown {
  if (where === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value)))
    throw new ApiError('bad_request', 'the body must be a JSON object');
  const input = (value ?? {}) as Record<string, unknown>;
  if (where !== 'body')
    for (const [k, v] of Object.entries(input))
      if (Array.isArray(v)) throw new ApiError('bad_request', `${where}.${k} is given more than once`);
  const r = (schema ?? EMPTY).safeParse(input);
  if (!r.success) throw new ApiError('bad_request', issueMessage(where, r.error, input));
  return r.data;
}

export function mountRoutes(app: FastifyInstance, routes: readonly Route[], m: Mount): void {
  for (const r of routes) {
    app.route({
      method: r.method ?? 'GET',
      url: r.path,
      handler: async (request, reply) => {
        const scope = m.scopeOf(request);
        if (r.adminOnly && !scope.admin) throw new ApiError('forbidden', `${r.path} needs an admin token`);
        const params = parse(r.params, request.params, 'path');
        const query = parse(r.query, request.query, 'query');
        const body = r.body ? parse(r.body, request.body, 'body') : undefined;
        const { scopeOf: _, ...env } = m;
        return r.handler({ ...env, query, params, body, scope, reply, request });
      },
    });
  }
}

/** The OpenAPI 3.1 document of the routes. */
export function openApiDocument(routes: readonly Route[], version: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemaOf = (s: z.ZodType) => {
    const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete j['$schema'];
    return j;
  };
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: object[] = [];
    for (const [where, obj] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!obj) continue;
      for (const [name, s] of Object.entries(obj.shape)) {
        const schema = schemaOf(s as z.ZodType);
        parameters.push({
          name,
          in: where,
          required: where === 'path' || !(s as z.ZodType).safeParse(undefined).success,
          ...(typeof schema['description'] === 'string' ? { description: schema['description'] } : {}),
          schema,
        });
      }
    }
    const content = Object.fromEntries((r.produces ?? ['application/json']).map((t) => [t, {}]));
    paths[path] ??= {};
    paths[path]![(r.method ?? 'GET').toLowerCase()] = {
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(r.body) } } } }
        : {}),
      ...{
        summary: r.summary,
        tags: [r.tag],
        operationId:
          `${r.method && r.method !== 'GET' ? `${r.method.toLowerCase()}_` : ''}${r.path.replace(/^\/api\//, '').replace(/[^A-Za-z0-9]+/g, '_')}` ||
          'root',
        ...(parameters.length ? { parameters } : {}),
        ...(r.adminOnly ? { description: 'Admin tokens only.' } : {}),
        responses: {
          '200': { description: 'OK', content },
          '400': { $ref: '#/components/responses/BadRequest' },
          '401': { $ref: '#/components/responses/Unauthorized' },
          '403': { $ref: '#/components/responses/Forbidden' },
        },
      },
    };
  }
  const err = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'flowhunt API',
      version,
      description:
        'Alerts, signatures, hunt findings and exports. Every route needs `Authorization: Bearer <token>` ' +
        '(unless no token is configured and the server listens on loopback). A token scoped to organisations ' +
        'sees only addresses in their address space, in every route. See docs/api.md.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: { error: { type: 'string' }, message: { type: 'string' } },
        },
      },
      responses: {
        BadRequest: err('A parameter is malformed or unknown; the message names it.'),
        Unauthorized: err('No token, or a token that is not configured.'),
        Forbidden: err("Outside the token's organisations, or an admin-only route."),
      },
    },
  };
}
