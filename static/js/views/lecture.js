// The lecture scenes' panels (issue 5): the numbers the server's `lecture` message sends for the scene's
// panel (walk-through matrices, activation gallery, saturation curves, depth maps, backprop step-through,
// universality contributions, seeds), drawn below the three columns. The panel asks again when a frame
// shows that the numbers it drew are stale, with at most one request in flight.

import { el } from "../dom.js";
import { count, regionCount, trimmed as fmt } from "../format.js";
import { drawRegionPolygons } from "../heatmap.js";
import { placeLabels } from "../labelPlacement.js";
import { hiddenUnit, inputUnit, unitAt } from "../notation.js";
import { loadPlotly } from "../plotly.js";
import { backpropStages, bpNumber } from "./backpropOverlay.js";
import { INSIGHT_RENDERERS, INSIGHT_THROTTLE_MS } from "./insight.js";

const THROTTLE_MS = { walkthrough: 0, universality: 250, depth: 700, backprop: 300, ...INSIGHT_THROTTLE_MS };
const plotly = loadPlotly;

// no fixed heights: every plot fills its box, which lecture.css sizes to the screen
const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const LAYOUT = { margin: { l: 40, r: 10, t: 24, b: 30 }, font: { size: 11 }, paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)" };

/** A matrix as a small table with a caption (one row per example). */
function matrix(title, rows) {
  const t = el("table", { class: "lec-matrix" }, el("caption", { text: title }));
  for (const row of rows) {
    const tr = el("tr");
    for (const v of Array.isArray(row) ? row : [row]) tr.append(el("td", { text: fmt(v) }));
    t.append(tr);
  }
  return t;
}

/** A stable colour per region id (golden-angle hues), as the output view's overlay does. */
function regionColor(id) {
  const h = (id * 137.508) % 360;
  return `hsl(${h}, 60%, ${id % 2 ? 62 : 74}%)`;
}

export class LecturePanel {
  /** `root`: the panel's element; `send(msg)`: a protocol message; `configure(patch)`: a config change the
   * page makes as if the user did it; `plot`: the output plot element (backprop picks its point there);
   * `defaultScene`: the name of the scene a bare address starts (it gets no panel, not even embedded). */
  constructor(root, { send, configure, plot, defaultScene = null, overlay = null }) {
    this.defaultScene = defaultScene;
    this.overlay = overlay; // the backprop step-through on the network diagram (shares this.stage)
    this.root = root;
    this.send = send;
    this.configure = configure;
    this.plot = plot;
    this.scene = null;
    this.what = null;
    this.inFlight = false;
    this.again = false;
    this.lastKey = "";
    this.lastAsk = 0;
    this.point = null; // backprop: [x1, x2] of the data point shown (the server snaps a click to the nearest)
    this.ring = null; // backprop: the ring marking that point on the output plot
    this.stage = 0; // backprop: how far the step-through has gone
    this.params = {}; // the panel's own choices sent with each request (landscape directions, folding layer)
    this.box = [-6, 6];
    this.plot.addEventListener("click", (e) => this.pick(e));
    // presenting started (views/present.js): ask again, so the room's viewers get this panel too
    document.addEventListener("mlp-room-opened", () => this.ask());
  }

  /** The scene now loaded (the object of /api/scenes), or null: opens or closes its panel. */
  setScene(scene) {
    if (scene && scene.name === this.defaultScene) scene = null;
    const what = scene && scene.panel ? scene.panel : null;
    // every scene shows its caption here when embedded (the data column that holds it is hidden there)
    this.root.hidden = !scene;
    this.root.classList.toggle("no-panel", !what);
    document.body.classList.toggle("has-lecture", Boolean(what) || (Boolean(scene) && document.body.classList.contains("embed")));
    // a (re)connection may have lost the answer in flight: never wait for it
    this.inFlight = false;
    this.again = false;
    if (scene === this.scene || (what && what === this.what && scene.name === this.scene?.name)) {
      if (what) this.ask(); // the same scene again (reloaded or resumed): fresh numbers
      return;
    }
    this.scene = scene;
    this.what = what;
    if (this.overlay) this.overlay.hide();
    this.point = null;
    this.markPoint();
    this.stage = 0;
    this.checked = false;
    this.lastKey = "";
    this.params = {};
    this.insight = null;
    this.root.replaceChildren();
    delete this.root.dataset.loaded;
    if (!scene) return;
    this.root.dataset.panel = what || "";
    this.body = el("div", { class: "lec-body" });
    this.root.append(el("h2", { text: scene.title }), el("p", { class: "lec-caption", text: scene.caption }), this.body);
    if (!what) return;
    if (what === "backprop") this.body.append(el("p", { class: "hint", text: "Click near a data point of the output plot: the step-through takes the nearest one (ringed)." }));
    this.ask();
  }

