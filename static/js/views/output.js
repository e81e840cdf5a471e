// The output column: the large decision boundary with axes, train/test points, colour legend, region overlay
// and badge, the divergence state and the loss/accuracy numbers. The boundary is painted from the frame's
// quantized map through a lookup table (see heatmap.js).

import { classCss, classLut, diverging, divergingCss, divergingLut, labelRange } from "../colors.js";
import { drawRegionPolygons, framePolygons, Heatmap, paintRegions } from "../heatmap.js";
import { count, regionCount } from "../format.js";
import { formatNumber } from "./popups.js";

/** Point sets up to this size are drawn with 5.5 px points (3 px above it). */
export const SMALL_SET = 100;

// The map's side in CSS pixels comes from the stylesheet (--plot), which grows it on large screens.
const plotSize = () => document.getElementById("boundary").clientWidth || 270;
// A click this close to a point (CSS pixels, centre to centre) is on it: the dot is 3 px, a finger is not.
const HIT_PX = 8;

export class OutputView {
  /**
   * @param {{onEdit?: (edit: {at: number[], hit: number, shift: boolean}) => void}} handlers `onEdit` gets
   *   the clicks on the plot in edit mode: `at` = [x1, x2] (2 decimals), `hit` = index of the point within
   *   HIT_PX of the click (the nearest) or -1, `shift` = shift key held.
   */
  constructor({ onEdit = null } = {}) {
    this.heat = new Heatmap(document.getElementById("boundary"));
    this.regionsCtx = document.getElementById("regions").getContext("2d");
    this.pointsCanvas = document.getElementById("points");
    this.onEdit = onEdit;
    this.editPoints = null; // every point [x1, x2, label] while the plot is the editor, else null
    this.pointsCanvas.addEventListener("click", (e) => this.editClick(e));
    this.pointsCanvas.addEventListener("mousemove", (e) => {
      if (!this.editPoints) return;
      const at = this.locate(e.clientX, e.clientY);
      this.pointsCanvas.style.cursor = at && at.hit >= 0 ? "pointer" : "";
    });
    this.dataset = null;
    this.showTest = false;
    this.discrete = false;
    this.showRegions = false;
    this.output = "sigmoid";
    this.lutKey = "";
    this.lut = null;
    this.unitLut = divergingLut([-1, 1], (v) => v);
    this.unitCaption = null;
    this.axesBox = null;
    // redraw the vector layers when the stylesheet changes the map's size (window resized)
    let last = plotSize();
    new ResizeObserver(() => {
      if (plotSize() === last) return;
      last = plotSize();
      if (this.axesBox) this.drawAxes(this.axesBox);
      this.drawPoints();
      if (this.polygons) this.drawPolygons();
    }).observe(document.getElementById("boundary"));
    // and when the device pixel ratio changes (browser zoom, a window moved to another screen): the vector
    // layers are drawn at device resolution
    const watchRatio = () => {
      matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener("change", () => {
        this.drawPoints();
        if (this.polygons) this.drawPolygons();
        watchRatio();
      }, { once: true });
    };
    watchRatio();
  }

  /** What the output unit's value means for the colours: the target values of the two classes. */
  targetRange() {
    if (this.output === "tanh") return [-1, 1];
    if (this.output === "sigmoid") return [0, 1];
    const d = this.dataset;
    if (d && d.labelRange) return d.labelRange;
    return [0, 1];
  }

  /** Number of hidden layers (decides how the region bound reads). */
  setDepth(depth) {
    this.depth = depth;
  }

  setOutput(output) {
    this.output = output;
    this.lutKey = "";
    this.drawLegend();
  }

  setDataset(msg) {
    this.dataset = { ...msg, labelRange: labelRange(msg) };
    this.lutKey = "";
    this.drawAxes(msg.box);
    this.drawPoints();
    this.drawLegend();
  }

