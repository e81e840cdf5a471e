// Colour scales shared by every view. Values are mapped to t in [-1, 1]: negative is orange, zero is a
// light grey, positive is blue (the convention TensorFlow Playground users already read without a legend).

export const NEGATIVE = [245, 147, 34];
export const NEUTRAL = [232, 234, 235];
export const POSITIVE = [8, 119, 189];

// K-class palette (K <= 6): distinguishable hues that also separate in grey-scale print.
export const CLASS_COLORS = [
  [245, 147, 34],
  [8, 119, 189],
  [46, 160, 67],
  [204, 51, 99],
  [130, 90, 200],
  [120, 120, 120],
];

const lerp = (a, b, t) => a + (b - a) * t;

/** RGB triple for t in [-1, 1] (clamped). */
export function diverging(t) {
  const c = Math.max(-1, Math.min(1, t));
  const end = c < 0 ? NEGATIVE : POSITIVE;
  const u = Math.abs(c);
  return [lerp(NEUTRAL[0], end[0], u), lerp(NEUTRAL[1], end[1], u), lerp(NEUTRAL[2], end[2], u)];
}

/** CSS colour string for t in [-1, 1]. */
export function divergingCss(t) {
  const [r, g, b] = diverging(t);
  return `rgb(${r | 0},${g | 0},${b | 0})`;
}

/**
 * The range a data set's labels or targets are coloured over (a single value gets a unit either side).
 * @param {{train: number[][], test: number[][]}} msg the dataset message @returns {[number, number]}
 */
export function labelRange(msg) {
  const labels = msg.train.concat(msg.test).map((p) => p[2]);
  const lo = Math.min(...labels);
  const hi = Math.max(...labels);
  return hi > lo ? [lo, hi] : [lo - 1, hi + 1];
}

export function classCss(k) {
  const [r, g, b] = CLASS_COLORS[k % CLASS_COLORS.length];
  return `rgb(${r},${g},${b})`;
}

// Pixels are written as one uint32 each; canvas ImageData is RGBA in memory, so little-endian ABGR.
const pack = (r, g, b, a = 255) => ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;

/**
 * 256-entry lookup table from a quantized sample q to a packed pixel.
 * @param {number[]} range the array's [lo, hi]
 * @param {(v: number) => number} toT maps a value to t in [-1, 1]
 * @param {boolean} discrete snap t to -1 / +1 (the "discretize output" toggle)
 */
export function divergingLut(range, toT, discrete = false) {
  const lut = new Uint32Array(256);
  for (let q = 0; q < 256; q += 1) {
    const v = range[0] + (q / 255) * (range[1] - range[0]);
    let t = toT(v);
    if (discrete) t = t < 0 ? -1 : 1;
    const [r, g, b] = diverging(t);
    lut[q] = pack(r, g, b);
  }
  return lut;
}

/**
 * K x 256 lookup table for K-class maps: hue from the class, lightness from the confidence. A confidence of
 * 1/K (a coin toss) is drawn neutral, 1 is the full class colour.
 */
export function classLut(K, confRange, discrete = false) {
  const lut = new Uint32Array(K * 256);
  const floor = 1 / K;
  for (let k = 0; k < K; k += 1) {
    const c = CLASS_COLORS[k % CLASS_COLORS.length];
    for (let q = 0; q < 256; q += 1) {
      const p = confRange[0] + (q / 255) * (confRange[1] - confRange[0]);
      let u = Math.max(0, Math.min(1, (p - floor) / (1 - floor)));
      u = discrete ? 1 : 0.15 + 0.85 * u;
      lut[k * 256 + q] = pack(lerp(NEUTRAL[0], c[0], u), lerp(NEUTRAL[1], c[1], u), lerp(NEUTRAL[2], c[2], u));
    }
  }
  return lut;
}
