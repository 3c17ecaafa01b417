import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTool, tempDir } from './helpers.js';
import { sampleV5Flows } from './import.js';
import { captureWithNfcapd, encodeNetflowV5, nfdumpInfo } from './nfcapd.js';

test('a capture that finds two nfcapd files (an hourly rotation during the run) is taken again, whole, in one file', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const dir = tempDir(t);
  // What a rotation leaves: a second file beside the one the run writes.
  writeFileSync(join(dir, 'nfcapd.202601010000'), 'rotated');
  const file = await captureWithNfcapd(encodeNetflowV5(sampleV5Flows(300, 5)), dir);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('nfcapd.')),
    [file.slice(dir.length + 1)],
  );
  assert.equal((await nfdumpInfo(file))['Flows'], 300);
});
