// Plain float64 references for the nn tests (NHWC, Keras weight layouts).
export interface RefConv {
  x: Float32Array; xShape: number[];
  w: Float32Array; wShape: number[];
  bias?: Float32Array;
  strides: [number, number]; dilations: [number, number];
  pads: [number, number, number, number];
  groups: number; circular: boolean;
}

export function refConv2d(p: RefConv): { data: Float64Array; shape: number[] } {
  const [n, h, w, cin] = p.xShape;
  const [kh, kw, cpg, cout] = p.wShape;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [t, b, l, r] = p.pads;
  const oh = Math.floor((h + t + b - ((kh - 1) * dh + 1)) / sh) + 1;
  const ow = Math.floor((w + l + r - ((kw - 1) * dw + 1)) / sw) + 1;
  const kpg = cout / p.groups;
  const out = new Float64Array(n * oh * ow * cout);
  const mod = (a: number, m: number) => ((a % m) + m) % m;
  for (let img = 0; img < n; img++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let co = 0; co < cout; co++) {
          const g = Math.floor(co / kpg);
          let acc = p.bias ? p.bias[co] : 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              let iy = oy * sh - t + ky * dh;
              let ix = ox * sw - l + kx * dw;
              if (p.circular) {
                iy = mod(iy, h);
                ix = mod(ix, w);
              } else if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let ci = 0; ci < cpg; ci++) {
                acc += p.x[((img * h + iy) * w + ix) * cin + g * cpg + ci] * p.w[((ky * kw + kx) * cpg + ci) * cout + co];
              }
            }
          out[((img * oh + oy) * ow + ox) * cout + co] = acc;
        }
  return { data: out, shape: [n, oh, ow, cout] };
}

/** Max or average pooling, PyTorch semantics (count_include_pad counts taps inside the padded extent). */
export function refPool2d(
  kind: 'max' | 'avg', x: Float32Array, [n, h, w, c]: number[],
  [kh, kw]: [number, number], [sh, sw]: [number, number], [dh, dw]: [number, number],
  [t, b, l, r]: [number, number, number, number], oh: number, ow: number, countIncludePad = false,
): Float64Array {
  const out = new Float64Array(n * oh * ow * c);
  for (let img = 0; img < n; img++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - t + ky * dh;
              const ix = ox * sw - l + kx * dw;
              const inPadded = iy >= -t && iy < h + b && ix >= -l && ix < w + r;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                if (countIncludePad && inPadded) count++;
                continue;
              }
              const v = x[((img * h + iy) * w + ix) * c + ch];
              if (kind === 'max') acc = Math.max(acc, v);
              else acc += v;
              count++;
            }
          out[((img * oh + oy) * ow + ox) * c + ch] = kind === 'max' ? acc : acc / count;
        }
  return out;
}
