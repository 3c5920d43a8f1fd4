import { describe, expect, it } from 'vitest';
import { detectFeatures } from './features.js';
import { FLAVORS, loadBuild } from '../test/harness.js';

describe('detectFeatures', () => {
  it('finds SIMD, and relaxed SIMD under --experimental-wasm-relaxed-simd', () => {
    const f = detectFeatures();
    expect(f).toEqual({ wasm: true, simd: true, relaxedSimd: true });
  });

  it.each(FLAVORS)('the %s build reports its flavor', async (flavor) => {
    const h = await loadBuild(flavor);
    expect(h.k.flavor()).toBe(flavor === 'relaxed' ? 1 : 0);
    expect(h.k.heap_base()).toBeLessThan(65536);
  });
});
