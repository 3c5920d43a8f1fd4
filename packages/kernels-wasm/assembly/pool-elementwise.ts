// Pooling, elementwise, softmax, scale-shift, transpose, concat and pad kernels.