  setToggles({ test, discretize, regions }) {
    if (test !== undefined) this.showTest = test;
    if (discretize !== undefined && discretize !== this.discrete) {
      this.discrete = discretize;
      this.lutKey = "";
    }
    if (regions !== undefined) {
      this.showRegions = regions;
      document.getElementById("regions").hidden = !regions;
      if (!regions) document.getElementById("region-badge").hidden = true;
    }
    this.drawPoints();
  }

  /**
   * Edit mode (the "user" dataset): the plot turns clicks into point edits and shows every point, test
   * points included, since each can be removed. `points`: all points [x1, x2, label]; null leaves edit mode.
   */
  setEditing(points) {
    this.editPoints = points;
    document.getElementById("plot").classList.toggle("editing", Boolean(points));
    document.getElementById("edit-hint").hidden = !points;
    if (!points) this.pointsCanvas.style.cursor = "";
    this.drawPoints();
  }

  /** The data coordinates of a click (2 decimals) and the nearest point within HIT_PX; null outside the box. */
  locate(clientX, clientY) {
    const r = this.pointsCanvas.getBoundingClientRect();
    const px = clientX - r.left;
    const py = clientY - r.top;
    if (!(r.width > 0) || px < 0 || py < 0 || px > r.width || py > r.height) return null;
    const [lo, hi] = (this.dataset && this.dataset.box) || this.axesBox || [-6, 6];
    const clamp = (v) => Math.min(hi, Math.max(lo, Math.round(v * 100) / 100));
    const at = [clamp(lo + (px / r.width) * (hi - lo)), clamp(hi - (py / r.height) * (hi - lo))];
    let hit = -1;
    let best = HIT_PX;
    (this.editPoints || []).forEach(([x1, x2], i) => {
      const d = Math.hypot(((x1 - lo) / (hi - lo)) * r.width - px, ((hi - x2) / (hi - lo)) * r.height - py);
      if (d <= best) [hit, best] = [i, d];
    });
    return { at, hit };
  }

  editClick(e) {
    if (!this.editPoints || !this.onEdit) return;
    const where = this.locate(e.clientX, e.clientY);
    if (where) this.onEdit({ ...where, shift: e.shiftKey });
  }

  /** Show a hidden unit's map instead of the output (null: back to the output). */
  showUnit(caption) {
    this.unitCaption = caption;
    const el = document.getElementById("unit-caption");
    el.hidden = !caption;
    el.textContent = caption || "";
  }

  /** Paint one frame; returns the canvas that now shows the output map (for the diagram's output unit). */
  paint(header, arrays) {
    const G = header.grid;
    if (this.unitCaption && arrays.unit) {
      this.heat.paint(arrays.unit.data, this.unitLutFor(arrays.unit.range), G, G);
    } else if (arrays.classes && arrays.confidence) {
      const K = this.dataset ? this.dataset.classes : 3;
      const key = `k${K}:${arrays.confidence.range}:${this.discrete}`;
      if (key !== this.lutKey) {
        this.lut = classLut(K, arrays.confidence.range || [0, 1], this.discrete);
        this.lutKey = key;
      }
      this.heat.paintClasses(arrays.classes.data, arrays.confidence.data, this.lut, G, G);
    } else if (arrays.output) {
      const range = arrays.output.range;
      const [a, b] = this.targetRange();
      const key = `o${range}:${a}:${b}:${this.discrete}`;
      if (key !== this.lutKey) {
        this.lut = divergingLut(range, (v) => (2 * v - (a + b)) / (b - a), this.discrete);
        this.lutKey = key;
      }
      this.heat.paint(arrays.output.data, this.lut, G, G);
    }
    this.polygons = this.showRegions ? framePolygons(arrays) : null;
    if (this.polygons) {
      this.polygonBox = header.box;
      this.drawPolygons();
    } else if (this.showRegions && arrays.region_map) {
      paintRegions(this.regionsCtx, arrays.region_map.data, G);
    } else {
      // no regions in this frame (smooth units, diverged): an old overlay would claim regions that are gone
      const c = this.regionsCtx.canvas;
      this.regionsCtx.setTransform(1, 0, 0, 1, 0, 0);
      this.regionsCtx.clearRect(0, 0, c.width, c.height);
    }
    this.drawBadge(header.regions, header.regions_drawn);
    this.drawMetrics(header);
    if (header.box && (!this.axesBox || this.axesBox[0] !== header.box[0] || this.axesBox[1] !== header.box[1])) {
      this.drawAxes(header.box);
    }
    return this.heat.canvas;
  }

