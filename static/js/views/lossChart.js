// The loss curves (train and test against the step) in Plotly, served locally. Points arrive with every frame
// but Plotly redraws at most a few times a second: a redraw costs far more than a frame paint.

import { loadPlotly } from "../plotly.js";

const REDRAW_MS = 500;
const MAX_POINTS = 600;
const TICK_FONT = 9; // px
const MARGIN = { l: 34, r: 8, t: 8, b: 18 };

export class LossChart {
  constructor(el) {
    this.el = el;
    this.steps = [];
    this.train = [];
    this.test = [];
    this.dirty = false;
    this.last = 0;
    this.ready = false;
    this.log = false;
    this.redrawMs = []; // cost of each chart redraw, for the measurements of the e2e run
    // the page works on without the chart if Plotly cannot load
    loadPlotly().then((Plotly) => this.init(Plotly), () => {});
  }

  init(Plotly) {
    const line = (name, color, dash) => ({ x: [], y: [], name, mode: "lines", line: { color, width: 2, dash }, hoverinfo: "x+y+name" });
    Plotly.newPlot(
      this.el,
      [line("train", "#0877bd", "solid"), line("test", "#2b2b2b", "dot")],
      {
        margin: MARGIN,
        showlegend: false, // the loss numbers above the chart carry the line styles as their key
        xaxis: { tickfont: { size: 9 }, zeroline: false, rangemode: "tozero" },
        yaxis: { tickfont: { size: TICK_FONT }, rangemode: "tozero", nticks: this.yTicks() },
        paper_bgcolor: "rgba(0,0,0,0)",
        plot_bgcolor: "#fff",
      },
      { displayModeBar: false, staticPlot: false, responsive: true },
    );
    this.ready = true;
  }

  /**
   * At most as many y ticks as fit with a free line between labels: Plotly's own choice crowds five labels
   * into the embed's 50 px plot area. Plotly takes `nticks` as a ceiling and picks round values below it.
   */
  yTicks() {
    const plotHeight = (this.el.clientHeight || 80) - MARGIN.t - MARGIN.b;
    return Math.max(2, Math.floor(plotHeight / (3 * TICK_FONT)) + 1);
  }

  /** Add one frame's losses; a step below the last one means the session was reset. */
  add(step, train, test) {
    if (this.steps.length && step < this.steps[this.steps.length - 1]) this.clear();
    if (this.steps.length && step === this.steps[this.steps.length - 1]) {
      this.train[this.train.length - 1] = finite(train);
      this.test[this.test.length - 1] = finite(test);
    } else {
      this.steps.push(step);
      this.train.push(finite(train));
      this.test.push(finite(test));
    }
    if (this.steps.length > MAX_POINTS) this.decimate();
    this.dirty = true;
  }

  // Keep the whole run visible with bounded cost: drop every other point of the older half.
  decimate() {
    const keep = (arr) => arr.filter((_, i) => i % 2 === 0 || i >= arr.length / 2);
    this.steps = keep(this.steps);
    this.train = keep(this.train);
    this.test = keep(this.test);
  }

  clear() {
    this.steps = [];
    this.train = [];
    this.test = [];
    this.dirty = true;
  }

  /** Called from the animation loop; redraws when there is news and enough time has passed. */
  tick(now) {
    if (!this.ready || !this.dirty || now - this.last < REDRAW_MS) return;
    this.last = now;
    this.dirty = false;
    const t0 = performance.now();
    window.Plotly.restyle(this.el, { x: [this.steps, this.steps], y: [this.train, this.test] }, [0, 1]);
    // A run that blows up would flatten the whole curve against zero: switch to a log axis while it does.
    const values = this.train.concat(this.test).filter((v) => v !== null && v > 0);
    const log = values.length > 1 && Math.max(...values) > 1000 * Math.min(...values);
    const nticks = this.yTicks(); // the box may have changed size (a window resize, the embed's layout)
    if (log !== this.log || nticks !== this.el.layout.yaxis.nticks) {
      this.log = log;
      window.Plotly.relayout(this.el, { "yaxis.type": log ? "log" : "linear", "yaxis.rangemode": log ? "normal" : "tozero",
        "yaxis.nticks": nticks });
    }
    this.redrawMs.push(performance.now() - t0);
    if (this.redrawMs.length > 100) this.redrawMs.shift();
  }
}

const finite = (v) => (v === null || v === undefined || !Number.isFinite(v) ? null : v);
