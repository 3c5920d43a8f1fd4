// Options shared by the zoo builders.
import type { Model } from '@wcnn/nn';

export interface ZooOptions {
  /** Seeds the He-normal weights (deterministic per seed). Default 0. */
  seed?: number;
  /** One example [h, w, c] (NHWC, no batch dimension). Default: the architecture's. */
  inputShape?: [number, number, number];
  /** Include the classifier (dense layers after the conv stack). Default true. */
  includeTop?: boolean;
  /** Classes of the classifier. Default: the architecture's (1000 for ImageNet models). */
  classes?: number;
}

export type ZooBuilder = (options?: ZooOptions) => Model;

export interface ResolvedZooOptions {
  seed: number;
  inputShape: [number, number, number];
  includeTop: boolean;
  classes: number;
}

const KNOWN = ['seed', 'inputShape', 'includeTop', 'classes'];

/** Validates the options of `model` and fills in its defaults. */
export function zooOptions(model: string, options: ZooOptions | undefined, defaults: { inputShape: [number, number, number]; classes: number }): ResolvedZooOptions {
  const o = options ?? {};
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${model}: options must be an object, got ${JSON.stringify(options)}`);
  const unknown = Object.keys(o).filter((k) => !KNOWN.includes(k));
  if (unknown.length > 0) throw new Error(`${model}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`${model}: seed must be an integer, got ${JSON.stringify(o.seed)}`);
  const inputShape = o.inputShape ?? defaults.inputShape;
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${model}: inputShape must be [h, w, c] of positive integers (no batch dimension), got ${JSON.stringify(o.inputShape)}`);
  }
  const includeTop = o.includeTop ?? true;
  if (typeof includeTop !== 'boolean') throw new Error(`${model}: includeTop must be a boolean, got ${JSON.stringify(o.includeTop)}`);
  const classes = o.classes ?? defaults.classes;
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`${model}: classes must be a positive integer, got ${JSON.stringify(o.classes)}`);
  return { seed, inputShape: [inputShape[0], inputShape[1], inputShape[2]], includeTop, classes };
}
