/**
 * @module The collector's UDP sockets as the kernel sees them: which sockets
 * hold a port (from /proc/net/udp and udp6, Linux only), each socket's
 * kernel drops by its inode, and the per-socket receive counters shown in
 * /metrics. With several sockets on one port (SO_REUSEPORT) the per-listener
 * totals hide a socket whose reader falls behind; these series show it.
 */

import { kernelUdpSockets } from './procnet.js';
import { Exposition } from './stats.js';

export { type KernelUdpSocket, kernelUdpSockets } from './procnet.js';

/** Inodes of the sockets bound to a port now. */
export async function inodesOnPort(port: number): Promise<Set<number>> {
  return new Set((await kernelUdpSockets()).filter((s) => s.port === port).map((s) => s.inode));
}

/** The one inode in `after` not in `before`; undefined if none or several (another process bound too). */
export function newInode(before: ReadonlySet<number>, after: ReadonlySet<number>): number | undefined {
  const added = [...after].filter((i) => !before.has(i));
  return added.length === 1 ? added[0] : undefined;
}

export interface SocketStats {
  listener: string;
  port: number;
  /** The receiving worker's number, or `main` when the main thread reads the socket. */
  socket: string;
  /** The socket's inode, for its kernel drops (undefined when it could not be told apart). */
  inode: number | undefined;
  datagrams: number;
  bytes: number;
}

export async function renderSocketMetrics(sockets: readonly SocketStats[]): Promise<string> {
  const e = new Exposition();
  const labels = (s: SocketStats) => ({ listener: s.listener, port: String(s.port), socket: s.socket });
  e.metric(
    'flowhunt_socket_datagrams_total',
    'counter',
    'Datagrams read from the socket (several sockets share a port when each worker receives).',
    sockets.map((s) => [labels(s), s.datagrams]),
  );
  e.metric(
    'flowhunt_socket_bytes_total',
    'counter',
    'Bytes of the datagrams read from the socket.',
    sockets.map((s) => [labels(s), s.bytes]),
  );
  const drops = new Map((await kernelUdpSockets()).map((k) => [k.inode, k.drops]));
  e.metric(
    'flowhunt_socket_kernel_drops_total',
    'counter',
    "Datagrams the kernel dropped because this socket's receive buffer was full.",
    sockets.filter((s) => s.inode !== undefined).map((s) => [labels(s), drops.get(s.inode!) ?? 0]),
  );
  return e.text();
}
