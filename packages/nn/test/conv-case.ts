// The conv-then-pool job the runtime tests (browser.test, workerd.test) hand to another engine, and
// what Node computes for it.
import { tensor } from '@wcnn/tensor';
import { conv2d, maxPool2d } from '../src/index.js';
import { random } from './setup.js';

export interface ConvCase {
  x: number[];
  xShape: number[];
  w: number[];
  wShape: number[];
  b: number[];
}

/** (1, 12, 12, 16) through a 3x3 filter to 8 channels. */
export function convCase(): ConvCase {
  return {
    x: Array.from(random(12 * 12 * 16, 1)),
    xShape: [1, 12, 12, 16],
    w: Array.from(random(9 * 16 * 8, 2, -0.3, 0.3)),
    wShape: [3, 3, 16, 8],
    b: Array.from(random(8, 3, -0.1, 0.1)),
  };
}

/** relu(conv 'same' + bias), then a 2x2 stride-2 max pool: (1, 6, 6, 8), on the running backend. */
export function convCaseHere(c: ConvCase): { shape: number[]; data: number[] } {
  const y = conv2d(tensor(c.x, c.xShape), tensor(c.w, c.wShape), { bias: tensor(c.b, [c.b.length]), padding: 'same', activation: 'relu' });
  const p = maxPool2d(y, { kernel: [2, 2], strides: [2, 2] });
  return { shape: [...p.shape], data: Array.from(p.dataSync()) };
}
