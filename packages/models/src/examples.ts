// Built-in data: the lecture's worked convolution example (5x5 image, 3x3 filter, stride 1, 'valid').

export const LECTURE_CONV_EXAMPLE = {
  input: [
    [3, 3, 2, 1, 0],
    [0, 0, 1, 3, 1],
    [3, 1, 2, 2, 3],
    [2, 0, 0, 2, 2],
    [2, 0, 0, 0, 1],
  ],
  filter: [
    [0, 1, 2],
    [2, 2, 0],
    [0, 1, 2],
  ],
  /** What the lecture's slide computes by hand. */
  output: [
    [12, 12, 17],
    [10, 17, 19],
    [9, 6, 14],
  ],
} as const;
