export { Rng, heNormal } from './init.js';
export { LECTURE_CONV_EXAMPLE } from './examples.js';