  /** After every painted frame: ask again when what the panel shows is stale. */
  onFrame(header) {
    if (!this.what || !header) return;
    if (header.box) this.box = header.box;
    if (this.what === "backprop") this.markPoint(); // follows the box and the plot's size
    let key;
    if (this.what === "walkthrough") key = JSON.stringify([header.weights, header.biases]);
    else if (["universality", "depth", "backprop", "landscape", "folding"].includes(this.what)) key = `${header.step}|${JSON.stringify(header.biases)}`;
    else return;
    if (key === this.lastKey) return;
    if (this.what === "backprop" && !this.point) return;
    const wait = THROTTLE_MS[this.what] || 0;
    if (performance.now() - this.lastAsk < wait) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.onFrame(header), wait);
      return;
    }
    this.lastKey = key;
    this.ask();
  }

  ask() {
    // a room's viewer may not ask (read-only): the presenter's answers reach it through the room
    if (!this.what || document.body.classList.contains("watching")) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const msg = { type: "lecture", what: this.what, ...this.params };
    if (this.what === "backprop" && this.point) msg.x = this.point;
    this.inFlight = true;
    this.lastAsk = performance.now();
    this.send(msg);
  }

  /** A `lecture` message from the server. */
  onMessage(msg) {
    this.inFlight = false;
    if (msg.what === this.what) {
      this.root.dataset.loaded = "1";
      // the point the numbers are for: the server's default, or the data point nearest the click
      if (msg.what === "backprop" && Array.isArray(msg.data.x)) this.point = msg.data.x;
      this.lastData = msg.data;
      this.render(msg.data);
    }
    if (this.again) {
      this.again = false;
      this.ask();
    }
  }

  /** An error naming `what` belongs to the panel (the network no longer fits it): say so in the panel. */
  onError(msg) {
    // the landscape's or the folding's own choice cannot be met (no path yet, say): the panel says why
    // and keeps its controls, so another choice can be made
    if (INSIGHT_RENDERERS[this.what] && (msg.field === "directions" || msg.field === "layer")) {
      this.inFlight = false;
      this.again = false;
      this.root.dataset.loaded = "1";
      let note = this.body.querySelector(".lec-error");
      if (!note) {
        note = el("p", { class: "lec-error", role: "status" });
        this.body.insertBefore(note, this.body.children[1] || null);
      }
      note.textContent = msg.message;
      return true;
    }
    if (msg.field !== "what" || !this.what) return false;
    this.inFlight = false;
    this.again = false;
    this.body.replaceChildren(el("p", { class: "lec-error", text: `${msg.message.replace(/^what: /, "")} \u2014 load the scene again to see this panel.` }));
    return true;
  }

  pick(e) {
    if (this.what !== "backprop") return;
    // the plotting area is the points canvas: the plot box around it also holds the axes' margins
    const area = this.plot.querySelector("#points") || this.plot;
    const r = area.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width;
    const fy = (e.clientY - r.top) / r.height;
    if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) return; // a click on the axes picks nothing
    const [lo, hi] = this.box;
    const x1 = lo + fx * (hi - lo);
    const x2 = hi - fy * (hi - lo);
    this.point = [+x1.toFixed(3), +x2.toFixed(3)]; // the answer names the data point nearest to it
    this.stage = 0;
    this.ask();
  }

  /** Ring the backprop point on the output plot (or remove the ring): a circle over the points canvas. */
  markPoint() {
    const area = this.plot.querySelector("#points");
    if (this.what !== "backprop" || !this.point || !area) {
      if (this.ring) this.ring.hidden = true;
      return;
    }
    if (!this.ring) {
      this.ring = el("div", { id: "bp-point-ring", class: "bp-point-ring", "aria-hidden": "true" });
      // white inside black: visible on the orange and the blue side of the map alike
      Object.assign(this.ring.style, { position: "absolute", width: "20px", height: "20px", borderRadius: "50%",
        border: "3px solid #111", boxShadow: "0 0 0 2px #fff, inset 0 0 0 2px #fff", pointerEvents: "none",
        transform: "translate(-50%, -50%)", zIndex: "3" });
      this.plot.append(this.ring);
    }
    const [lo, hi] = this.box;
    const [x1, x2] = this.point;
    this.ring.hidden = false;
    this.ring.style.left = `${area.offsetLeft + ((x1 - lo) / (hi - lo)) * area.clientWidth}px`;
    this.ring.style.top = `${area.offsetTop + ((hi - x2) / (hi - lo)) * area.clientHeight}px`;
    this.ring.dataset.x = JSON.stringify(this.point);
  }

  render(data) {
    this.body.querySelector(":scope > .lec-error")?.remove(); // an answer replaces the last error
    if (INSIGHT_RENDERERS[this.what]) {
      INSIGHT_RENDERERS[this.what](this, data);
      return;
    }
    const fn = {
      walkthrough: this.walkthrough, gallery: this.gallery, saturation: this.saturation, depth: this.depth,
      backprop: this.backprop, universality: this.universality, seeds: this.seeds,
    }[this.what];
    fn.call(this, data);
  }

  // ---- xor by hand -----------------------------------------------------------------------------
  walkthrough(d) {
    const h = d.activation === "relu" ? "max{0, XW + c}" : `${d.activation}(XW + c)`;
    const mats = el("div", { class: "lec-matrices" },
      matrix("X", d.X), matrix("XW", d.XW), matrix("XW + c", d.XWc), matrix(`H = ${h}`, d.H),
      matrix("y = Hw + b", d.output), matrix("target", d.labels));
    const params = el("p", { class: "hint", text: `W = ${JSON.stringify(d.W)}, c = ${JSON.stringify(d.c)}, w = ${JSON.stringify(d.w.map((r) => r[0]))}, b = ${fmt(d.b[0])}. Edit any weight in the diagram: everything here follows.` });
    const space = el("div", { class: "lec-plot", id: "lec-hidden-space" });
    this.body.replaceChildren(el("div", { class: "lec-row" }, el("div", {}, mats, params), space));
    if (d.H[0].length !== 2) return;
    plotly().then((P) => {
      const xs = d.H.map((r) => r[0]);
      const ys = d.H.map((r) => r[1]);
      const lo = Math.min(-0.5, ...xs, ...ys) - 0.5;
      const hi = Math.max(2.5, ...xs, ...ys) + 0.5;
      const [w1, w2] = d.w.map((r) => r[0]);
      const b = d.b[0];
      let line;
      if (Math.abs(w2) > 1e-9) line = { x: [lo, hi], y: [lo, hi].map((x) => (d.threshold - b - w1 * x) / w2) };
      else line = { x: [(d.threshold - b) / (w1 || 1e-9), (d.threshold - b) / (w1 || 1e-9)], y: [lo, hi] };
      // inputs that land on the same hidden point share one label: "(0, 1) and (1, 0)"
      const labels = new Map();
      d.H.forEach((h, i) => {
        const key = h.join(",");
        labels.set(key, [...(labels.get(key) || []), `(${d.X[i].map((v) => fmt(v)).join(", ")})`]);
      });
      const names = d.H.map((h, i) => (d.H.findIndex((o) => o.join(",") === h.join(",")) === i ? labels.get(h.join(",")).join(" and ") : ""));
      // the plotting area is square (scaleanchor) inside the margins: labels placed to stay inside it
      const side = Math.max(60, Math.min(space.clientWidth - 50, space.clientHeight - 54));
      const positions = placeLabels(xs, ys, names, { x: [lo, hi], y: [lo, hi], width: side, height: side });
      P.react(space, [
        { ...line, mode: "lines", name: `w\u1d40h + b = ${d.threshold}`, line: { color: "#555", dash: "dash" } },
        { x: xs, y: ys, mode: "markers+text", text: names, textposition: positions, name: "points",
          marker: { size: 12, color: d.labels.map((l) => (l > 0.5 ? "#0877bd" : "#f59322")) } },
      ], { ...LAYOUT, title: { text: `Hidden space (${hiddenUnit(1, 1)}, ${hiddenUnit(1, 2)})`, font: { size: 12 } }, showlegend: false,
        xaxis: { range: [lo, hi], title: { text: hiddenUnit(1, 1) }, zeroline: true },
        yaxis: { range: [lo, hi], title: { text: hiddenUnit(1, 2) }, scaleanchor: "x" } }, PLOT_CONFIG);
    }).catch(() => {});
  }

  // ---- activation gallery -------------------------------------------------------------------------
  gallery(d) {
    this.body.replaceChildren(el("p", { class: "hint", text: "Solid blue: g(z); dotted orange: its derivative g\u2032(z), on z in [-4, 4]. Point at a card (or tab to it) for its verdict." }));
    const plots = [];
    for (const group of d.groups) {
      const cards = el("div", { class: "lec-cards" });
      for (const u of d.units.filter((x) => x.group === group)) {
        const fig = el("div", { class: "lec-mini" });
        plots.push([fig, u]);
        cards.append(el("div", { class: "lec-card", "data-unit": u.name }, el("strong", { text: u.label }), fig,
          el("p", { class: "lec-verdict", text: u.verdict }),
          el("button", { text: "Train with it", onclick: () => this.trainWith(u.name) })));
      }
      this.body.append(el("h3", { text: group }), cards);
    }
    plotly().then((P) => {
      for (const [fig, u] of plots) {
        P.newPlot(fig, [
          { x: d.z, y: u.g, mode: "lines", name: "g(z)", line: { color: "#0877bd" } },
          { x: d.z, y: u.dg, mode: "lines", name: "g\u2032(z)", line: { color: "#f59322", dash: "dot" } },
        ], { ...LAYOUT, margin: { l: 24, r: 4, t: 4, b: 18 }, showlegend: false,
          // three ticks a side: five do not fit a card beside the output plot and Plotly would tilt them
          xaxis: { tickvals: [-4, 0, 4], tickangle: 0 }, yaxis: { range: [-1.5, 2.5], tickvals: [-1, 0, 1, 2] } },
        { ...PLOT_CONFIG, staticPlot: true });
      }
    }).catch(() => {});
  }

  /** The gallery's "Train with it": that unit in every hidden layer, training at once, and the network and
   * the output (above the panel) back in view to watch it learn. */
  trainWith(name) {
    this.configure({ activation: name });
    this.send({ type: "play" });
    // the top of the page: the transport (now showing pause) above the network and the output
    window.scrollTo({ top: 0, left: 0 });
  }

  // ---- saturation ---------------------------------------------------------------------------------
  saturation(d) {
    const se = d.runs.squared_error;
    const ce = d.runs.cross_entropy;
    const last = se.step.length - 1;
    const fig = el("div", { class: "lec-plot wide", id: "lec-saturation" });
    this.body.replaceChildren(
      el("p", { class: "hint", text: `Same start, same batches, ${d.steps} steps each. At step ${se.step[last]}: squared error has accuracy ${fmt(se.accuracy[last], 2)} and output gradient ${fmt(se.output_gradient[last], 4)}; cross-entropy has accuracy ${fmt(ce.accuracy[last], 2)} and output gradient ${fmt(ce.output_gradient[last], 4)}.` }),
      fig,
      el("button", { text: "Run both again from the current weights", onclick: () => this.ask() }));
    plotly().then((P) => {
      P.react(fig, [
        { x: se.step, y: se.cross_entropy, name: "loss, trained with squared error", line: { color: "#c0392b" } },
        { x: ce.step, y: ce.cross_entropy, name: "loss, trained with cross-entropy", line: { color: "#2471a3" } },
        { x: se.step, y: se.output_gradient, name: "|output gradient|, squared error", xaxis: "x2", yaxis: "y2", line: { color: "#c0392b", dash: "dot" } },
        { x: ce.step, y: ce.output_gradient, name: "|output gradient|, cross-entropy", xaxis: "x2", yaxis: "y2", line: { color: "#2471a3", dash: "dot" } },
      ], { ...LAYOUT, margin: { l: 34, r: 8, t: 20, b: 8 }, grid: { rows: 1, columns: 2, pattern: "independent", xgap: 0.12 },
        // each chart's title above it rather than along its short y axis, where it would be cut off
        annotations: [
          { text: "cross-entropy on the training set", xref: "x domain", yref: "y domain", x: 0, y: 1.02, xanchor: "left", yanchor: "bottom", showarrow: false },
          { text: "mean |dl/da| at the output (log scale)", xref: "x2 domain", yref: "y2 domain", x: 0, y: 1.02, xanchor: "left", yanchor: "bottom", showarrow: false },
        ],
        // one label a decade: Plotly's own 2 and 5 between them crowd the small plot into a column of digits
        yaxis2: { type: "log", dtick: 1 }, xaxis: { title: { text: "step", standoff: 2 } }, xaxis2: { title: { text: "step", standoff: 2 } },
        legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" } },
      PLOT_CONFIG);
    }).catch(() => {});
  }

  // ---- depth --------------------------------------------------------------------------------------
  depth(d) {
    const row = el("div", { class: "lec-row" });
    const draws = [];
    for (const p of d.panels) {
      const canvas = el("canvas", { width: "192", height: "192", class: "lec-regions" });
      if (p.polygons) {
        // the exact regions as vector paths, outlined, at the screen's resolution: drawn once the canvas is
        // in the page, at the size the stylesheet gives it
        draws.push(() => drawRegionPolygons(canvas, p.polygons, p.box, canvas.clientWidth || 192, regionColor,
          "rgba(30,30,40,0.86)"));
      } else {
        const ctx = canvas.getContext("2d");
        const n = p.map.length;
        const cell = 192 / n;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            ctx.fillStyle = regionColor(p.map[i][j]);
            ctx.fillRect(j * cell, i * cell, cell + 0.5, cell + 0.5);
          }
        }
      }
      const r = p.regions || {};
      row.append(el("figure", { class: "lec-depth", "data-label": p.label }, canvas,
        el("figcaption", {},
          el("strong", { text: `${p.label}: hidden ${JSON.stringify(p.hidden)}` }),
          el("div", { class: "lec-count", text: `regions: ${regionCount(r)}${r.exact ? " (exact)" : " (lower bound)"}` }),
          el("div", { text: `Montufar et al. bound: ${count(r.bound)}; no net of this shape exceeds ${count(r.upper)}` }),
          el("div", { text: `training loss ${Number.isFinite(p.train_loss) ? p.train_loss.toFixed(3) : "\u2013"}` }))));
    }
    this.body.replaceChildren(el("p", { class: "hint", text: `Both nets at step ${d.step}, trained on the same data with the same settings.` }), row);
    draws.forEach((draw) => draw());
  }

  // ---- backprop -----------------------------------------------------------------------------------
  backprop(d) {
    const L = d.layers.length;
    const stages = backpropStages(L);
    const stage = Math.min(this.stage, stages.length - 1);
    const showDelta = (l) => stage >= 1 + (L - 1 - l); // output first, then back
    const wrap = el("div", { class: "lec-backprop" });
    wrap.append(el("p", {}, `Point x = (${d.x.map((v) => fmt(v)).join(", ")}), label ${fmt(d.y)}, loss ${bpNumber(d.loss)}. Step: `,
      el("strong", { class: "lec-stage", text: stages[stage] })));
    const controls = el("div", { class: "lec-controls" },
      el("button", { text: "Back", onclick: () => { this.stage = Math.max(0, stage - 1); this.backprop(d); } }),
      el("button", { text: "Next", onclick: () => { this.stage = Math.min(stages.length - 1, stage + 1); this.backprop(d); } }),
      el("button", { class: "lec-check-button", text: "Check", onclick: () => { this.checked = true; this.backprop(d); } }));
    wrap.append(controls);
    if (this.checked) {
      wrap.append(el("p", { class: "lec-check", text: `Finite differences (eps ${d.check.eps}) for ${d.check.parameters === d.check.of ? "all " : ""}${d.check.parameters}${d.check.parameters === d.check.of ? "" : ` of ${d.check.of}`} parameters: largest difference from backprop ${d.check.max_error.toExponential(2)}.` }));
    }
    const units = el("table", { class: "lec-units" }, el("tr", {}, ...["layer", "unit", "a_t", "z_t = h(a_t)", "\u03b4_t"].map((h) => el("th", { text: h }))));
    d.layers.forEach((layer, l) => {
      layer.a.forEach((a, t) => units.append(el("tr", {}, el("td", { text: l === L - 1 ? "output" : String(l + 1) }),
        el("td", { text: unitAt(l, t, L - 1, layer.a.length) }), el("td", { text: bpNumber(a) }), el("td", { text: bpNumber(layer.z[t]) }),
        el("td", { text: showDelta(l) ? bpNumber(layer.delta[t]) : "" }))));
    });
    wrap.append(units);
    if (stage >= stages.length - 2) {
      const links = el("table", { class: "lec-links" }, el("tr", {}, ...["link j \u2192 t", "w", "dL/dw = \u03b4_t z_j", stage === stages.length - 1 ? `w \u2212 ${d.learning_rate} dL/dw` : ""].map((h) => el("th", { text: h }))));
      d.layers.forEach((layer, l) => {
        const from = (j) => (l === 0 ? inputUnit(j + 1) : hiddenUnit(l, j + 1));
        const to = (t) => unitAt(l, t, L - 1, layer.a.length);
        layer.W.forEach((row, j) => row.forEach((w, t) => links.append(el("tr", {},
          el("td", { text: `${from(j)} \u2192 ${to(t)}` }), el("td", { text: bpNumber(w) }),
          el("td", { text: bpNumber(layer.dW[j][t]) }), el("td", { text: stage === stages.length - 1 ? bpNumber(layer.W_next[j][t]) : "" })))));
        layer.b.forEach((b, t) => links.append(el("tr", {}, el("td", { text: `bias \u2192 ${to(t)}` }),
          el("td", { text: bpNumber(b) }), el("td", { text: bpNumber(layer.db[t]) }),
          el("td", { text: stage === stages.length - 1 ? bpNumber(layer.b_next[t]) : "" }))));
      });
      wrap.append(links);
    }
    this.body.replaceChildren(wrap);
    this.markPoint();
    if (this.overlay) this.overlay.show(d, stage, stages);
  }

  // ---- universality -------------------------------------------------------------------------------
  universality(d) {
    let fig = this.body.querySelector("#lec-universality");
    if (!fig) { // built once: the curve is redrawn in place while training
      fig = el("div", { class: "lec-plot wide", id: "lec-universality" });
      const pick = el("div", { class: "lec-controls" }, el("span", { class: "hint", text: "Fit:" }),
        ...["sine", "step", "abs", "bump"].map((f) => el("button", { text: f, onclick: () => this.configure({ dataset: f }) })));
      this.body.replaceChildren(pick, fig);
    }
    plotly().then((P) => {
      const traces = [
        { x: d.train.map((r) => r[0]), y: d.train.map((r) => r[1]), mode: "markers", name: "data", marker: { size: 4, color: "#999" } },
        { x: d.x, y: d.curve, mode: "lines", name: "network", line: { color: "#0877bd", width: 3 } },
      ];
      d.contributions.forEach((c, j) => traces.push({ x: d.x, y: c, mode: "lines", name: `unit ${j + 1}`, xaxis: "x2", yaxis: "y2", line: { width: 1 } }));
      P.react(fig, traces, { ...LAYOUT, showlegend: false, grid: { rows: 2, columns: 1, pattern: "independent" },
        xaxis: { range: [d.x[0], d.x[d.x.length - 1]] }, xaxis2: { matches: "x", title: { text: "x" } },
        yaxis: { title: { text: "y" } }, yaxis2: { title: { text: "w_j h(a_j(x))" } },
        annotations: [{ text: `curve = ${fmt(d.bias)} + sum of the ${d.contributions.length} contributions below`, xref: "paper", yref: "paper", x: 0, y: 1.08, showarrow: false }] },
      PLOT_CONFIG);
    }).catch(() => {});
  }

  // ---- xor learned: seeds -------------------------------------------------------------------------
  seeds(d) {
    const t = el("table", { class: "lec-seeds" }, el("tr", {}, ...["seed", `after ${d.steps} steps`, "loss", "dead units", ""].map((h) => el("th", { text: h }))));
    for (const r of d.runs) {
      t.append(el("tr", { class: r.solved ? "solved" : "stuck" }, el("td", { text: String(r.seed) }),
        el("td", { text: r.solved ? "solved: 0, 1, 1, 0" : "stuck" }), el("td", { text: fmt(r.loss, 3) }),
        el("td", { text: r.dead.length ? r.dead.map(([l, j]) => hiddenUnit(l + 1, j + 1)).join(", ") : "none" }),
        el("td", {}, el("button", { text: "Load", onclick: () => this.configure({ seed: r.seed }) }))));
    }
    this.body.replaceChildren(el("p", { class: "hint", text: "The same network from twelve random starts. A dead ReLU is negative on all four points: its gradient is 0, so no step can revive it." }), t);
  }
}
