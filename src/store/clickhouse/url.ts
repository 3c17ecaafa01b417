/**
 * @module The `--store clickhouse://...` URL.
 *
 * `clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB?cluster=NAME&nodes=H:P,H:P&user=U&password=P`
 * names the HTTP interface of one server (the entry node, default port 8123;
 * `clickhouses://` for HTTPS, default port 8443) and the database. With
 * `cluster`, flows go through a `Distributed` table over that cluster of the
 * servers' `remote_servers` config. `nodes` lists the HTTP endpoints of every
 * server of the cluster, which flowhunt reaches for schema changes and
 * retention (without ZooKeeper there is no `ON CLUSTER`); without it they are
 * the cluster's hosts with the entry node's HTTP port.
 */

import { StoreError } from '../types.js';

export interface ClickHouseTarget {
  /** The entry node, `http://host:port`. */
  entry: string;
  database: string;
  cluster?: string;
  /** Explicit HTTP endpoints of all the cluster's servers (`http://host:port`), if given. */
  nodes?: string[];
  username: string;
  password: string;
  /** The URL without the password, for messages. */
  display: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const CLUSTER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const KNOWN = new Set(['cluster', 'nodes', 'user', 'password']);

function bad(url: string, why: string): StoreError {
  return new StoreError(`bad ClickHouse store URL ${url}: ${why}`, 'bad_store_url');
}

function endpoint(scheme: string, hostPort: string, url: string, defPort: number): string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!m) throw bad(url, `${JSON.stringify(hostPort)} is not HOST or HOST:PORT`);
  const port = m[2] === undefined ? defPort : Number(m[2]);
  if (port < 1 || port > 65535) throw bad(url, `port ${port} is out of range`);
  return `${scheme}://${m[1]}:${port}`;
}

export function parseClickHouseUrl(text: string): ClickHouseTarget {
  const m = /^(clickhouses?):\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(text);
  if (!m) throw bad(text, 'expected clickhouse://HOST:PORT/DB');
  const secure = m[1] === 'clickhouses';
  const scheme = secure ? 'https' : 'http';
  const defPort = secure ? 8443 : 8123;
  let authority = m[2]!;
  let username = 'default';
  let password = '';
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const info = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = info.indexOf(':');
    username = decodeURIComponent(colon >= 0 ? info.slice(0, colon) : info);
    if (colon >= 0) password = decodeURIComponent(info.slice(colon + 1));
  }
  if (authority === '') throw bad(text, 'no host');
  const entry = endpoint(scheme, authority, text, defPort);
  const database = decodeURIComponent(m[3] ?? '') || 'default';
  if (!IDENT.test(database))
    throw bad(text, `database name ${JSON.stringify(database)} must match ${IDENT.source}`);
  const params = new URLSearchParams(m[4] ?? '');
  for (const k of params.keys()) {
    if (!KNOWN.has(k))
      throw bad(text, `unknown parameter ${JSON.stringify(k)} (known: ${[...KNOWN].join(', ')})`);
  }
  const target: ClickHouseTarget = { entry, database, username, password, display: '' };
  const cluster = params.get('cluster');
  if (cluster !== null) {
    if (!CLUSTER.test(cluster))
      throw bad(text, `cluster name ${JSON.stringify(cluster)} must match ${CLUSTER.source}`);
    target.cluster = cluster;
  }
  const nodes = params.get('nodes');
  if (nodes !== null) {
    if (!target.cluster) throw bad(text, 'nodes= needs cluster=');
    target.nodes = nodes.split(',').map((n) => endpoint(scheme, n.trim(), text, defPort));
  }
  const user = params.get('user');
  if (user !== null) target.username = user;
  const pw = params.get('password');
  if (pw !== null) target.password = pw;
  // No credentials in what is shown.
  target.display = `${m[1]}://${authority}/${database}${target.cluster ? `?cluster=${target.cluster}` : ''}`;
  return target;
}
