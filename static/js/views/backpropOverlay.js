// The backprop step-through drawn on the network diagram (issue 5, scene `backprop`): for the point the user
// clicked, each unit's a_t and z_t (forward) or delta_t (backward) next to it, each link's dL/dw = delta_t z_j
// once the delta it needs is known, and w - lr dL/dw on the update stage. It only draws the numbers the
// lecture panel received from the server; the stage is shared with the panel's own Back/Next buttons.

import { trimmed as fmt } from "../format.js";

const LINK_LABELS_MAX = 16; // more links than this into one layer: their numbers go to the tooltip only
// Where along a link its label sits: each source's links get their own stretch of the curve (0.35..0.85,
// where the curves fan apart), so labels of different sources do not stack in one column. Snapped to the
// sixteenths the diagram's hit test samples, so that hovering a label finds its link's tooltip.
const linkT = (source, sources) => Math.round(16 * (0.35 + (0.5 * (source + 0.5)) / Math.max(1, sources))) / 16;

const CHAR_PX = 6.1; // width of one character of the labels' 10 px monospace font
const LINE_PX = 12; // height of one label line

/**
 * Stages for a network of `L` weight layers (the last is the output): 0 forward, 1 output delta,
 * 2..L-1+1 the hidden layers' deltas back to the first, then gradients, then update.
 * @param {number} L
 * @returns {string[]}
 */
export function backpropStages(L) {
  return ["forward", "output delta", ...Array.from({ length: L - 1 }, (_, i) => `delta of hidden layer ${L - 1 - i}`),
    "gradients", "update"];
}

export const BP_DECIMALS = 4;
/**
 * Every number of the backprop step-through (the diagram's labels and tooltips, the panel's tables): fixed
 * decimals, so that a column of gradients lines up and 0.1 does not read as less precise than 0.1234; a
 * value that rounds to zero is "0.0000", never "-0.0000".
 * @param {number|null} v
 * @returns {string}
 */
export function bpNumber(v) {
  if (v == null || !Number.isFinite(+v)) return v == null ? "\u2013" : String(v);
  const text = (+v).toFixed(BP_DECIMALS);
  return /^-0\.0+$/.test(text) ? text.slice(1) : text;
}

export class BackpropOverlay {
  /**
   * @param {import("./network.js").NetworkView} network the diagram to draw on
   * @param {{onStage: (stage: number) => void}} cb `onStage`: the user moved the stepper to `stage`
   */
  constructor(network, { onStage }) {
    this.net = network;
    this.onStage = onStage;
    this.data = null;
    this.stage = 0;
    this.stages = [];
    this.drawn = null;
    this.layer = document.createElement("div");
    this.layer.className = "bp-overlay";
    this.bar = document.createElement("div");
    this.bar.className = "bp-stepper";
    this.bar.hidden = true;
    this.bar.setAttribute("role", "group");
    this.bar.setAttribute("aria-label", "Backprop step-through");
    this.prev = button("\u2039 Prev", "Prev: the previous backprop stage", () => this.go(this.stage - 1));
    this.next = button("Next \u203a", "Next: the next backprop stage", () => this.go(this.stage + 1));
    this.label = document.createElement("span");
    this.label.className = "bp-stage";
    this.label.setAttribute("aria-live", "polite");
    this.bar.append(this.prev, this.label, this.next);
    network.diagram.append(this.layer, this.bar);
    network.afterDraw = () => this.render();
    network.linkNote = (L) => this.linkNote(L);
  }

  /**
   * Show the server's backprop numbers `d` (the `lecture` message's data) at `stage` of `stages`.
   * @param {{x: number[], input: number[], layers: object[], learning_rate: number}} d
   */
  show(d, stage, stages) {
    this.data = d;
    this.stages = stages;
    this.stage = Math.max(0, Math.min(stage, stages.length - 1));
    this.drawn = null;
    this.render();
  }

  hide() {
    this.data = null;
    this.drawn = null;
    this.layer.replaceChildren();
    this.bar.hidden = true;
    this.highlight(() => false);
  }

