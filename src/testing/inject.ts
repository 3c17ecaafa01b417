/**
 * @module The API on a test dataset's store, registered as `serve` does, for
 * `inject` requests: the answers of the API tests without a listening
 * socket. Failed tokens are not limited (the limiter has its own tests).
 */

import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { FailureLimiter } from '../api/auth.js';
import { registerApi } from '../api/index.js';
import { loadConfig } from '../config.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { type Dataset, TOKENS } from './api.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field in the tests
export type Json = Record<string, any>;

export interface Answer {
  status: number;
  body: string;
  json: () => Json;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface InjectedApi {
  app: FastifyInstance;
  store: DuckFlowStore;
  /** A request with an admin token unless told (`null`: no token). */
  call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string | null, body?: object): Promise<Answer>;
  get(url: string, token?: string | null): Promise<Answer>;
  close(): Promise<void>;
}

/** `data`: the API's data cache options (`ttlMs: 0`, every request sees what the store holds now). */
export async function injectApi(dir: string, ds: Dataset, data?: { ttlMs: number }): Promise<InjectedApi> {
  const store = await DuckFlowStore.open(join(dir, 'data'));
  const app = Fastify();
  await registerApi(app, {
    store,
    config: await loadConfig(ds.config),
    envToken: '',
    log: () => undefined,
    failures: new FailureLimiter(Number.POSITIVE_INFINITY),
    ...(data ? { data } : {}),
  });
  const call: InjectedApi['call'] = async (method, url, token = TOKENS.admin, body) => {
    const r = await app.inject({
      method,
      url,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(body ? { payload: body } : {}),
    });
    return { status: r.statusCode, body: r.body, json: () => r.json() as Json, headers: r.headers };
  };
  return {
    app,
    store,
    call,
    get: (url, token) => call('GET', url, token),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
