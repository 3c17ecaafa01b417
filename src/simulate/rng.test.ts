import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hash32, Permutation, Rng, zipfCdf } from './rng.js';

describe('rng', () => {
  test('a stream is fixed by its seed and keys, and differs for other keys', () => {
    const a = Rng.of(1, 'clients', 5);
    const b = Rng.of(1, 'clients', 5);
    const seqA = Array.from({ length: 8 }, () => a.u32());
    assert.deepEqual(
      seqA,
      Array.from({ length: 8 }, () => b.u32()),
    );
    const c = Rng.of(1, 'clients', 6);
    assert.notDeepEqual(
      seqA,
      Array.from({ length: 8 }, () => c.u32()),
    );
    // Pinned: a change here changes every simulation's output (and every recorded truth).
    assert.equal(hash32(1, 'x'), 1722362896);
    assert.deepEqual(seqA.slice(0, 3), [1904868875, 1991011224, 2286096833]);
  });

  test('uniform, Poisson and log-normal draws have the right centre', () => {
    const r = Rng.of(9);
    let s = 0;
    let p = 0;
    let big = 0;
    const logs: number[] = [];
    for (let i = 0; i < 20000; i++) {
      s += r.float();
      p += r.poisson(3);
      big += r.poisson(200);
      logs.push(r.lognormal(50, 1));
    }
    assert.ok(Math.abs(s / 20000 - 0.5) < 0.01);
    assert.ok(Math.abs(p / 20000 - 3) < 0.05);
    assert.ok(Math.abs(big / 20000 - 200) < 1);
    logs.sort((x, y) => x - y);
    assert.ok(Math.abs(logs[10000]! - 50) < 3);
  });

  test('a permutation visits every value of its space exactly once', () => {
    for (const bits of [1, 5, 12, 17]) {
      const p = new Permutation(bits, 1234);
      const seen = new Uint8Array(1 << bits);
      for (let i = 0; i < 1 << bits; i++) {
        const v = p.at(i);
        assert.ok(v >= 0 && v < 1 << bits);
        seen[v]!++;
      }
      assert.ok(
        seen.every((x) => x === 1),
        `bits ${bits}`,
      );
    }
    const p32 = new Permutation(32, 7);
    for (let i = 0; i < 100; i++) assert.ok(p32.at(i) >= 0 && p32.at(i) <= 0xffffffff);
  });

  test('Zipf popularity: rank 1 is drawn about twice as often as rank 2', () => {
    const cdf = zipfCdf(1000, 1);
    const r = Rng.of(3);
    const n = new Uint32Array(1000);
    for (let i = 0; i < 100000; i++) n[r.weighted(cdf)]!++;
    assert.ok(Math.abs(n[0]! / n[1]! - 2) < 0.2);
    assert.ok(n[0]! > n[999]! * 100);
  });
});