  go(stage) {
    if (!this.data) return;
    this.onStage(Math.max(0, Math.min(stage, this.stages.length - 1)));
  }

  /** Is layer `l`'s delta known at the current stage? (output first, then back to the first layer) */
  deltaKnown(l) {
    return this.stage >= this.data.layers.length - l;
  }

  /** Which weight layer's numbers are new at the current stage (-1: the forward pass or all links). */
  activeLayer() {
    const L = this.data.layers.length;
    return this.stage >= 1 && this.stage <= L ? L - this.stage : -1;
  }

  /** Redraw after the diagram drew its links (every frame): only when something the labels use changed. */
  render() {
    const d = this.data;
    const net = this.net;
    if (!d || !net.geom || !net.structure) return;
    // the geometry itself, not the diagram's size: when the panel below grows, the size is already new while
    // the geometry waits for the resize observer's layout, and the labels must follow that layout
    const key = [d, this.stage, net.structure, net.geom, net.links.length];
    if (this.drawn && key.every((v, i) => v === this.drawn[i])) return;
    this.drawn = key;
    const { sizes, colX, y } = net.geom;
    const s = net.structure;
    const L = d.layers.length;
    const last = this.stages.length - 1;
    const out = [];
    const unitLabel = (c, j, lines, kind, l) => {
      const e = document.createElement("div");
      // units smaller than a label's lines would be buried under their neighbours' labels: the panel's
      // table below still lists every number
      if (sizes[c] < LINE_PX * lines.length) return e;
      e.className = `bp-label bp-unit bp-${kind}`;
      e.dataset.layer = String(l);
      e.dataset.unit = String(j);
      for (const [name, v] of lines) {
        const row = document.createElement("div");
        row.dataset.kind = name;
        row.dataset.value = String(v);
        row.textContent = `${name === "delta" ? "\u03b4" : name} ${bpNumber(v)}`;
        e.append(row);
      }
      if (c === net.geom.cols - 1) {
        // the output column is at the right edge: its numbers go below the unit, ending where the unit ends
        // (a label wider than a small unit would otherwise run out of the column)
        e.style.left = `${colX(c) + sizes[c] / 2}px`;
        e.style.transform = "translateX(-100%)";
        e.style.top = `${y(c, j) + sizes[c] + 3}px`;
      } else {
        e.style.left = `${colX(c) + sizes[c] / 2 + 3}px`;
        e.style.top = `${y(c, j)}px`;
      }
      out.push(e);
      return e;
    };
    // inputs: the feature values of the clicked point (the forward pass starts from them)
    if (this.stage === 0) {
      s.featureNames.forEach((name, j) => {
        const i = s.features.indexOf(name);
        if (i >= 0 && d.input[i] !== undefined) unitLabel(0, j, [["x", d.input[i]]], "input", -1).dataset.feature = String(i);
      });
    }
    d.layers.forEach((layer, l) => {
      const units = l < s.hidden.length ? s.hidden[l] : s.outputs;
      if (layer.a.length !== units) return; // the structure changed and the answer for it is on its way
      for (let t = 0; t < units; t += 1) {
        if (this.stage === 0) unitLabel(l + 1, t, [["a", layer.a[t]], ["z", layer.z[t]]], "forward", l);
        else if (this.deltaKnown(l)) unitLabel(l + 1, t, [["delta", layer.delta[t]]], "delta", l);
      }
    });
    // links: dL/dw once the target's delta is known; the new weight on the update stage
    const placed = []; // boxes of the link labels so far: a label that would cover one moves down
    const perLayer = new Map();
    const sources = new Map(); // per layer: the sources in drawing order, for each one's stretch of curve
    for (const link of net.links) {
      perLayer.set(link.l, (perLayer.get(link.l) || 0) + 1);
      if (!sources.has(link.l)) sources.set(link.l, []);
      const list = sources.get(link.l);
      if (!list.includes(link.i)) list.push(link.i);
    }
    for (const link of net.links) {
      const layer = d.layers[link.l];
      if (!layer || link.k !== 1 || this.stage === 0 || !this.deltaKnown(link.l)) continue;
      if ((perLayer.get(link.l) || 0) > LINK_LABELS_MAX) continue;
      const g = layer.dW[link.i] && layer.dW[link.i][link.j];
      if (g === undefined) continue;
      const e = document.createElement("div");
      const update = this.stage === last;
      e.className = `bp-label bp-link${update ? " bp-update" : ""}`;
      e.dataset.layer = String(link.l);
      e.dataset.from = String(link.i);
      e.dataset.to = String(link.j);
      e.dataset.kind = update ? "w_next" : "dw";
      e.dataset.value = String(update ? layer.W_next[link.i][link.j] : g);
      e.textContent = update ? `w\u2032 ${bpNumber(layer.W_next[link.i][link.j])}` : `\u2202 ${bpNumber(g)}`;
      const from = sources.get(link.l);
      const [px, py] = bezierPoint(link, linkT(from.indexOf(link.i), from.length), net.straight);
      e.style.left = `${px}px`;
      e.style.top = `${clear(placed, px, py, e.textContent.length * CHAR_PX + 4)}px`;
      out.push(e);
    }
    this.layer.replaceChildren(...out);
    const active = this.activeLayer();
    this.highlight((l) => (this.stage === 0 ? false : l === active));
    this.bar.hidden = false;
    this.label.textContent = `${this.stage + 1}/${this.stages.length}: ${this.stages[this.stage]}`
      + (this.stage === last ? ` (lr ${fmt(d.learning_rate)})` : "");
    this.prev.disabled = this.stage === 0;
    this.next.disabled = this.stage === last;
    this.layer.dataset.stage = String(this.stage);
  }

