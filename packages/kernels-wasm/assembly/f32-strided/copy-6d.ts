// out (contiguous, 6 dims) = x[sum_d i_d * strides[d]]: transposes, slices and broadcasts in one
// kernel. `shape` and `strides` point to 6 i32 each (element strides, any sign, 0 repeats).
// Callers pad lower ranks with leading 1s.

@inline function dim(p: usize, d: i32): i32 {
  return load<i32>(p + (<usize>d << 2));
}

/** The innermost run: a vector copy when contiguous, a splat when repeated, else a gather. */
@inline function copyRun(x: usize, n: i32, stride: i32, out: usize): void {
  let i = 0;
  if (stride == 1) {
    for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), v128.load(x + (<usize>i << 2)));
    for (; i < n; i++) store<f32>(out + (<usize>i << 2), load<f32>(x + (<usize>i << 2)));
  } else if (stride == 0) {
    const v = v128.load32_splat(x);
    for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), v);
    for (; i < n; i++) store<f32>(out + (<usize>i << 2), load<f32>(x));
  } else {
    const step = <isize>stride << 2;
    let src = <isize>x;
    for (; i < n; i++) {
      store<f32>(out + (<usize>i << 2), load<f32>(<usize>src));
      src += step;
    }
  }
}

export function f32_strided_copy(x: usize, shape: usize, strides: usize, out: usize): void {
  const n0 = dim(shape, 0), n1 = dim(shape, 1), n2 = dim(shape, 2), n3 = dim(shape, 3), n4 = dim(shape, 4), n5 = dim(shape, 5);
  const s0 = <isize>dim(strides, 0) << 2, s1 = <isize>dim(strides, 1) << 2, s2 = <isize>dim(strides, 2) << 2;
  const s3 = <isize>dim(strides, 3) << 2, s4 = <isize>dim(strides, 4) << 2;
  const s5 = dim(strides, 5);
  let dst = out;
  for (let i0 = 0; i0 < n0; i0++) {
    const p0 = <isize>x + <isize>i0 * s0;
    for (let i1 = 0; i1 < n1; i1++) {
      const p1 = p0 + <isize>i1 * s1;
      for (let i2 = 0; i2 < n2; i2++) {
        const p2 = p1 + <isize>i2 * s2;
        for (let i3 = 0; i3 < n3; i3++) {
          const p3 = p2 + <isize>i3 * s3;
          for (let i4 = 0; i4 < n4; i4++) {
            copyRun(<usize>(p3 + <isize>i4 * s4), n5, s5, dst);
            dst += <usize>n5 << 2;
          }
        }
      }
    }
  }
}
