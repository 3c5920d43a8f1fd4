// Deterministic weight initialisation: the same seed gives the same weights on every engine.
// (Moved here from @wcnn/models so the layers can use it; @wcnn/models re-exports it.)

/** xoshiro128** seeded by splitmix32: fast, good statistics, reproducible across platforms. */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`Rng: seed must be an integer, got ${seed}`);
    let z = seed >>> 0;
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      this.s[i] = (t ^ (t >>> 16)) >>> 0;
    }
  }

  /** Uniform in [0, 1), 32 bits. */
  next(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * He (Kaiming) normal initialisation: N(0, 2 / fanIn), truncated at two standard deviations as
 * Keras' he_normal does. For a conv filter (kh, kw, cin/groups, cout), fanIn = kh * kw * cin/groups.
 * Written into `into` when given (a view of wasm memory, say), else into a new array.
 */
export function heNormal(size: number, fanIn: number, seed: number, into?: Float32Array): Float32Array {
  if (!Number.isInteger(size) || size < 0) throw new Error(`heNormal: size must be a non-negative integer, got ${size}`);
  if (!(fanIn > 0)) throw new Error(`heNormal: fanIn must be positive, got ${fanIn}`);
  if (into !== undefined && into.length !== size) throw new Error(`heNormal: into has ${into.length} values, expected ${size}`);
  const rng = new Rng(seed);
  const std = Math.sqrt(2 / fanIn) / 0.87962566103423978; // corrects the variance lost to truncation
  const out = into ?? new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let z: number;
    do z = rng.normal();
    while (Math.abs(z) > 2);
    out[i] = z * std;
  }
  return out;
}

/**
 * The seed of one layer's weights: a hash of the model seed and the layer's position in the model,
 * so that inserting a layer changes only the weights after it and two seeds never share streams.
 */
export function layerSeed(modelSeed: number, layerIndex: number): number {
  if (!Number.isInteger(modelSeed)) throw new Error(`layerSeed: seed must be an integer, got ${modelSeed}`);
  if (!Number.isInteger(layerIndex) || layerIndex < 0) throw new Error(`layerSeed: layer index must be a non-negative integer, got ${layerIndex}`);
  let h = Math.imul((modelSeed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = (h ^ Math.imul(layerIndex + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
