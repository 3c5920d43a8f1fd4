// out (contiguous, 6 dims) = a[...] op b[...] with NumPy broadcasting expressed as strides
// (0 on broadcast dims). `shape`, `aStrides`, `bStrides` point to 6 i32 each.
// op: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min.

@inline function dim(p: usize, d: i32): i32 {
  return load<i32>(p + (<usize>d << 2));
}

@inline function vop(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 4: return f32x4.max(a, b);
    default: return f32x4.min(a, b);
  }
}

@inline function sop(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return Mathf.max(a, b);
    default: return Mathf.min(a, b);
  }
}

/** The innermost run of n outputs; a and b each advance by 0 (broadcast) or 1 float, or any stride. */
@inline function run(op: i32, a: usize, sa: i32, b: usize, sb: i32, n: i32, out: usize): void {
  let i = 0;
  if ((sa == 1 || sa == 0) && (sb == 1 || sb == 0)) {
    const va = v128.load32_splat(a);
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const x = sa == 1 ? v128.load(a + off) : va;
      const y = sb == 1 ? v128.load(b + off) : vb;
      v128.store(out + off, vop(op, x, y));
    }
  }
  for (; i < n; i++) {
    const x = load<f32>(<usize>(<isize>a + (<isize>i * <isize>sa << 2)));
    const y = load<f32>(<usize>(<isize>b + (<isize>i * <isize>sb << 2)));
    store<f32>(out + (<usize>i << 2), sop(op, x, y));
  }
}

export function f32_binary_broadcast(op: i32, a: usize, aStrides: usize, b: usize, bStrides: usize, shape: usize, out: usize): void {
  const n0 = dim(shape, 0), n1 = dim(shape, 1), n2 = dim(shape, 2), n3 = dim(shape, 3), n4 = dim(shape, 4), n5 = dim(shape, 5);
  const a0 = <isize>dim(aStrides, 0) << 2, a1 = <isize>dim(aStrides, 1) << 2, a2 = <isize>dim(aStrides, 2) << 2;
  const a3 = <isize>dim(aStrides, 3) << 2, a4 = <isize>dim(aStrides, 4) << 2, a5 = dim(aStrides, 5);
  const b0 = <isize>dim(bStrides, 0) << 2, b1 = <isize>dim(bStrides, 1) << 2, b2 = <isize>dim(bStrides, 2) << 2;
  const b3 = <isize>dim(bStrides, 3) << 2, b4 = <isize>dim(bStrides, 4) << 2, b5 = dim(bStrides, 5);
  let dst = out;
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      for (let i2 = 0; i2 < n2; i2++) {
        for (let i3 = 0; i3 < n3; i3++) {
          const pa = <isize>a + <isize>i0 * a0 + <isize>i1 * a1 + <isize>i2 * a2 + <isize>i3 * a3;
          const pb = <isize>b + <isize>i0 * b0 + <isize>i1 * b1 + <isize>i2 * b2 + <isize>i3 * b3;
          for (let i4 = 0; i4 < n4; i4++) {
            run(op, <usize>(pa + <isize>i4 * a4), a5, <usize>(pb + <isize>i4 * b4), b5, n5, dst);
            dst += <usize>n5 << 2;
          }
        }
      }
    }
  }
}
