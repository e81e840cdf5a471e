// The "look inside" panels (issue 12): the loss landscape around the current weights and the plane as a
// hidden layer sees it (space folding). Both draw what the server's `lecture` answer holds (app/insight.py)
// with Plotly; the panel (views/lecture.js) asks, this module only renders and offers the panel's own
// controls (which directions, which layer), whose choice goes into the next request.

import { classCss, divergingCss } from "../colors.js";
import { el } from "../dom.js";
import { grouped, percent, trimmed as fmt } from "../format.js";
import { hiddenLayer, hiddenUnit, inputUnit } from "../notation.js";
import { loadPlotly } from "../plotly.js";

const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const LAYOUT = { margin: { l: 46, r: 10, t: 8, b: 38 }, font: { size: 11 }, paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)", showlegend: false };
const LINE_X1 = "rgba(120, 70, 160, 0.55)"; // grid lines of constant x1
const LINE_X2 = "rgba(20, 130, 110, 0.55)"; // grid lines of constant x2
const PATH = "#1b1b1f";

/** Buttons that pick one of `options` ([value, label]); `onPick(value)` on a click. */
function toggle(name, options, current, onPick) {
  const group = el("div", { class: "lec-toggle", role: "group", "aria-label": name });
  for (const [value, label] of options) {
    group.append(el("button", { type: "button", text: label, "data-value": value,
      "aria-pressed": String(value === current), onclick: () => onPick(value) }));
  }
  return group;
}

function pressed(group, value) {
  for (const b of group.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.value === value));
}

/** The panel's persistent elements for `what`, made once per panel (re-renders keep focus and the plot). */
function frameOf(panel, what, build) {
  if (!panel.insight || panel.insight.what !== what || !panel.body.contains(panel.insight.plot)) {
    panel.insight = { what, ...build() };
    panel.body.replaceChildren(...panel.insight.nodes);
  }
  return panel.insight;
}

// ---- loss landscape -------------------------------------------------------------------------------
export function renderLandscape(panel, d) {
  const f = frameOf(panel, "landscape", () => {
    const controls = toggle("directions of the slice", [["random", "Random directions"], ["pca", "Directions of the path"]],
      d.directions, (value) => {
        panel.params.directions = value;
        pressed(controls, value);
        panel.ask();
      });
    const summary = el("p", { class: "hint lec-landscape-summary", "aria-live": "polite" });
    const plot = el("div", { class: "lec-plot wide", id: "lec-landscape" });
    return { controls, summary, plot, nodes: [el("div", { class: "lec-insight-controls" }, controls), summary, plot] };
  });
  pressed(f.controls, d.directions);
  const random = d.directions === "random";
  const axis = (k) => (random ? `d${k === 1 ? "\u2081" : "\u2082"} (random, filter-normalised)`
    : `PC ${k} (${percent(d.explained[k - 1])} of the path)`);
  const path = d.path ? `; the line is the path training took, ${grouped(d.path.length)} kept steps projected onto the slice` : "";
  f.summary.textContent = `Training loss at step ${grouped(d.step)}: ${fmt(d.center_loss, 4)} (the star); `
    + `lowest in the slice ${fmt(d.min, 4)}, highest ${fmt(d.max, 4)}${path}.`;
  f.plot.dataset.step = String(d.step);
  f.plot.dataset.directions = d.directions;
  const finite = d.loss.flat().filter((v) => v !== null).sort((a, b) => a - b);
  // colours stop at the 95th percentile: a slice that reaches a steep wall would otherwise put the whole
  // basin in the first colour; hovering still reads every value
  const top = finite.length ? finite[Math.min(finite.length - 1, Math.floor(0.95 * finite.length))] : 1;
  const traces = [
    { type: "contour", x: d.alphas, y: d.betas, z: d.loss, zmin: d.min, zmax: top, ncontours: 24,
      colorscale: "Viridis", reversescale: true, contours: { coloring: "heatmap", showlines: true },
      line: { width: 0.5, color: "rgba(255,255,255,0.5)" }, connectgaps: false,
      colorbar: { title: { text: "loss", side: "right" }, thickness: 10, len: 0.9 },
      hovertemplate: "loss %{z:.4f}<extra></extra>", name: "loss" },
  ];
  if (d.path) {
    traces.push({ type: "scatter", mode: "lines+markers", x: d.path.map((p) => p[0]), y: d.path.map((p) => p[1]),
      line: { color: PATH, width: 1.5 }, marker: { size: 3, color: PATH }, name: "path",
      customdata: d.path_steps, hovertemplate: "step %{customdata}<extra></extra>" });
  }
  traces.push({ type: "scatter", mode: "markers", x: [0], y: [0], name: "now",
    marker: { symbol: "star", size: 15, color: "#ffffff", line: { color: PATH, width: 1.5 } },
    hovertemplate: `now: step ${grouped(d.step)}, loss ${fmt(d.center_loss, 4)}<extra></extra>` });
  loadPlotly().then((P) => P.react(f.plot, traces, { ...LAYOUT,
    xaxis: { title: { text: axis(1), standoff: 4 }, zeroline: false },
    yaxis: { title: { text: axis(2), standoff: 4 }, zeroline: false } }, PLOT_CONFIG)).catch(() => {});
}

// ---- space folding --------------------------------------------------------------------------------
function layerName(layer) {
  return layer === 0 ? "the input plane" : `hidden layer ${layer}`;
}

