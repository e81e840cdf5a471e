// Network B of a comparison (issue 12, compare): trained in lockstep beside A on the same data, batches and
// seed, it is drawn in its own panel under A's diagram. B's decision map (the colours and box of A's, the
// training points on it), B's compact diagram (its weights as links: width |w|, colour the sign, as A's), the
// difference in words ("B: ReLU instead of tanh") and B's loss and accuracy. The frame header's `compare` key
// and its `compare_*` arrays carry everything (docs/protocol.md); this view alone touches the panel's DOM.

import { classCss, classLut, divergingCss, divergingLut, labelRange } from "../colors.js";
import { Heatmap } from "../heatmap.js";
import { grouped, percent } from "../format.js";

const $ = (id) => document.getElementById(id);
const SMALL_SET = 100; // as output.js: small point sets are drawn with bigger points

export class CompareView {
  /** `onChange()` opens the form that chooses what B changes; `onStop()` ends the comparison. */
  constructor({ onChange, onStop }) {
    this.panel = $("compare");
    this.heat = new Heatmap($("compare-boundary"));
    this.pointsCanvas = $("compare-points");
    this.netCanvas = $("compare-net");
    this.on = false;
    this.info = null; // the last frame's `compare` header
    this.dataset = null;
    this.showTest = false;
    this.discrete = false;
    this.lutKey = "";
    this.lut = null;
    this.output = "sigmoid"; // B's output unit (what its map's values mean)
    this.netKey = "";
    $("compare-change").addEventListener("click", (e) => onChange(e.currentTarget));
    $("compare-stop").addEventListener("click", () => onStop());
    new ResizeObserver(() => {
      this.drawPoints();
      this.netKey = "";
      if (this.info) this.drawNetwork(this.info);
    }).observe(this.panel);
  }

  /**
   * The session's config: the panel is shown while `config.compare` is an object. B's output is A's unless
   * the comparison changes it.
   */
  setConfig(config) {
    const on = Boolean(config.compare) && typeof config.compare === "object";
    if (on !== this.on) {
      this.on = on;
      this.panel.hidden = !on;
      document.body.classList.toggle("has-compare", on);
      if (!on) this.clear();
    }
    const output = on && config.compare.output ? config.compare.output : config.output;
    if (output !== this.output) {
      this.output = output;
      this.lutKey = "";
    }
  }

  /** Nothing of a B that is gone stays to greet the next comparison before its first frame. */
  clear() {
    this.info = null;
    this.netKey = "";
    const ctx = this.heat.ctx;
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    this.netCanvas.getContext("2d").clearRect(0, 0, this.netCanvas.width, this.netCanvas.height);
    for (const id of ["compare-label", "compare-train-loss", "compare-test-loss", "compare-accuracy"]) $(id).textContent = "";
    $("compare-diverged").hidden = true;
  }

  /** The dataset message: B trains on the same points, drawn on its map as on A's. */
  setDataset(msg) {
    this.dataset = { ...msg, labelRange: labelRange(msg) };
    this.lutKey = "";
    this.drawPoints();
  }

  setToggles({ test, discretize }) {
    if (test !== undefined) this.showTest = test;
    if (discretize !== undefined && discretize !== this.discrete) {
      this.discrete = discretize;
      this.lutKey = "";
    }
    this.drawPoints();
  }

  /** What B's output value means for the colours, as for A: the target values of the two classes. */
  targetRange() {
    if (this.output === "tanh") return [-1, 1];
    if (this.output === "sigmoid") return [0, 1];
    return this.dataset ? this.dataset.labelRange : [0, 1];
  }

  /** Paint B from one frame (nothing when the frame has no network B). */
  paint(header, arrays) {
    const info = header.compare;
    if (!this.on || !info) return;
    this.info = info;
    const G = header.grid;
    if (arrays.compare_classes && arrays.compare_confidence) {
      const K = this.dataset ? this.dataset.classes : 3;
      const range = arrays.compare_confidence.range || [0, 1];
      const key = `k${K}:${range}:${this.discrete}`;
      if (key !== this.lutKey) [this.lut, this.lutKey] = [classLut(K, range, this.discrete), key];
      this.heat.paintClasses(arrays.compare_classes.data, arrays.compare_confidence.data, this.lut, G, G);
    } else if (arrays.compare_output) {
      const range = arrays.compare_output.range;
      const [a, b] = this.targetRange();
      const key = `o${range}:${a}:${b}:${this.discrete}`;
      if (key !== this.lutKey) {
        [this.lut, this.lutKey] = [divergingLut(range, (v) => (2 * v - (a + b)) / (b - a), this.discrete), key];
      }
      this.heat.paint(arrays.compare_output.data, this.lut, G, G);
    }
    $("compare-label").textContent = info.label || "";
    this.drawMetrics(info);
    this.drawNetwork(info);
    const diverged = info.state === "diverged";
    $("compare-diverged").hidden = !diverged;
    $("compare-diverged").textContent = diverged
      ? `B diverged by step ${grouped(info.step)} (its loss became NaN or infinite) and stopped; A trains on.` : "";
  }

