/**
 * @module A small, fast, seeded random number generator and the draws the
 * simulator needs. Written by hand so that the same seed gives the same
 * traffic on every machine and Node version (no `Math.random`).
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting RNG,
 * PractRand-clean, 128 bits of state, period ≥ 2^32). Streams are derived
 * from a seed and a path of keys (`Rng.of(seed, 'clients', minute)`) so that
 * each component draws from its own stream: adding a component never shifts
 * the numbers another one sees.
 */

/** A 32-bit hash of one more value into a running hash (murmur3's mixing). */
export function mix32(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let x = (h ^ k) | 0;
  x = (x << 13) | (x >>> 19);
  return (Math.imul(x, 5) + 0xe6546b64) | 0;
}

/** murmur3's finaliser: spreads every input bit over the output. */
export function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function mixKey(h: number, key: string | number): number {
  if (typeof key === 'number') {
    // Numbers up to 2^53: hash both halves.
    return mix32(mix32(h, key >>> 0), Math.floor(key / 4294967296) | 0);
  }
  let x = mix32(h, key.length);
  for (let i = 0; i < key.length; i++) x = mix32(x, key.charCodeAt(i));
  return x;
}

/** A stable 32-bit hash of a path of keys. */
export function hash32(...keys: readonly (string | number)[]): number {
  let h = 0x9747b28c;
  for (const k of keys) h = mixKey(h, k);
  return fmix32(h);
}

/** Three small numbers hashed fast (no array): for per-host draws in hot loops. */
export function hash3(a: number, b: number, c: number): number {
  return fmix32(mix32(mix32(mix32(0x2545f491, a), b), c));
}

/** A uniform number in [0, 1) from a hash value. */
export function unit(h: number): number {
  return (h >>> 0) / 4294967296;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    // Warm up so that similar seeds diverge (the authors recommend 12+ rounds).
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** The stream for a seed and a path of keys. */
  static of(seed: number, ...keys: readonly (string | number)[]): Rng {
    const h = hash32(seed, ...keys);
    return new Rng(h, hash32(h, 1), hash32(h, 2), hash32(h, 3));
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Standard normal (Marsaglia's polar method; the second value is kept). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.float() * 2 - 1;
      v = this.float() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Log-normal with the given median and shape (sigma of the log). */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Poisson: Knuth's product method for small means, a rounded normal for large ones. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 40) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.float();
      while (p > limit) {
        k++;
        p *= this.float();
      }
      return k;
    }
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
  }

  /** Picks an index by weight from a cumulative table (see {@link cumulative}). */
  weighted(cdf: Float64Array): number {
    return searchCdf(cdf, this.float() * cdf[cdf.length - 1]!);
  }
}

/** Running sums of weights, for {@link Rng.weighted} and {@link searchCdf}. */
export function cumulative(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let s = 0;
  for (let i = 0; i < weights.length; i++) {
    s += weights[i]!;
    out[i] = s;
  }
  return out;
}

/** The first index whose cumulative weight exceeds `x` (binary search). */
export function searchCdf(cdf: Float64Array, x: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Zipf-like popularity: weight of rank i (0-based) is 1 / (i + 1)^s. */
export function zipfCdf(n: number, s: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / (i + 1) ** s;
  return cumulative(w);
}

/**
 * A keyed bijection on [0, 2^bits): visits every value of a space exactly
 * once in a scrambled order, the way masscan/zmap walk their targets. Each
 * round (odd multiply, add, xor-shift) is invertible modulo 2^bits.
 */
export class Permutation {
  private readonly mask: number;
  private readonly keys: number[];
  private readonly shift: number;

  constructor(
    readonly bits: number,
    key: number,
  ) {
    if (bits < 1 || bits > 32) throw new RangeError('bits must be 1..32');
    this.mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
    this.shift = Math.max(1, bits >>> 1);
    this.keys = [];
    for (let i = 0; i < 6; i++) this.keys.push(hash32(key, i));
  }

  at(i: number): number {
    let x = i >>> 0;
    const m = this.mask;
    for (let r = 0; r < 3; r++) {
      x = (Math.imul(x, this.keys[r * 2]! | 1) >>> 0) & m;
      x = ((x + this.keys[r * 2 + 1]!) >>> 0) & m;
      x = (x ^ (x >>> this.shift)) >>> 0;
    }
    return x;
  }
}
