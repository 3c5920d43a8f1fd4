// The wire decoder against onnx-proto (protobufjs) as the encoder: every field the importer reads,
// packed and unpacked repeated fields, negative and large 64-bit integers, unknown fields, and
// malformed bytes (each an Error, never a hang or a wrong value).
import pkg from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { decodeModelProto, enumName, DataType } from './wire.js';

const { onnx } = pkg;

const encode = (m: Parameters<typeof onnx.ModelProto.encode>[0]): Uint8Array => onnx.ModelProto.encode(m).finish();

describe('decodeModelProto', () => {
  const raw = new Uint8Array(new Float32Array([1.5, -2, 3.25]).buffer);
  const model = {
    irVersion: 9,
    producerName: 'wcnn-test ✓',
    producerVersion: '1.2',
    docString: 'skipped',
    opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: 'g',
      docString: 'skipped too',
      input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }, {}] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
      valueInfo: [{ name: 'skipped' }],
      initializer: [
        { name: 'w', dims: [3], dataType: DataType.FLOAT, rawData: raw },
        { name: 'f', dims: [2], dataType: DataType.FLOAT, floatData: [0.5, -0.25] },
        { name: 'big', dims: [3], dataType: DataType.INT64, int64Data: [-1, 2 ** 40 + 3, -(2 ** 50)] },
        { name: 'i32', dims: [2], dataType: DataType.INT32, int32Data: [-7, 2 ** 31 - 1] },
        { name: 'd', dims: [1], dataType: DataType.DOUBLE, doubleData: [Math.PI] },
        { name: 'u', dims: [1], dataType: DataType.UINT64, uint64Data: [2 ** 52] },
        {
          name: 'ext', dims: [4, 5], dataType: DataType.FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '16' }],
        },
      ],
      node: [{
        opType: 'Conv', name: '/c', domain: '', input: ['x', 'w', ''], output: ['y'], docString: 'skipped',
        attribute: [
          { name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, -1, 2 ** 33, -(2 ** 33)] },
          { name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 0.125 },
          { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -3 },
          { name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('DCR') },
          { name: 'scales', type: onnx.AttributeProto.AttributeType.FLOATS, floats: [1, 2.5] },
          { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dims: [1], dataType: DataType.FLOAT, floatData: [4] } },
          { name: 'strs', type: onnx.AttributeProto.AttributeType.STRINGS, strings: [new Uint8Array([65]), new Uint8Array([66, 67])] },
        ],
      }],
    },
  };

  it('reads every field the importer uses, skipping the others', () => {
    const m = decodeModelProto(encode(model));
    expect(m.irVersion).toBe(9);
    expect([m.producerName, m.producerVersion]).toEqual(['wcnn-test ✓', '1.2']);
    expect(m.opsetImport).toEqual([{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }]);
    const g = m.graph!;
    expect(g.input[0]).toEqual({ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }, {}] } } } });
    expect(g.output[0]).toEqual({ name: 'y', type: { tensorType: { elemType: 1 } } });
    const t = Object.fromEntries(g.initializer.map((x) => [x.name, x]));
    expect(Array.from(new Float32Array(new Uint8Array(t.w.rawData!).buffer))).toEqual([1.5, -2, 3.25]);
    expect(t.w.dims).toEqual([3]);
    expect(t.f.floatData).toEqual([0.5, -0.25]);
    expect(t.big.int64Data).toEqual([-1, 2 ** 40 + 3, -(2 ** 50)]);
    expect(t.i32.int32Data).toEqual([-7, 2 ** 31 - 1]);
    expect(t.d.doubleData).toEqual([Math.PI]);
    expect(t.u.uint64Data).toEqual([2 ** 52]);
    expect(t.ext.dataLocation).toBe(1);
    expect(t.ext.externalData).toEqual([{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '16' }]);
    const n = g.node[0];
    expect([n.opType, n.name, n.domain, n.input, n.output]).toEqual(['Conv', '/c', '', ['x', 'w', ''], ['y']]);
    const a = Object.fromEntries(n.attribute.map((x) => [x.name, x]));
    expect(a.pads.ints).toEqual([0, -1, 2 ** 33, -(2 ** 33)]);
    expect(a.pads.type).toBe(7);
    expect(a.alpha.f).toBe(0.125);
    expect(a.axis.i).toBe(-3);
    expect(new TextDecoder().decode(a.mode.s)).toBe('DCR');
    expect(a.scales.floats).toEqual([1, 2.5]);
    expect(a.value.t!.floatData).toEqual([4]);
    expect(a.strs.strings.map((s: Uint8Array) => Array.from(s))).toEqual([[65], [66, 67]]);
  });

  it('reads repeated scalars written unpacked (proto2 style) as well as packed', () => {
    // dims (field 1 of TensorProto) as two separate varint fields; TensorProto inside GraphProto field 5.
    const tensor = [0x08, 0x02, 0x08, 0x03, 0x10, 0x01, 0x42, 0x01, 0x74]; // dims 2, dims 3, data_type 1, name 't'
    const graph = [0x2a, tensor.length, ...tensor];
    const bytes = new Uint8Array([0x3a, graph.length, ...graph]);
    const t = decodeModelProto(bytes).graph!.initializer[0];
    expect(t.dims).toEqual([2, 3]);
    expect(t.dataType).toBe(1);
    expect(t.name).toBe('t');
  });

  it('names enum values', () => {
    expect(enumName(DataType, 16)).toBe('BFLOAT16');
    expect(enumName(DataType, 99)).toBeUndefined();
  });

  it.each([
    ['a truncated length', new Uint8Array([0x3a, 0x05, 0x0a])],
    ['a wire type 3 (groups)', new Uint8Array([0x0b])],
    ['a varint longer than 10 bytes', new Uint8Array([0x08, ...new Array(11).fill(0xff), 0x01])],
    ['field number 0', new Uint8Array([0x00, 0x01])],
    ['a field of the wrong wire type (graph as a varint)', new Uint8Array([0x38, 0x01])],
    ['a packed run that overruns its length', new Uint8Array([0x3a, 0x06, 0x2a, 0x04, 0x0a, 0x02, 0xff, 0xff])],
    ['a truncated fixed32', new Uint8Array([0x3a, 0x07, 0x0a, 0x05, 0x2a, 0x03, 0x15, 0x00, 0x00])],
  ])('%s is an Error', (_name, bytes) => {
    expect(() => decodeModelProto(bytes)).toThrow(Error);
  });

  it('every truncation of a real model is an Error or a shorter model, never a hang', () => {
    const bytes = encode(model);
    for (let n = 0; n < bytes.length; n++) {
      try {
        decodeModelProto(bytes.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
    }
  });
});
