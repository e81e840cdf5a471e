// Decoder for the binary training frames of docs/protocol.md ("Frames (binary)").
// Layout: uint32 LE header length N, N bytes of UTF-8 JSON (space-padded so that 4 + N is a multiple of 8),
// then typed arrays at the byte offsets the header lists. The arrays are views on the message buffer, so
// decoding copies nothing; offsets are 8-aligned by the server, which typed-array views require.

const DTYPES = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const utf8 = new TextDecoder("utf-8");

export class FrameError extends Error {}

/**
 * Decode one binary frame.
 * @param {ArrayBuffer} buffer the whole WebSocket message
 * @param {object|null} last the arrays of the frame before on this socket: those the header's `same` names
 * @returns {{header: object, arrays: Object<string, {data: ArrayBufferView, shape: number[], range: number[]|null}>}}
 */
export function decodeFrame(buffer, last = null) {
  if (!(buffer instanceof ArrayBuffer)) throw new FrameError("frame is not an ArrayBuffer");
  if (buffer.byteLength < 4) throw new FrameError(`frame too short (${buffer.byteLength} bytes)`);
  const n = new DataView(buffer).getUint32(0, true);
  if (4 + n > buffer.byteLength) {
    throw new FrameError(`header length ${n} exceeds frame size ${buffer.byteLength}`);
  }
  let header;
  try {
    header = JSON.parse(utf8.decode(new Uint8Array(buffer, 4, n)));
  } catch (err) {
    throw new FrameError(`frame header is not JSON: ${err.message}`);
  }
  const arrays = {};
  // arrays the server did not send again: the same bytes as in the frame before (hello.same)
  for (const name of header.same || []) {
    if (!last || !last[name]) throw new FrameError(`array ${name}: "same" as a frame before, but none had it`);
    arrays[name] = last[name];
  }
  for (const entry of header.arrays || []) {
    const Type = DTYPES[entry.dtype];
    if (!Type) throw new FrameError(`array ${entry.name}: unknown dtype ${entry.dtype}`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const end = entry.offset + count * Type.BYTES_PER_ELEMENT;
    if (entry.offset % Type.BYTES_PER_ELEMENT !== 0 || end > buffer.byteLength) {
      throw new FrameError(`array ${entry.name}: offset ${entry.offset} and shape do not fit the frame`);
    }
    arrays[entry.name] = {
      data: new Type(buffer, entry.offset, count),
      shape: entry.shape,
      range: entry.range || null,
    };
  }
  // A binary-params frame (hello.params "binary"): the lists every reader of the header uses, from the arrays
  if (header.param_layout) Object.assign(header, unpackParams(header.param_layout, arrays.params, "params"));
  const b = header.compare;
  if (b && b.param_layout) Object.assign(b, unpackParams(b.param_layout, arrays.compare_params, "compare_params"));
  return { header, arrays };
}

/**
 * The `weights`, `biases` and `unit_params` lists of the JSON form (docs/protocol.md, "Parameters as one
 * array") from a frame's `param_layout` and its float32 array; NaN and infinities become null, as in JSON.
 * @param {Array<{weights: number[], biases: number[], unit_params: Object<string, number[]>}>} layout
 * @param {{data: Float32Array}|undefined} array
 * @param {string} name the array's name, for the error
 * @returns {{weights: number[][][], biases: number[][], unit_params: Object<string, number[]>[]}}
 */
export function unpackParams(layout, array, name) {
  if (!array || !(array.data instanceof Float32Array)) throw new FrameError(`param_layout without a float32 ${name} array`);
  const v = array.data;
  const slice = (offset, count) => {
    if (!(offset >= 0 && count >= 0 && offset + count <= v.length)) {
      throw new FrameError(`param_layout: [${offset}, ${count}] is outside ${name} (${v.length} values)`);
    }
    const out = new Array(count);
    for (let i = 0; i < count; i += 1) {
      const x = v[offset + i];
      out[i] = Number.isFinite(x) ? x : null;
    }
    return out;
  };
  const weights = [];
  const biases = [];
  const unitParams = [];
  for (const layer of layout) {
    const [offset, rows, cols] = layer.weights;
    const W = slice(offset, rows * cols); // checks the whole block once, then cuts it into rows
    weights.push(Array.from({ length: rows }, (_, i) => W.slice(i * cols, (i + 1) * cols)));
    biases.push(slice(...layer.biases));
    const own = {};
    for (const [key, at] of Object.entries(layer.unit_params || {})) own[key] = slice(...at);
    unitParams.push(own);
  }
  return { weights, biases, unit_params: unitParams };
}

/**
 * Build a frame in the wire layout (used by the in-browser decoder check and by tests).
 * @param {object} header JSON header without `arrays`
 * @param {Array<{name: string, dtype: string, shape: number[], range?: number[], data: ArrayLike<number>}>} list
 * @returns {ArrayBuffer}
 */
export function encodeFrame(header, list) {
  const enc = new TextEncoder();
  const size = (a) => a.shape.reduce((x, y) => x * y, 1) * DTYPES[a.dtype].BYTES_PER_ELEMENT;
  // The header holds the offsets and the offsets depend on the header's length: iterate to a fixed point.
  let headerLen = 4; // 4 + 4 is a multiple of 8, like every length tried
  for (;;) {
    let offset = 4 + headerLen;
    const entries = list.map((a) => {
      offset = Math.ceil(offset / 8) * 8;
      const e = { name: a.name, dtype: a.dtype, shape: a.shape, offset, range: a.range || null };
      offset += size(a);
      return e;
    });
    const json = enc.encode(JSON.stringify({ ...header, arrays: entries }));
    const padded = json.length + ((8 - ((4 + json.length) % 8)) % 8);
    if (padded > headerLen) {
      headerLen = padded; // longer offsets may lengthen the header again: go round once more
      continue;
    }
    const buffer = new ArrayBuffer(Math.max(offset, 4 + headerLen));
    new DataView(buffer).setUint32(0, headerLen, true);
    const head = new Uint8Array(buffer, 4, headerLen);
    head.fill(0x20);
    head.set(json);
    list.forEach((a, i) => new DTYPES[a.dtype](buffer, entries[i].offset, a.data.length).set(a.data));
    return buffer;
  }
}

/** Value of quantized sample q for an array with range [lo, hi] (protocol: lo + q / 255 * (hi - lo)). */
export function dequantize(q, range) {
  return range[0] + (q / 255) * (range[1] - range[0]);
}
