// Entry point of both builds: every exported function is a kernel of the ABI (src/abi.ts).
export * from './gemm-conv';
export * from './pool-elementwise';
export * from './winograd';
export * from './probe';

/** First byte after static data; JS allocates above it. */
export function heap_base(): usize {
  return __heap_base;
}

/** 0 = baseline SIMD build, 1 = relaxed SIMD build. */
export function flavor(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