  /** Outline the units of the layer the current stage works on. */
  highlight(isActive) {
    this.net.thumbs.forEach((layer, h) => layer.forEach((t) => t.el.classList.toggle("bp-active", isActive(h))));
    const outL = this.net.structure ? this.net.structure.hidden.length : -1;
    this.net.nodesDiv.querySelectorAll(".output-unit").forEach((el) => el.classList.toggle("bp-active", isActive(outL)));
  }

  /** Extra tooltip text for a link of the diagram: its gradient (and update) at the current stage. */
  linkNote(link) {
    const d = this.data;
    if (!d || this.stage === 0 || link.k !== 1) return "";
    const layer = d.layers[link.l];
    if (!layer || !this.deltaKnown(link.l) || !layer.dW[link.i]) return "";
    const g = layer.dW[link.i][link.j];
    const z = link.l === 0 ? d.input[link.i] : d.layers[link.l - 1].z[link.i];
    let text = `; dL/dw = \u03b4 ${bpNumber(layer.delta[link.j])} \u00d7 z ${bpNumber(z)} = ${bpNumber(g)}`;
    if (this.stage === this.stages.length - 1) text += `; w \u2212 ${fmt(d.learning_rate)} dL/dw = ${bpNumber(layer.W_next[link.i][link.j])}`;
    return text;
  }
}

/**
 * The y at which a label of width `w` centred at (x, y) covers none of the `placed` boxes (moving down one
 * line at a time, at most a few lines: a dense layer's labels may still touch); records its box.
 */
function clear(placed, x, y, w) {
  let top = y;
  for (let n = 0; n < 4 && placed.some((b) => Math.abs(b.x - x) < (b.w + w) / 2 && Math.abs(b.y - top) < LINE_PX); n += 1) {
    top += LINE_PX;
  }
  placed.push({ x, y: top, w });
  return top;
}

/** The point at parameter `t` of a link as the diagram draws it (a horizontal-tangent cubic, or straight). */
function bezierPoint(L, t, straight) {
  const u = 1 - t;
  if (straight) return [u * L.x0 + t * L.x1, u * L.y0 + t * L.y1];
  const mx = (L.x0 + L.x1) / 2;
  return [u * u * u * L.x0 + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * L.x1,
    u * u * u * L.y0 + 3 * u * u * t * L.y0 + 3 * u * t * t * L.y1 + t * t * t * L.y1];
}

function button(text, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}
