/**
 * @module Whether this runtime can bind several UDP sockets to one port
 * (SO_REUSEPORT through dgram's `reusePort`: Node ≥ 22.12 / 23.1 on Linux).
 * Older runtimes ignore the option, so it is tried for real, once: two
 * sockets bound to one loopback port.
 */

import { createSocket, type Socket } from 'node:dgram';

let probed: Promise<boolean> | undefined;

function bind(s: Socket, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => resolve(true));
  });
}

async function probe(): Promise<boolean> {
  const a = createSocket({ type: 'udp4', reusePort: true });
  const b = createSocket({ type: 'udp4', reusePort: true });
  try {
    return (await bind(a, 0)) && (await bind(b, a.address().port));
  } catch {
    return false;
  } finally {
    for (const s of [a, b]) {
      try {
        s.close();
      } catch {
        // never bound
      }
    }
  }
}

export function reusePortAvailable(): Promise<boolean> {
  probed ??= probe();
  return probed;
}