  drawMetrics(info) {
    const m = info.metrics || {};
    // three decimals always, as A's numbers above the chart: the two columns of figures read alike
    const loss = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "\u2013" : v.toFixed(3));
    $("compare-train-loss").textContent = loss(m.train_loss);
    $("compare-test-loss").textContent = loss(m.test_loss);
    $("compare-accuracy").textContent = m.train_accuracy === null || m.train_accuracy === undefined
      ? "\u2013 (regression)" : `${percent(m.train_accuracy)} train / ${percent(m.test_accuracy)} test`;
  }

  /** The training points (and test points when A shows them) on B's map, at device resolution. */
  drawPoints() {
    const c = this.pointsCanvas;
    const size = c.clientWidth;
    const d = this.dataset;
    if (!size || !d) return;
    const ctx = cleared(c, size, size);
    const [lo, hi] = d.box;
    const [a, b] = d.labelRange;
    const fill = (label) => {
      if (d.regression) return divergingCss((2 * label - (a + b)) / (b - a));
      if (d.classes > 2) return classCss(label);
      return label >= 1 ? divergingCss(1) : divergingCss(-1);
    };
    // the map is smaller than A's: points a little smaller too, never below 2.5 px
    const radius = (d.train.length + d.test.length <= SMALL_SET ? 5 : 2.5) * Math.min(1, Math.max(0.85, size / 270));
    const draw = (pts, stroke) => {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 1;
      for (const [x1, x2, label] of pts) {
        ctx.beginPath();
        ctx.arc(((x1 - lo) / (hi - lo)) * size, ((hi - x2) / (hi - lo)) * size, radius, 0, 2 * Math.PI);
        ctx.fillStyle = fill(label);
        ctx.fill();
        ctx.stroke();
      }
    };
    draw(d.train, "#ffffff");
    if (this.showTest) draw(d.test, "#222222");
  }

  /**
   * B's compact diagram: one column per layer (inputs, hidden layers, output), every weight a link whose width
   * grows with |w| and whose colour is its sign (blue positive, orange negative), as in A's diagram.
   */
  drawNetwork(info) {
    const c = this.netCanvas;
    const w = c.clientWidth;
    const h = c.clientHeight;
    const sizes = info.sizes || [];
    if (!w || !h || sizes.length < 2) return;
    const key = JSON.stringify([w, h, sizes, info.weights]);
    if (key === this.netKey) return;
    this.netKey = key;
    const ctx = cleared(c, w, h);
    const pos = nodePositions(sizes, w, h - 14);
    (info.weights || []).forEach((W, l) => {
      W.forEach((row, i) => row.forEach((v, j) => {
        if (v === null || !Number.isFinite(v)) return;
        const [x0, y0] = pos[l][i];
        const [x1, y1] = pos[l + 1][j];
        const a = Math.min(5, Math.abs(v)) / 5; // 0 .. 1 over |w| in 0 .. 5
        ctx.strokeStyle = divergingCss(Math.sign(v) * Math.min(1, 0.25 + 2 * a));
        ctx.lineWidth = 0.5 + 2.5 * a;
        ctx.beginPath();
        ctx.moveTo(x0, y0);
        ctx.lineTo(x1, y1);
        ctx.stroke();
      }));
    });
    const r = Math.max(2, Math.min(6, (h - 14) / (2.6 * Math.max(...sizes))));
    ctx.fillStyle = "#ffffff";
    ctx.strokeStyle = "#5f6368";
    ctx.lineWidth = 1;
    for (const column of pos) {
      for (const [x, y] of column) {
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    }
    ctx.fillStyle = "#4a4a4a";
    ctx.font = "11px Helvetica, Arial, sans-serif";
    ctx.textAlign = "center";
    sizes.forEach((n, l) => ctx.fillText(String(n), pos[l][0][0], h - 2));
    c.setAttribute("aria-label", `Network B's diagram: layers of ${sizes.join(", ")} units`);
  }
}

/**
 * Where the diagram draws each unit: columns spread over the width, units centred in each column.
 * @returns {number[][][]} per layer, per unit, [x, y] in CSS pixels
 */
export function nodePositions(sizes, width, height) {
  const pad = 10;
  const dx = sizes.length > 1 ? (width - 2 * pad) / (sizes.length - 1) : 0;
  const most = Math.max(...sizes);
  const dy = Math.min(28, (height - 2 * pad) / Math.max(1, most - 1));
  return sizes.map((n, l) => Array.from({ length: n }, (_, j) => [pad + l * dx, height / 2 + (j - (n - 1) / 2) * dy]));
}

/** A canvas sized to w x h CSS pixels at the screen's pixel ratio, cleared, its context drawing in CSS pixels. */
function cleared(c, w, h) {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(w * dpr);
  c.height = Math.round(h * dpr);
  const ctx = c.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}
