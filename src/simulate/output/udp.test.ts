import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { FlowBatch } from '../../flow/batch.js';
import { emptyRecord } from '../../flow/record.js';
import { UdpSender } from './udp.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');

function flows(n: number): FlowBatch {
  const b = new FlowBatch(n);
  for (let i = 0; i < n; i++)
    b.push({
      ...emptyRecord(),
      flowStartMilliseconds: T0 + i * 10,
      flowEndMilliseconds: T0 + i * 10 + 5,
      sourceIPAddress: `10.1.${i >> 8}.${i & 255}`,
      destinationIPAddress: '198.51.100.7',
      sourceTransportPort: 40000 + (i % 20000),
      destinationTransportPort: 443,
      protocolIdentifier: 6,
      packetDeltaCount: 1 + (i % 9),
      octetDeltaCount: 100 + i,
      exporterIPAddress: `192.0.2.${1 + (i % 3)}`,
    });
  return b;
}

/** Every datagram a loopback socket receives while `send` runs. */
async function received(send: (port: number) => Promise<void>): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const s = createSocket('udp4');
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  await send((s.address() as AddressInfo).port);
  // Loopback delivers at once; give the event loop a moment to read the last ones.
  await new Promise((r) => setTimeout(r, 200));
  s.close();
  return got;
}

for (const format of ['ipfix', 'v9'] as const) {
  test(`${format}: pre-encoded packets are the packets send() sends, and sendEncoded sends them all, in order`, async () => {
    const b = flows(3000);
    const o = { host: '127.0.0.1', format, rate: 50_000 };
    const live = await received(async (port) => {
      const s = new UdpSender({ ...o, port });
      await s.open();
      await s.send(b);
      await s.flush();
      await s.close();
    });
    const encoded = UdpSender.encode(b, o);
    assert.equal(
      encoded.flows.reduce((a, n) => a + n, 0),
      3000,
    );
    assert.equal(live.length, encoded.packets.length);
    assert.ok(
      live.every((p, i) => p.equals(encoded.packets[i]!)),
      'the same bytes in the same order',
    );
    let sender: UdpSender | undefined;
    const replayed = await received(async (port) => {
      sender = new UdpSender({ ...o, port });
      await sender.open();
      await sender.sendEncoded(encoded);
      await sender.close();
    });
    assert.equal(sender!.flows, 3000);
    assert.equal(sender!.packets, encoded.packets.length);
    assert.ok(
      replayed.length === encoded.packets.length && replayed.every((p, i) => p.equals(encoded.packets[i]!)),
      'the replay sends every packet once, in order',
    );
  });
}
