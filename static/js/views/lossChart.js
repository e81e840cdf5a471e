// The loss curves (train and test against the step) in Plotly, served locally. Points arrive with every frame
// but Plotly redraws at most a few times a second: a redraw costs far more than a frame paint. While network B
// of a comparison trains beside A, its curves share the chart: A's as always (solid train, dotted test), B's
// dashed in B's colour, named by a legend above the chart ("A", "B: ReLU instead of tanh").

import { loadPlotly } from "../plotly.js";

const REDRAW_MS = 500;
const MAX_POINTS = 600;
const TICK_FONT = 9; // px
const MARGIN = { l: 34, r: 8, t: 8, b: 18 };
export const B_COLOR = "#8e44ad"; // network B's curves and its key in the legend

export class LossChart {
  constructor(el) {
    this.el = el;
    this.steps = [];
    this.train = [];
    this.test = [];
    this.bTrain = []; // network B's losses at the same steps (null where a frame had no B)
    this.bTest = [];
    this.dirty = false;
    this.last = 0;
    this.ready = false;
    this.log = false;
    this.redrawMs = []; // cost of each chart redraw, for the measurements of the e2e run
    this.cursor = null; // the kept step the session was rewound to (a line on the chart), or null
    this.cursorDrawn = null;
    this.legend = document.createElement("div");
    this.legend.className = "chart-legend";
    this.legend.id = "chart-legend";
    this.legend.hidden = true;
    el.insertAdjacentElement("beforebegin", this.legend);
    // the page works on without the chart if Plotly cannot load
    loadPlotly().then((Plotly) => this.init(Plotly), () => {});
  }

  init(Plotly) {
    const line = (name, color, dash) => ({ x: [], y: [], name, mode: "lines", line: { color, width: 2, dash }, hoverinfo: "x+y+name" });
    Plotly.newPlot(
      this.el,
      [line("train", "#0877bd", "solid"), line("test", "#2b2b2b", "dot"),
        line("B train", B_COLOR, "dash"), { ...line("B test", B_COLOR, "dot"), opacity: 0.6 }],
      {
        margin: MARGIN,
        showlegend: false, // the loss numbers above the chart carry the line styles as their key
        xaxis: { tickfont: { size: 9 }, zeroline: false, rangemode: "tozero" },
        dragmode: false, // a drag on the chart rewinds (views/rewind.js), it never zooms
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

  /**
   * Add one frame's losses; a step below the last one means the session was reset. After a rewind
   * (`rewindTo`) the whole curve stays while frames show the rewound step; a later step means training went
   * on from there, so the old future goes; an earlier one is a reset.
   */
  add(step, train, test, b = null) {
    if (this.cursor !== null) {
      if (step === this.cursor) return;
      if (step > this.cursor) this.cut(this.cursor);
      this.cursor = null;
      this.dirty = true;
    }
    if (this.steps.length && step < this.steps[this.steps.length - 1]) this.clear();
    const bTrain = b ? finite(b.train_loss) : null;
    const bTest = b ? finite(b.test_loss) : null;
    if (this.steps.length && step === this.steps[this.steps.length - 1]) {
      const i = this.steps.length - 1;
      [this.train[i], this.test[i], this.bTrain[i], this.bTest[i]] = [finite(train), finite(test), bTrain, bTest];
    } else {
      this.steps.push(step);
      this.train.push(finite(train));
      this.test.push(finite(test));
      this.bTrain.push(bTrain);
      this.bTest.push(bTest);
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
    this.bTrain = keep(this.bTrain);
    this.bTest = keep(this.bTest);
  }

  /**
   * Name network B in the legend (its difference, "B: ReLU instead of tanh"), or null: no comparison. A
   * comparison turned on or off rebuilds both networks (step 0), so the curves start again either way.
   */
  setCompare(label) {
    this.legend.hidden = !label;
    if (!label) return;
    const key = (cls, text) => {
      const item = document.createElement("span");
      const line = document.createElement("span");
      line.className = `line ${cls}`;
      line.setAttribute("aria-hidden", "true");
      item.append(line, text);
      return item;
    };
    this.legend.replaceChildren(key("a", "A"), key("b", label));
    this.legend.title = `${label}. Solid and dotted: A's training and test loss; dashed and dotted in purple: B's.`;
  }

  /** The session now shows kept step `step`: mark it, keep the curve. */
  rewindTo(step) {
    this.cursor = step;
    this.dirty = true;
  }

  /** The last step the chart has (the end of the run), 0 before any. */
  get lastStep() {
    return this.steps.length ? this.steps[this.steps.length - 1] : 0;
  }

  /** Drop the points after `step`. */
  cut(step) {
    let n = this.steps.length;
    while (n > 0 && this.steps[n - 1] > step) n -= 1;
    this.steps.length = n;
    this.train.length = n;
    this.test.length = n;
    this.bTrain.length = n;
    this.bTest.length = n;
  }

  clear() {
    this.steps = [];
    this.train = [];
    this.test = [];
    this.bTrain = [];
    this.bTest = [];
    this.dirty = true;
  }

  /** Called from the animation loop; redraws when there is news and enough time has passed. */
  tick(now) {
    if (!this.ready || !this.dirty || now - this.last < REDRAW_MS) return;
    this.last = now;
    this.dirty = false;
    const t0 = performance.now();
    const s = this.steps;
    // A B that blows up would squash A's curves against the axis: B's points far above A's are left out (a
    // gap in B's curve; B's panel says that it diverged)
    const aValues = this.train.concat(this.test).filter((v) => v !== null);
    const ceiling = Math.max(10, 10 * Math.max(0, ...aValues));
    const clip = (arr) => arr.map((v) => (v !== null && v > ceiling ? null : v));
    const [bTrain, bTest] = [clip(this.bTrain), clip(this.bTest)];
    window.Plotly.restyle(this.el, { x: [s, s, s, s], y: [this.train, this.test, bTrain, bTest] }, [0, 1, 2, 3]);
    // the line marks a rewound step; at the end of the run it would mark nothing
    const cursor = this.cursor !== null && this.cursor < this.lastStep ? this.cursor : null;
    if (cursor !== this.cursorDrawn) {
      this.cursorDrawn = cursor;
      const line = { type: "line", xref: "x", yref: "paper", x0: cursor, x1: cursor, y0: 0, y1: 1,
        line: { color: "#c0392b", width: 2 } };
      window.Plotly.relayout(this.el, { shapes: cursor === null ? [] : [line] });
    }
    // A run that blows up would flatten the whole curve against zero: switch to a log axis while it does.
    const values = aValues.concat(bTrain, bTest).filter((v) => v !== null && v > 0);
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