  /** The exact regions of the last frame, at the plot's current size. */
  drawPolygons() {
    drawRegionPolygons(this.regionsCtx.canvas, this.polygons, this.polygonBox, plotSize());
  }

  /** A unit map comes with its own [min, max]: scale by the larger magnitude so zero stays neutral. */
  unitLutFor(range) {
    if (!range) return this.unitLut;
    const key = `u${range}`;
    if (key !== this.unitLutKey) {
      const m = Math.max(Math.abs(range[0]), Math.abs(range[1])) || 1;
      this.unitLutCached = divergingLut(range, (v) => v / m);
      this.unitLutKey = key;
    }
    return this.unitLutCached;
  }

  drawBadge(regions, drawn) {
    const el = document.getElementById("region-badge");
    if (!this.showRegions || !regions) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    if (regions.count === null || regions.count === undefined) {
      el.textContent = regions.note || "not piecewise linear";
      return;
    }
    // "max" is the ceiling no network of this shape exceeds (regions.upper). For deep rectifier nets the
    // tooltip adds Montufar et al.'s number, what the best such net is known to reach.
    const known = (v) => v !== null && v !== undefined;
    const bound = known(regions.upper) ? ` (max ${count(regions.upper)})` : "";
    const plural = regions.count === 1 && regions.exact !== false ? "" : "s";
    el.textContent = `${regionCount(regions)} linear region${plural}${bound}`;
    const reach = known(regions.bound) && this.depth > 1
      ? `The best network of this shape is known to reach at least ${count(regions.bound)} (Montufar et al. 2014). ` : "";
    const how = drawn === "polygons" ? "Drawn as exact polygons." : drawn ? `Drawn as a ${drawn}.` : "";
    el.title = [reach + (regions.note || ""), how].filter(Boolean).join(" ");
  }

  drawMetrics(h) {
    document.getElementById("train-loss").textContent = fmtLoss(h.train_loss);
    document.getElementById("test-loss").textContent = fmtLoss(h.test_loss);
    const acc = document.getElementById("accuracy");
    if (h.train_accuracy === null || h.train_accuracy === undefined) {
      acc.textContent = "\u2013 (regression)";
    } else {
      // a tie at the decision threshold is neither right nor wrong: say how many points are undecided
      const ties = [h.train_undecided, h.test_undecided].filter((n) => n > 0).length
        ? ` \u00b7 undecided: ${h.train_undecided || 0}${h.test_undecided == null ? "" : ` / ${h.test_undecided}`}` : "";
      acc.textContent = `${pct(h.train_accuracy)} train / ${pct(h.test_accuracy)} test${ties}`;
    }
  }

