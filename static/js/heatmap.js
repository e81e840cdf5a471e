// Paints quantized maps from the binary frames straight into canvas pixels through a lookup table:
// one typed-array read and one uint32 write per cell, no per-frame allocation.

/** A canvas whose backing store is exactly the map's size; CSS scales it to the box it sits in. */
export class Heatmap {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.image = null;
    this.pixels = null;
  }

  ensure(width, height) {
    if (this.image && this.image.width === width && this.image.height === height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    this.image = this.ctx.createImageData(width, height);
    this.pixels = new Uint32Array(this.image.data.buffer);
  }

  /**
   * Paint `count` samples of `data` starting at `start` (row-major, row 0 on top) through `lut`.
   * @param {Uint8Array} data @param {Uint32Array} lut
   */
  paint(data, lut, width, height, start = 0) {
    this.ensure(width, height);
    const px = this.pixels;
    const n = width * height;
    for (let i = 0; i < n; i += 1) px[i] = lut[data[start + i]];
    this.ctx.putImageData(this.image, 0, 0);
  }

  /** K-class map: `lut` is K x 256 (see colors.classLut), `classes` and `conf` are (G, G) uint8. */
  paintClasses(classes, conf, lut, width, height) {
    this.ensure(width, height);
    const px = this.pixels;
    const n = width * height;
    for (let i = 0; i < n; i += 1) px[i] = lut[(classes[i] << 8) | conf[i]];
    this.ctx.putImageData(this.image, 0, 0);
  }

  /** Paint from a function of (x1, x2) over box; used for the input feature maps, which need no server. */
  paintFunction(fn, box, size, toT, lutCache) {
    this.ensure(size, size);
    const px = this.pixels;
    const [lo, hi] = box;
    for (let r = 0; r < size; r += 1) {
      const x2 = hi - ((r + 0.5) / size) * (hi - lo);
      for (let c = 0; c < size; c += 1) {
        const x1 = lo + ((c + 0.5) / size) * (hi - lo);
        const t = toT(fn(x1, x2));
        px[r * size + c] = lutCache[Math.max(0, Math.min(255, Math.round((t + 1) * 127.5)))];
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
  }
}

/**
 * Region map overlay: every region tinted with a colour picked from its id (ids are stable while training,
 * so colours do not flicker) and outlined where a cell's right or lower neighbour lies in another region.
 * Each cell is drawn as S x S pixels so that the outline is one pixel thin, not one cell.
 * @param {CanvasRenderingContext2D} ctx @param {Uint16Array} ids (G, G)
 */
export function paintRegions(ctx, ids, G, S = 3) {
  // Both sides: a fresh canvas is 300 x 150, and 100 cells x 3 px already make its width.
  const N = G * S;
  if (ctx.canvas.width !== N || ctx.canvas.height !== N) {
    ctx.canvas.width = N;
    ctx.canvas.height = N;
  }
  const image = ctx.createImageData(N, N);
  const px = new Uint32Array(image.data.buffer);
  const edge = ((220 << 24) | (40 << 16) | (30 << 8) | 30) >>> 0;
  for (let r = 0; r < G; r += 1) {
    for (let c = 0; c < G; c += 1) {
      const i = r * G + c;
      const id = ids[i];
      const tint = TINTS[(id * 7) % TINTS.length];
      const right = c + 1 < G && ids[i + 1] !== id;
      const below = r + 1 < G && ids[i + G] !== id;
      for (let y = 0; y < S; y += 1) {
        const row = (r * S + y) * N + c * S;
        for (let x = 0; x < S; x += 1) {
          px[row + x] = (right && x === S - 1) || (below && y === S - 1) ? edge : tint;
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
}

// Twelve hues at low alpha: enough to tell neighbouring regions apart without hiding the boundary colours.
// The grid map writes them as packed pixels, the polygons as CSS colours: the same twelve either way.
const HUES = Array.from({ length: 12 }, (_, k) => {
  const h = (k / 12) * 2 * Math.PI;
  return [128 + 110 * Math.cos(h), 128 + 110 * Math.cos(h - 2.094), 128 + 110 * Math.cos(h + 2.094)].map((v) => v | 0);
});
const TINTS = HUES.map(([r, g, b]) => ((32 << 24) | (b << 16) | (g << 8) | r) >>> 0);
const TINT_CSS = HUES.map(([r, g, b]) => `rgba(${r},${g},${b},${32 / 255})`);
const EDGE_CSS = `rgba(30,30,40,${220 / 255})`;

/** The overlay's tint of region `id` (as the grid map paints it). */
export const regionTint = (id) => TINT_CSS[(id * 7) % TINT_CSS.length];

/**
 * The frame's exact regions (docs/protocol.md, region_vertices ... region_edges) as one object of flat
 * arrays, or null when the frame carries none.
 */
export function framePolygons(arrays) {
  if (!arrays.region_vertices) return null;
  return {
    vertices: arrays.region_vertices.data,
    cells: arrays.region_cells.data,
    corners: arrays.region_corners.data,
    ids: arrays.region_ids.data,
    edges: arrays.region_edges.data,
  };
}

/**
 * Exact linear regions as vector paths, crisp at any size: the canvas's backing store is made its CSS size
 * times devicePixelRatio, every cell is filled with `fill(id)` and the boundaries between regions are
 * stroked one CSS pixel wide.
 * @param {HTMLCanvasElement} canvas
 * @param {{vertices: ArrayLike<number>, cells: ArrayLike<number>, corners: ArrayLike<number>,
 *   ids: ArrayLike<number>, edges: ArrayLike<number>}} poly flat arrays: vertices (x1, x2) pairs, cell f's
 *   corners at corners[cells[f] .. cells[f + 1]), ids one per cell, edges vertex pairs
 * @param {number[]} box [lo, hi] of both axes
 * @param {number} size the canvas's side in CSS pixels
 */
export function drawRegionPolygons(canvas, poly, box, size, fill = regionTint, edge = EDGE_CSS) {
  const dpr = window.devicePixelRatio || 1;
  const N = Math.round(size * dpr);
  if (canvas.width !== N || canvas.height !== N) {
    canvas.width = N;
    canvas.height = N;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, N, N);
  const [lo, hi] = box;
  const s = N / (hi - lo);
  const v = poly.vertices;
  const X = (i) => (v[2 * i] - lo) * s;
  const Y = (i) => (hi - v[2 * i + 1]) * s;
  // One path per colour: the cells of a region fill as one shape, with no faint seams along their sides.
  const paths = new Map();
  const { cells, corners, ids } = poly;
  for (let f = 0; f + 1 < cells.length; f += 1) {
    const colour = fill(ids[f]);
    let path = paths.get(colour);
    if (!path) paths.set(colour, (path = new Path2D()));
    const first = corners[cells[f]];
    path.moveTo(X(first), Y(first));
    for (let k = cells[f] + 1; k < cells[f + 1]; k += 1) path.lineTo(X(corners[k]), Y(corners[k]));
    path.closePath();
  }
  for (const [colour, path] of paths) {
    ctx.fillStyle = colour;
    ctx.fill(path);
  }
  const lines = new Path2D();
  const e = poly.edges;
  for (let k = 0; k + 1 < e.length; k += 2) {
    lines.moveTo(X(e[k]), Y(e[k]));
    lines.lineTo(X(e[k + 1]), Y(e[k + 1]));
  }
  ctx.strokeStyle = edge;
  ctx.lineWidth = dpr;
  ctx.stroke(lines);
}
