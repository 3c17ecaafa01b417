/**
 * @module The column list drives the batch and the record: a flow with every
 * field set to a value of its own survives every batch operation, and a new
 * column in `schema.ts` is covered here with no edit (the values are made
 * from its kind). The engines' writers are held to the same list by the
 * store contract (`testing/store.case.ts`).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnBuffers, FlowBatch } from './batch.js';
import { emptyRecord, type FlowRecord } from './record.js';
import { COLUMNS, type ColumnKind, storageColumns } from './schema.js';

/** A value of its kind for field `k` of flow `n`, different for every field and flow and from the empty value. */
function sampleValue(kind: ColumnKind, k: number, n: number): number | string {
  const x = 1 + k + 31 * n;
  switch (kind) {
    case 'ms':
      return 1_764_000_000_000 + x;
    case 'addr':
      return n % 2 ? `2001:db8::${x.toString(16)}` : `10.${k}.${n}.${(x % 250) + 2}`;
    case 'u8':
      return (x % 250) + 2;
    case 'u16':
      return 1000 + x;
    case 'u32':
      return 2 ** 31 + x;
    case 'u64':
      return 2 ** 40 + x;
    case 'str':
      return `label ${k}/${n}`;
  }
}

function fullFlow(n: number): FlowRecord {
  return Object.fromEntries(COLUMNS.map((c, k) => [c.ie, sampleValue(c.kind, k, n)])) as FlowRecord;
}

const flows = [0, 1, 2, 3, 4, 5].map(fullFlow);

function batchOf(fs: readonly FlowRecord[], capacity = 1): FlowBatch {
  const b = new FlowBatch(capacity);
  for (const f of fs) b.push(f);
  return b;
}

test('the sample flows set every field of the column list, none to its empty value', () => {
  const empty = emptyRecord() as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(empty),
    COLUMNS.map((c) => c.ie),
  );
  for (const c of COLUMNS) assert.notEqual((flows[0] as Record<string, unknown>)[c.ie], empty[c.ie], c.ie);
});

test('a record goes into a batch and comes back equal, every field (growing from capacity 1)', () => {
  const b = batchOf(flows);
  assert.equal(b.length, flows.length);
  assert.ok(b.capacity >= flows.length);
  assert.deepEqual(b.records(), flows);
});

test('add() gives the empty record, also in a batch whose text columns are already in use', () => {
  const b = batchOf([flows[0]!]);
  const i = b.add();
  assert.deepEqual(b.record(i), emptyRecord());
  assert.equal(emptyRecord().samplingInterval, 1, 'a flow says nothing of sampling: 1 in 1');
  const fresh = new FlowBatch(1);
  assert.deepEqual(fresh.record(fresh.add()), emptyRecord());
});

test('every column has an array of its kind: 4 words an address, a double a counter or time', () => {
  const b = new FlowBatch(8);
  const arrays = b as unknown as Record<string, unknown>;
  for (const c of COLUMNS) {
    const a = arrays[c.field];
    if (c.kind === 'str') {
      assert.equal(a, null, `${c.field}: no array until a value`);
      continue;
    }
    const want = {
      ms: Float64Array,
      u64: Float64Array,
      addr: Uint32Array,
      u32: Uint32Array,
      u16: Uint16Array,
      u8: Uint8Array,
    }[c.kind];
    assert.ok(a instanceof want, `${c.field} is a ${want.name}`);
    assert.equal((a as Uint8Array).length, c.kind === 'addr' ? 32 : 8, c.field);
  }
  assert.equal(columnBuffers(b.toColumns()).length, COLUMNS.filter((c) => c.kind !== 'str').length);
  assert.equal(
    storageColumns().length,
    COLUMNS.length + COLUMNS.filter((c) => c.kind === 'addr').length,
    'an address is two storage columns',
  );
});

test('slice, append, toColumns/fromColumns and compact keep every field of every flow', () => {
  const b = batchOf(flows);
  assert.deepEqual(b.slice(2, 5).records(), flows.slice(2, 5));
  assert.deepEqual(FlowBatch.fromColumns(b.toColumns()).records(), flows);
  assert.deepEqual(FlowBatch.fromColumns(new FlowBatch(4).toColumns()).records(), []);

  const joined = batchOf(flows.slice(0, 2));
  joined.append(batchOf(flows.slice(2)));
  assert.deepEqual(joined.records(), flows);
  // A batch without text values appended to one with them, and the other way round.
  const plain = { ...flows[1]!, label: null };
  const a = batchOf([flows[0]!]);
  a.append(batchOf([plain]));
  assert.deepEqual(a.records(), [flows[0], plain]);
  const c = batchOf([plain]);
  c.append(batchOf([flows[0]!]));
  assert.deepEqual(c.records(), [plain, flows[0]]);

  const k = batchOf(flows);
  assert.equal(k.compact(Uint8Array.from([0, 1, 0, 0, 1, 1])), 3);
  assert.deepEqual(k.records(), [flows[1], flows[4], flows[5]]);
  k.clear();
  assert.deepEqual(k.records(), []);
  assert.deepEqual(k.record(k.add()), emptyRecord());
});
