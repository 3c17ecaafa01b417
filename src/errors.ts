/**
 * @module The error registry: every error flowhunt reports to a person, by
 * code, with its exit status on the command line and its HTTP status in the
 * API. The CLI prints a registered error as one line and exits with its
 * status; the API answers `{ error: code, message }` with its HTTP status,
 * or, for an error that is not the client's (`expose: false`), `internal`
 * and the message in the server log. Anything not registered is a bug:
 * exit 2, HTTP 500. docs/errors.md lists this table; a test keeps the two
 * equal. This module imports nothing, so every stage can throw these.
 */

export interface ErrorSpec {
  /** Exit status of the command that fails with it. */
  exit: number;
  /** HTTP status of an API request that fails with it. */
  http: number;
  /** Whether the API shows the message to the client (else `internal`, message to the log). */
  expose: boolean;
  /** What it means, for docs/errors.md. */
  summary: string;
}

const client = (http: number, summary: string): ErrorSpec => ({ exit: 1, http, expose: true, summary });
const operator = (summary: string): ErrorSpec => ({ exit: 1, http: 500, expose: false, summary });

export const ERRORS = {
  // Requests and command lines.
  usage: client(400, 'A command-line mistake: an option, argument or file the command cannot use.'),
  bad_request: client(400, 'An API parameter is malformed or unknown; the message names it.'),
  bad_filter: client(400, 'An nfdump filter that does not parse; the message points at the word.'),
  unauthorized: client(401, 'No API token, or a token that is not configured.'),
  forbidden: client(403, "Outside the token's organisations, or an admin-only route."),
  not_found: client(404, 'No such route, report or signature.'),
  too_many_failures: client(429, 'Too many invalid tokens from one address; retry after the time given.'),
  // Configuration and inputs an operator gives.
  config: operator('The configuration file cannot be read or is not valid.'),
  bad_directory: operator('The organisation directory (enrich.directory) cannot be read or is not valid.'),
  bad_geo_database: operator('A geo/ASN database (enrich.geo) cannot be read or is not an MMDB file.'),
  alert_state: operator('The alert throttle state cannot be read or written.'),
  import_failed: operator('An import failed as a whole and stored nothing of the failed commit.'),
  alert_delivery: operator('An alert (or the test alert) could not be delivered through a channel.'),
  simulation: operator('A simulation that cannot be made: unknown scenario or bad parameters.'),
  serve_failed: operator('serve cannot start (a listener, the HTTP bind, alerts) or lost flows at stop.'),
  // The store.
  bad_store_url: operator('A store URL that is not duckdb:DIR or clickhouse://HOST:PORT/DB.'),
  no_store: operator('A read command on a data directory or store that does not exist.'),
  store_dir: operator('The data directory cannot be created or written.'),
  store_locked: operator('Another process holds the DuckDB store.'),
  store_closed: operator('The store was used after it was closed.'),
  store_full: operator('The disk is full: flows could not be written.'),
  store_write: operator('Flows could not be written to the store.'),
  stage_full: operator('The store cannot write and its stage is full: new flows are refused.'),
  store_unreachable: operator('ClickHouse cannot be reached.'),
  store_query: operator('ClickHouse refused a query.'),
  schema_too_new: operator('The store was written by a newer flowhunt.'),
  bad_cluster: operator('The ClickHouse cluster layout does not match the configuration.'),
  bad_partition: operator('A partition name that is not a day.'),
  bad_retention: operator('Retention of less than one day.'),
  // Not a person's mistake.
  internal: {
    exit: 2,
    http: 500,
    expose: false,
    summary: 'A bug: the stack goes to stderr or the server log.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error a person can act on: its message is one line and says what to do. */
export class FlowhuntError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FlowhuntError';
  }

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }
}

/** The first line of a thrown value's message, trimmed: what a log line, a status or a stored mark carries. */
export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

/** The registry entry of any thrown value: a registered error's own, else `internal`. */
export function classify(e: unknown): { code: ErrorCode; spec: ErrorSpec } {
  if (e instanceof FlowhuntError && Object.hasOwn(ERRORS, e.code))
    return { code: e.code, spec: ERRORS[e.code] };
  return { code: 'internal', spec: ERRORS.internal };
}
