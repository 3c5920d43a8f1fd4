// The conv layer suite: ../shared/bench/conv-suite.json beside the repository (or --suite FILE).
// Each layer: NHWC input, kernel, cout, strides, padding, groups, flops (2 * multiply-adds).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';

export interface SuiteLayer {
  name: string;
  /** The network the layer comes from (for the table), or ''. */
  model: string;
  /** [n, h, w, cin] */
  input: [number, number, number, number];
  kernel: [number, number];
  cout: number;
  strides: [number, number];
  padding: 'same' | 'valid';
  groups: number;
  flops: number;
}

/** How the summary groups layers: 3x3 stride-1 convs one by one, the other convs and depthwise summed. */
export type LayerClass = '3x3s1' | 'conv' | 'depthwise';

export function layerClass(l: Pick<SuiteLayer, 'input' | 'kernel' | 'strides' | 'groups'>): LayerClass {
  if (l.groups > 1 && l.groups === l.input[3]) return 'depthwise';
  if (l.groups === 1 && l.kernel[0] === 3 && l.kernel[1] === 3 && l.strides[0] === 1 && l.strides[1] === 1) return '3x3s1';
  return 'conv';
}

/** Output height and width of a layer (Keras 'same': ceil(n / s); 'valid': floor((n - k) / s) + 1). */
export function layerOutput(l: SuiteLayer): [number, number] {
  const [, h, w] = l.input;
  if (l.padding === 'same') return [Math.ceil(h / l.strides[0]), Math.ceil(w / l.strides[1])];
  return [Math.floor((h - l.kernel[0]) / l.strides[0]) + 1, Math.floor((w - l.kernel[1]) / l.strides[1]) + 1];
}

/** 2 * multiply-adds of a layer. */
export function layerFlops(l: SuiteLayer): number {
  const [oh, ow] = layerOutput(l);
  return 2 * l.input[0] * oh * ow * l.cout * l.kernel[0] * l.kernel[1] * (l.input[3] / l.groups);
}

/** The repository root: the nearest folder above this module whose package.json has workspaces. */
export function repositoryRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // not a package.json we can read: keep going up
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** ../shared/bench/conv-suite.json beside the repository root the CLI runs from. */
export function defaultSuitePath(): string {
  const root = repositoryRoot();
  if (!root) throw new InputError('cannot find the repository root above the wcnn CLI, so no default suite; pass --suite FILE');
  return resolve(root, '..', 'shared', 'bench', 'conv-suite.json');
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const pair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every(isPosInt);

/** Reads and checks a suite file; every problem is an InputError naming the file and the layer. */
export function loadSuite(file: string): SuiteLayer[] {
  if (!existsSync(file)) throw new InputError(`${file}: no such suite file`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not a JSON suite file (${(e as Error).message})`);
  }
  const layers = (doc as { layers?: unknown } | null)?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new InputError(`${file}: expected {"layers": [...]} with at least one layer`);
  return layers.map((raw, i) => {
    const l = raw as Record<string, unknown>;
    const where = `${file}: layer ${i}${typeof l?.name === 'string' ? ` ('${l.name}')` : ''}`;
    const bad = (what: string, v: unknown): never => {
      throw new InputError(`${where}: ${what}, got ${JSON.stringify(v)}`);
    };
    if (l === null || typeof l !== 'object') bad('expected an object', l);
    if (typeof l.name !== 'string' || l.name === '') bad('name must be a non-empty string', l.name);
    const input = l.input;
    if (!Array.isArray(input) || input.length !== 4 || !input.every(isPosInt)) bad('input must be [n, h, w, c] (NHWC) of positive integers', input);
    if (!pair(l.kernel)) bad('kernel must be [kh, kw] of positive integers', l.kernel);
    if (!isPosInt(l.cout)) bad('cout must be a positive integer', l.cout);
    const strides = l.strides ?? [1, 1];
    if (!pair(strides)) bad('strides must be [sh, sw] of positive integers', strides);
    const padding = l.padding ?? 'same';
    if (padding !== 'same' && padding !== 'valid') bad("padding must be 'same' or 'valid'", padding);
    const groups = l.groups ?? 1;
    if (!isPosInt(groups)) bad('groups must be a positive integer', groups);
    const [, h, w, c] = input as number[];
    if (c % (groups as number) !== 0 || (l.cout as number) % (groups as number) !== 0) bad(`groups must divide the ${c} input channels and the ${l.cout} filters`, groups);
    const [kh, kw] = l.kernel as [number, number];
    if (padding === 'valid' && (kh > h || kw > w)) bad(`the ${kh}x${kw} kernel does not fit the ${h}x${w} input with 'valid' padding`, l.kernel);
    const layer: SuiteLayer = {
      name: l.name as string,
      model: typeof l.model === 'string' ? l.model : '',
      input: [...(input as number[])] as SuiteLayer['input'],
      kernel: [kh, kw],
      cout: l.cout as number,
      strides: [...(strides as number[])] as [number, number],
      padding: padding as SuiteLayer['padding'],
      groups: groups as number,
      flops: 0,
    };
    const flops = layerFlops(layer);
    if (l.flops !== undefined && !(typeof l.flops === 'number' && l.flops > 0)) bad('flops must be a positive number (2 * multiply-adds)', l.flops);
    layer.flops = (l.flops as number | undefined) ?? flops;
    return layer;
  });
}