function axisNames(d) {
  if (d.layer === 0) return [inputUnit(1), inputUnit(2)];
  if (d.projected) return [1, 2].map((k) => `PC ${k} of ${hiddenLayer(d.layer)} (${percent(d.explained[k - 1])})`);
  return d.units === 1 ? [hiddenUnit(d.layer, 1), ""] : [hiddenUnit(d.layer, 1), hiddenUnit(d.layer, 2)];
}

/** One trace of polylines separated by nulls (Plotly breaks a line at a null). */
function polylines(lines) {
  const x = [];
  const y = [];
  for (const line of lines) {
    for (const [a, b] of line) {
      x.push(a);
      y.push(b);
    }
    x.push(null);
    y.push(null);
  }
  return { x, y };
}

/** The output unit's line w1 h1 + w2 h2 + b = level across the points' and lines' extent (padded). */
function boundaryTrace(d) {
  const xs = d.points.map((p) => p[0]).concat(d.lines.flat().map((p) => p[0]));
  const ys = d.points.map((p) => p[1]).concat(d.lines.flat().map((p) => p[1]));
  const [lo, hi] = [Math.min(...xs, ...ys) - 1, Math.max(...xs, ...ys) + 1];
  const [w1, w2] = d.boundary.w;
  const c = d.boundary.level - d.boundary.b;
  let x;
  let y;
  if (Math.abs(w2) >= Math.abs(w1)) { // solve for h2 along h1
    x = [lo, hi];
    y = x.map((h1) => (c - w1 * h1) / w2);
  } else {
    y = [lo, hi];
    x = y.map((h2) => (c - w2 * h2) / w1);
  }
  return { type: "scatter", mode: "lines", x, y, name: "output's decision line", line: { color: "#c0392b", width: 2, dash: "dash" },
    hovertemplate: `output's decision line: ${fmt(w1)} h\u2081 + ${fmt(w2)} h\u2082 + ${fmt(d.boundary.b)} = ${fmt(d.boundary.level)}<extra></extra>` };
}

export function renderFolding(panel, d) {
  const f = frameOf(panel, "folding", () => {
    const slider = el("input", { type: "range", min: "0", max: String(d.layers), step: "1", value: String(d.layer),
      id: "lec-fold-layer", "aria-label": "layer" });
    const label = el("output", { for: "lec-fold-layer", class: "lec-fold-label" });
    slider.addEventListener("input", () => {
      label.textContent = layerName(+slider.value);
      panel.params.layer = +slider.value;
      panel.ask();
    });
    const summary = el("p", { class: "hint", "aria-live": "polite" });
    const plot = el("div", { class: "lec-plot wide", id: "lec-folding" });
    const controls = el("div", { class: "lec-insight-controls" }, el("label", { for: "lec-fold-layer", text: "Layer" }), slider, label);
    return { slider, label, summary, plot, nodes: [controls, summary, plot] };
  });
  f.slider.max = String(d.layers);
  if (document.activeElement !== f.slider) f.slider.value = String(d.layer);
  f.label.textContent = layerName(d.layer);
  const how = d.layer === 0 ? "The input plane with its grid lines and the training points."
    : d.projected ? `${d.units} units, drawn through the two principal components of the training points' activations (${percent(d.explained[0] + d.explained[1])} of their variance).`
      : d.units === 1 ? "One unit: the plane folds onto a line." : "Two units, drawn directly: each grid line of the input plane where this layer puts it.";
  f.summary.textContent = `${layerName(d.layer)[0].toUpperCase()}${layerName(d.layer).slice(1)} at step ${grouped(d.step)}. ${how}`;
  f.plot.dataset.layer = String(d.layer);
  const half = d.lines.length / 2;
  const colours = d.regression ? d.labels.map((v) => divergingCss(Math.max(-1, Math.min(1, v)))) : d.labels.map((k) => classCss(k));
  const traces = [
    { type: "scatter", mode: "lines", ...polylines(d.lines.slice(0, half)), line: { color: LINE_X1, width: 1 }, hoverinfo: "skip", name: "x1 grid" },
    { type: "scatter", mode: "lines", ...polylines(d.lines.slice(half)), line: { color: LINE_X2, width: 1 }, hoverinfo: "skip", name: "x2 grid" },
    { type: "scatter", mode: "markers", x: d.points.map((p) => p[0]), y: d.points.map((p) => p[1]), name: "data",
      marker: { size: d.points.length <= 20 ? 12 : 6, color: colours, line: { color: "#fff", width: 1 } },
      customdata: d.labels, hovertemplate: `(%{x:.3f}, %{y:.3f}) ${d.regression ? "y" : "class"} %{customdata}<extra></extra>` },
  ];
  if (d.boundary) traces.push(boundaryTrace(d));
  const [xName, yName] = axisNames(d);
  loadPlotly().then((P) => P.react(f.plot, traces, { ...LAYOUT,
    xaxis: { title: { text: xName, standoff: 4 }, zeroline: false },
    // one unit of h is as long on both axes: a fold must not look like a stretch
    yaxis: { title: { text: yName, standoff: 4 }, zeroline: false, scaleanchor: "x", scaleratio: 1 } }, PLOT_CONFIG)).catch(() => {});
}

/** The panels this module draws, for views/lecture.js's dispatch. */
export const INSIGHT_RENDERERS = { landscape: renderLandscape, folding: renderFolding };
// how often a playing network's panel is asked again (ms): a 41 x 41 slice is tens of milliseconds of
// server time, the folding a few
export const INSIGHT_THROTTLE_MS = { landscape: 1000, folding: 250 };
