import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BatchColumns, FlowBatch } from './batch.js';

const ROWS = 4096;

/** A batch of `rows` capacity with every row's port, bytes and source set. */
function full(rows = ROWS): FlowBatch {
  const b = new FlowBatch(rows);
  for (let k = 0; k < rows; k++) {
    const i = b.add();
    b.dport[i] = 1 + (k % 1000);
    b.bytes[i] = 40 + k;
    b.setAddr('src', i, [0, 0, 0xffff, 0x0a000001 + k]);
  }
  return b;
}

test('batch: a recyclable batch gives its arrays to the next batch of its size, zeroed; it is empty after', () => {
  const b = full();
  b.recyclable = true;
  const buffer = b.dport.buffer;
  assert.equal(FlowBatch.recycle(b), true);
  assert.deepEqual(
    [b.length, b.dport.length, b.recyclable],
    [0, 0, false],
    'nothing left to read by mistake',
  );
  const next = new FlowBatch(ROWS);
  assert.equal(next.dport.buffer, buffer, 'the same memory');
  assert.ok(
    next.dport.every((v) => v === 0) && next.bytes.every((v) => v === 0) && next.src.every((v) => v === 0),
  );
  const i = next.add();
  assert.deepEqual([next.src[i * 4 + 2], next.dport[i]], [0xffff, 0], 'a row is made as in new memory');
  assert.notEqual(new FlowBatch(ROWS).dport.buffer, buffer, 'given out once');
});

test('batch: a batch read in part of its capacity (a decoder that grew it) is recycled by its whole buffers', () => {
  const b = full(ROWS * 2);
  const sent = FlowBatch.fromColumns({ ...b.giveColumns(), length: 100 });
  assert.equal(sent.dport.length, ROWS * 2, 'all the rows given');
  const part = FlowBatch.fromColumns(
    Object.fromEntries(
      Object.entries(b.giveColumns()).map(([k, v]) => [
        k,
        ArrayBuffer.isView(v) ? (v as Uint8Array).subarray(0, 10) : v,
      ]),
    ) as unknown as BatchColumns,
  );
  part.recyclable = true;
  const buffer = part.dport.buffer;
  assert.equal(FlowBatch.recycle(part), true);
  assert.equal(new FlowBatch(ROWS * 2).dport.buffer, buffer, 'reused for a batch of the buffers’ rows');
});

test('batch: a batch not marked recyclable, or not owning whole buffers, keeps its rows', () => {
  const plain = full();
  assert.equal(FlowBatch.recycle(plain), false, 'not marked: its owner may still read it');
  assert.equal(plain.dport[ROWS - 1], 1 + ((ROWS - 1) % 1000));
  const b = full();
  const offset = FlowBatch.fromColumns(
    Object.fromEntries(
      Object.entries(b.giveColumns()).map(([k, v]) => [
        k,
        ArrayBuffer.isView(v) ? (v as Uint8Array).subarray(8) : v,
      ]),
    ) as unknown as BatchColumns,
  );
  offset.recyclable = true;
  assert.equal(FlowBatch.recycle(offset), false, 'views from within a buffer');
  assert.equal(offset.dport[0], b.dport[8]);
});

test('batch: free arrays move between threads as columns and are adopted only when whole', () => {
  const b = full();
  b.recyclable = true;
  FlowBatch.recycle(b);
  const sent = FlowBatch.takeFree()!;
  assert.equal(sent.length, 0);
  const buffer = sent.dport.buffer;
  assert.equal(FlowBatch.takeFree(), undefined, 'the one set is out');
  FlowBatch.adoptFree(sent);
  assert.equal(new FlowBatch(ROWS).dport.buffer, buffer, 'adopted, then reused');
  FlowBatch.adoptFree({ ...sent, dport: new Uint16Array(7) });
  assert.equal(FlowBatch.takeFree(), undefined, 'columns of different sizes are not adopted');
});

test('batch: rows written beyond the length (reserved, or cut off by a compaction) are zeroed too on reuse', () => {
  const b = new FlowBatch(ROWS);
  const at = b.reserve(50); // a decoder's rows, written before it counts them
  for (let k = 0; k < 50; k++) b.dport[at + k] = 7;
  for (let k = 0; k < 10; k++) b.dport[b.add()] = 9;
  b.compact(new Uint8Array(10)); // every row dropped: the length is 0, the memory is not clean
  b.recyclable = true;
  const cols = { ...b.giveColumns() };
  const moved = FlowBatch.fromColumns(cols); // as if it crossed to another thread and back
  assert.equal(moved.length, 0);
  const whole = FlowBatch.fromColumns({ ...cols, dport: new Uint16Array(b.dport.buffer) } as typeof cols);
  whole.recyclable = true;
  assert.equal(FlowBatch.recycle(whole), true);
  const next = new FlowBatch(ROWS);
  assert.equal(next.dport.buffer, b.dport.buffer);
  assert.ok(
    next.dport.every((v) => v === 0),
    'the 50 reserved rows are zero again',
  );
});
