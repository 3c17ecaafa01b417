import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freeClusterBase } from './clickhouse.js';

// CI once failed because a caller's start port plus the random offset passed 65535
// (ERR_SOCKET_BAD_PORT); ports in the ephemeral range can also be taken by any outgoing
// connection between the check and the server's bind.
test('a test cluster base leaves room for every port of the layout below the ephemeral range', async () => {
  for (let i = 0; i < 200; i++) {
    const base = await freeClusterBase(13);
    assert.ok(Number.isInteger(base) && base >= 1024, `base ${base}`);
    assert.ok(base + 13 <= 32_768, `base ${base}: its 13 ports reach the ephemeral range`);
  }
});