  drawAxes(box) {
    this.axesBox = box;
    const PLOT = plotSize();
    const svg = document.getElementById("axes");
    const [lo, hi] = box;
    const X = (v) => 28 + ((v - lo) / (hi - lo)) * PLOT;
    const Y = (v) => 4 + ((hi - v) / (hi - lo)) * PLOT;
    const step = niceStep(hi - lo);
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) ticks.push(+v.toFixed(6));
    let out = `<line x1="28" y1="${4 + PLOT}" x2="${28 + PLOT}" y2="${4 + PLOT}"/><line x1="28" y1="4" x2="28" y2="${4 + PLOT}"/>`;
    for (const v of ticks) {
      out += `<line x1="${X(v)}" y1="${4 + PLOT}" x2="${X(v)}" y2="${8 + PLOT}"/><text x="${X(v)}" y="${19 + PLOT}" text-anchor="middle">${v}</text>`;
      out += `<line x1="24" y1="${Y(v)}" x2="28" y2="${Y(v)}"/><text x="21" y="${Y(v) + 3}" text-anchor="end">${v}</text>`;
    }
    out += `<text x="${28 + PLOT}" y="${29 + PLOT}" text-anchor="end">x\u2081</text>`;
    svg.innerHTML = out;
  }

  /** Train points (white outline) and, when shown, test points (dark outline), at device resolution. */
  drawPoints() {
    const c = this.pointsCanvas;
    const PLOT = plotSize();
    const dpr = window.devicePixelRatio || 1;
    c.width = PLOT * dpr;
    c.height = PLOT * dpr;
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, PLOT, PLOT);
    const d = this.dataset;
    if (!d) return;
    const [lo, hi] = d.box;
    const X = (v) => ((v - lo) / (hi - lo)) * PLOT;
    const Y = (v) => ((hi - v) / (hi - lo)) * PLOT;
    const [a, b] = d.labelRange;
    const fill = (label) => {
      if (d.regression) return divergingCss((2 * label - (a + b)) / (b - a));
      if (d.classes > 2) return classCss(label);
      // class 1 is blue even when no point of class 0 is left (the label range is then [0, 2])
      return label >= 1 ? divergingCss(1) : divergingCss(-1);
    };
    // small sets (xor4, a few clicked points) are read from the back row: big points; many points stay small
    // so that they do not hide the map
    const radius = d.train.length + d.test.length <= SMALL_SET ? 5.5 : 3;
    const draw = (pts, stroke) => {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = radius > 3 ? 1.5 : 1;
      for (const [x1, x2, label] of pts) {
        ctx.beginPath();
        ctx.arc(X(x1), Y(x2), radius, 0, 2 * Math.PI);
        ctx.fillStyle = fill(label);
        ctx.fill();
        ctx.stroke();
      }
    };
    draw(d.train, "#ffffff");
    if (this.showTest || this.editPoints) draw(d.test, "#222222");
  }

  drawLegend() {
    const el = document.getElementById("legend");
    const d = this.dataset;
    if (d && d.classes > 2 && !d.regression) {
      el.innerHTML = Array.from({ length: d.classes }, (_, k) => `<span class="swatch" style="background:${classCss(k)}"></span>${k}`)
        .join(" ");
      el.innerHTML = `<span>class</span> ${el.innerHTML}`;
      el.title = "Colour: the most probable class; paler where the network is less confident";
      return;
    }
    const [a, b] = this.targetRange();
    const stops = [-1, -0.5, 0, 0.5, 1].map((t) => {
      const [r, g, bl] = diverging(t);
      return `rgb(${r | 0},${g | 0},${bl | 0})`;
    });
    el.innerHTML = `<span>${formatNumber(a)}</span><span class="bar" style="background:linear-gradient(90deg,${stops.join(",")})"></span><span>${formatNumber(b)}</span>`;
    el.title = d && d.regression ? "Colour: predicted value" : "Colour: output value; orange and blue are the two classes";
  }

  /** The divergence state: a clear message with the way out, or nothing. */
  setDiverged(message) {
    const el = document.getElementById("diverged");
    el.hidden = !message;
    document.getElementById("diverged-text").textContent = message || "";
  }
}

function fmtLoss(v) {
  if (v === null || v === undefined) return "\u2013";
  if (!Number.isFinite(v)) return String(v);
  return v.toFixed(3);
}

const pct = (v) => (v === null || v === undefined ? "\u2013" : `${(100 * v).toFixed(1)}%`);

function niceStep(span) {
  const raw = span / 6;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

