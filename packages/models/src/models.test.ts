import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nn from '@wcnn/nn';
import { FIXTURES } from '../../../test/fixtures.js';
import { LECTURE_CONV_EXAMPLE } from './examples.js';
import { heNormal, Rng } from './init.js';

describe('built-in lecture example', () => {
  it('is the fixture of the lecture', () => {
    const ex = JSON.parse(readFileSync(join(FIXTURES, 'seed/lecture.json'), 'utf8')).conv_example;
    expect(LECTURE_CONV_EXAMPLE.input).toEqual(ex.input);
    expect(LECTURE_CONV_EXAMPLE.filter).toEqual(ex.filter);
    expect(LECTURE_CONV_EXAMPLE.output).toEqual(ex.output);
  });
});

describe('heNormal', () => {
  it('is deterministic per seed', () => {
    expect(Array.from(heNormal(16, 9, 42))).toEqual(Array.from(heNormal(16, 9, 42)));
    expect(Array.from(heNormal(16, 9, 42))).not.toEqual(Array.from(heNormal(16, 9, 43)));
  });

  it('has mean 0, variance 2 / fanIn and no value beyond two standard deviations', () => {
    const fanIn = 3 * 3 * 64;
    const w = heNormal(200_000, fanIn, 7);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(1e-3 * Math.sqrt(2 / fanIn) * 10);
    expect(variance / (2 / fanIn)).toBeGreaterThan(0.98);
    expect(variance / (2 / fanIn)).toBeLessThan(1.02);
    const limit = (2 * Math.sqrt(2 / fanIn)) / 0.87962566103423978;
    expect(w.every((v) => Math.abs(v) <= limit + 1e-7)).toBe(true);
  });

  it('gives uniform [0, 1) draws', () => {
    const r = new Rng(1);
    const xs = Array.from({ length: 10000 }, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('is the implementation of @wcnn/nn (which the layers use), re-exported', () => {
    expect(heNormal).toBe(nn.heNormal);
    expect(Rng).toBe(nn.Rng);
  });

  it('rejects bad arguments', () => {
    expect(() => heNormal(4, 0, 1)).toThrow('heNormal: fanIn must be positive, got 0');
    expect(() => heNormal(-1, 3, 1)).toThrow('heNormal: size must be a non-negative integer, got -1');
    expect(() => new Rng(1.5)).toThrow('Rng: seed must be an integer, got 1.5');
  });
});
