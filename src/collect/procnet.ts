/**
 * @module The kernel's table of UDP sockets (/proc/net/udp and udp6, Linux
 * only): each socket's local port, inode and receive-buffer drops. The
 * per-listener and the per-socket drop series both read it here.
 */

import { readFile } from 'node:fs/promises';

export interface KernelUdpSocket {
  port: number;
  inode: number;
  drops: number;
}

/** Every UDP socket of this network namespace (empty where /proc/net/udp is missing). */
export async function kernelUdpSockets(): Promise<KernelUdpSocket[]> {
  const out: KernelUdpSocket[] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      const port = Number.parseInt(f[1]!.split(':')[1] ?? '', 16);
      const inode = Number(f[9]);
      const drops = Number(f[12]);
      if (Number.isInteger(port) && Number.isInteger(inode) && Number.isInteger(drops))
        out.push({ port, inode, drops });
    }
  }
  return out;
}
