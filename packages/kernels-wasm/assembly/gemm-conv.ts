// GEMM, im2col and depthwise convolution kernels.
