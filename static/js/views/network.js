// The network diagram: a column of input features, one column per hidden layer and the output. Every unit is
// a button with a canvas showing its live map; links are drawn on one canvas (width |w|, colour by sign) and
// hit-tested by distance, so a 64 x 64 layer costs one path per link and no DOM nodes.

import { hiddenUnit, unitAt } from "../notation.js";
import { classCss, divergingCss, divergingLut } from "../colors.js";
import { Heatmap } from "../heatmap.js";
import { grouped, label as unitLabel } from "../activations.js";
import { formatNumber } from "../format.js";
import { hideTooltip, openEditor, showTooltip } from "./popups.js";

const FEATURE_LABELS = {
  x1: "x\u2081", x2: "x\u2082", x1sq: "x\u2081\u00b2", x2sq: "x\u2082\u00b2", x1x2: "x\u2081x\u2082",
  sin_x1: "sin(x\u2081)", sin_x2: "sin(x\u2082)",
};

// Feature maps are plain functions of the input, drawn here without asking the server.
const FEATURE_FN = {
  x1: (a) => a, x2: (a, b) => b, x1sq: (a) => a * a, x2sq: (a, b) => b * b, x1x2: (a, b) => a * b,
  sin_x1: (a) => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
};

const HEAD = 58; // room above the columns for the layer heads
const MAX_NODE = 56;

export class NetworkView {
  /**
   * @param {object} cb callbacks
   * @param {(patch: object) => void} cb.onChange a config change made in the diagram (features, layers, units,
   *   a layer's activation)
   * @param {(text: string) => void} cb.onNotice
   * @param {(unit: number[]|null, canvas: HTMLCanvasElement|null) => void} cb.onHoverUnit [hidden layer, j]
   * @param {(kind: string, layer: number, index: number|number[], value: number) => void} cb.onSetParam
   */
  constructor(cb) {
    this.cb = cb;
    this.diagram = document.getElementById("diagram");
    this.linksCanvas = document.getElementById("links");
    this.nodesDiv = document.getElementById("nodes");
    this.structure = null;
    this.header = null;
    this.links = [];
    this.thumbs = [];
    this.biasEls = [];
    this.outputCanvases = [];
    this.lut = divergingLut([-1, 1], (v) => v);
    this.featureLut = divergingLut([-1, 1], (v) => v);
    this.hoverLink = null;
    this.afterDraw = null; // () => void, after every drawLinks (the backprop overlay follows the geometry)
    this.linkNote = null; // (link) => string appended to a link's tooltip (the backprop overlay's gradient)
    this.editable = true; // false while the server cannot be reached: no editor opens
    this.installPointer();
    document.getElementById("add-layer").addEventListener("click", () => this.changeLayers(+1));
    document.getElementById("remove-layer").addEventListener("click", () => this.changeLayers(-1));
    new ResizeObserver(() => this.layout()).observe(this.diagram);
  }

  /**
   * Rebuild the units and heads.
   * @param {{featureNames: string[], features: string[], hidden: number[], activations: string[],
   *          activationNames: string[], maxLayers: number, maxUnits: number, outputs: number, box: number[]}} s
   */
  setStructure(s) {
    this.structure = s;
    this.nodesDiv.replaceChildren();
    this.thumbs = [];
    this.biasEls = [];
    this.featureEls = [];
    this.outputCanvases = [];
    this.heads = [];
    const head = (text) => {
      const el = document.createElement("div");
      el.className = "layer-head";
      const t = document.createElement("span");
      t.textContent = text;
      el.append(t);
      this.nodesDiv.append(el);
      this.heads.push(el);
      return el;
    };
    head("Features");
    for (const name of s.featureNames) {
      const b = document.createElement("button");
      b.className = `node feature${s.features.includes(name) ? "" : " off"}`;
      b.setAttribute("aria-pressed", String(s.features.includes(name)));
      // the accessible name contains the visible label (WCAG 2.5.3)
      b.setAttribute("aria-label", `${FEATURE_LABELS[name] || name}: input feature`);
      b.dataset.feature = name;
      const c = document.createElement("canvas");
      const n = document.createElement("span");
      n.className = "name";
      n.textContent = FEATURE_LABELS[name] || name;
      b.append(c, n);
      b.addEventListener("click", () => this.toggleFeature(name));
      this.nodesDiv.append(b);
      this.featureEls.push({ el: b, heat: new Heatmap(c), name });
    }
    s.hidden.forEach((units, h) => {
      const el = head(`${units} neuron${units === 1 ? "" : "s"}`);
      const pm = document.createElement("div");
      pm.className = "units";
      pm.append(
        smallButton("+", `Add a unit to hidden layer ${h + 1}`, () => this.changeUnits(h, +1), units >= s.maxUnits),
        smallButton("\u2212", `Remove a unit from hidden layer ${h + 1}`, () => this.changeUnits(h, -1), units <= 1),
      );
      el.prepend(pm);
      el.dataset.control = "hidden";
      const sel = document.createElement("select");
      sel.setAttribute("aria-label", `Activation of hidden layer ${h + 1}`);
      sel.dataset.control = "activation";
      for (const g of grouped(s.activationNames)) {
        const og = document.createElement("optgroup");
        og.label = g.title;
        for (const name of g.names) og.append(new Option(unitLabel(name), name));
        sel.append(og);
      }
      sel.value = s.activations[h];
      sel.addEventListener("change", () => this.setLayerActivation(h, sel.value));
      el.append(sel);
      const layerThumbs = [];
      const layerBias = [];
      for (let j = 0; j < units; j += 1) {
        const b = document.createElement("button");
        b.className = "node hidden-unit";
        b.setAttribute("aria-label", `Hidden layer ${h + 1}, unit ${j + 1}`);
        const c = document.createElement("canvas");
        b.append(c);
        const unit = [h, j];
        b.addEventListener("mouseenter", () => this.cb.onHoverUnit(unit, c));
        b.addEventListener("mouseleave", () => this.cb.onHoverUnit(null, null));
        b.addEventListener("focus", () => this.cb.onHoverUnit(unit, c));
        b.addEventListener("blur", () => this.cb.onHoverUnit(null, null));
        b.addEventListener("click", () => this.editUnit(h + 1, j, b));
        this.nodesDiv.append(b);
        layerThumbs.push({ el: b, heat: new Heatmap(c) });
        const bias = biasButton(`Bias of hidden layer ${h + 1}, unit ${j + 1}`);
        bias.addEventListener("click", (e) => this.editBias(h, j, e.clientX, e.clientY));
        bias.addEventListener("mouseenter", (e) => this.tipBias(h, j, e));
        bias.addEventListener("mouseleave", hideTooltip);
        if (s.activations[h] === "rbf") bias.hidden = true; // an rbf unit has no bias
        this.nodesDiv.append(bias);
        layerBias.push(bias);
      }
      this.thumbs.push(layerThumbs);
      this.biasEls.push(layerBias);
    });
    head(s.outputs > 1 ? `Output (${s.outputs} classes)` : "Output");
    const last = s.hidden.length;
    const outBias = [];
    for (let k = 0; k < s.outputs; k += 1) {
      const b = document.createElement("button");
      b.className = "node output-unit";
      b.setAttribute("aria-label", s.outputs > 1 ? `Output unit for class ${k}` : "Output unit");
      const c = document.createElement("canvas");
      b.append(c);
      if (s.outputs > 1) b.style.borderColor = classCss(k);
      b.addEventListener("click", () => this.editUnit(last + 1, k, b));
      this.nodesDiv.append(b);
      this.outputCanvases.push(c);
      const bias = biasButton(`Bias of output unit ${k + 1}`);
      bias.addEventListener("click", (e) => this.editBias(last, k, e.clientX, e.clientY));
      bias.addEventListener("mouseenter", (e) => this.tipBias(last, k, e));
      bias.addEventListener("mouseleave", hideTooltip);
      this.nodesDiv.append(bias);
      outBias.push(bias);
    }
    this.biasEls.push(outBias);
    document.getElementById("layer-count").textContent = String(s.hidden.length);
    document.getElementById("layer-noun").textContent = s.hidden.length === 1 ? "hidden layer" : "hidden layers";
    document.getElementById("add-layer").disabled = s.hidden.length >= s.maxLayers;
    document.getElementById("remove-layer").disabled = s.hidden.length === 0;
    this.layout();
    this.paintFeatures();
  }

  // ---- the architecture, changed in the diagram: each sends one config patch ------------------------
  changeUnits(layer, delta) {
    const hidden = this.structure.hidden.slice();
    hidden[layer] = Math.max(1, Math.min(this.structure.maxUnits, hidden[layer] + delta));
    this.cb.onChange({ hidden });
  }

  /** Add a hidden layer (a copy of the last one's width and unit) or remove the last one. */
  changeLayers(delta) {
    const s = this.structure;
    if (!s) return;
    const hidden = s.hidden.slice();
    const acts = s.activations.slice();
    if (delta > 0 && hidden.length < s.maxLayers) {
      hidden.push(hidden.length ? hidden[hidden.length - 1] : 4);
      acts.push(acts.length ? acts[acts.length - 1] : "tanh");
    } else if (delta < 0 && hidden.length > 0) {
      hidden.pop();
      acts.pop();
    } else {
      return;
    }
    this.cb.onChange({ hidden, activation: oneOrList(acts) });
  }

  setLayerActivation(layer, name) {
    const acts = this.structure.activations.slice();
    acts[layer] = name;
    this.cb.onChange({ activation: oneOrList(acts) });
  }

  toggleFeature(name) {
    const s = this.structure;
    const on = s.features.includes(name);
    if (on && s.features.length === 1) {
      this.cb.onNotice("At least one input feature must stay on.");
      return;
    }
    this.cb.onChange({ features: on ? s.features.filter((f) => f !== name) : s.featureNames.filter((f) => f === name || s.features.includes(f)) });
  }

  /** Whether clicks open the parameter editors (not while the server cannot be reached). */
  setEditable(on) {
    this.editable = on;
    if (!on) hideTooltip();
  }

  /** Position every head and unit for the diagram's current size. */
  layout() {
    const s = this.structure;
    if (!s) return;
    const W = this.diagram.clientWidth;
    const H = this.diagram.clientHeight;
    const counts = [s.featureNames.length, ...s.hidden, s.outputs];
    const cols = counts.length;
    const avail = Math.max(60, H - HEAD - 6);
    // Each column sizes its boxes to fit its own units: boxes grow with the room there is (a projector at
    // 1080p gets bigger maps) and a 64-unit layer does not shrink the feature column.
    const sizes = counts.map((n) => Math.max(6, Math.min(MAX_NODE, Math.floor(H / 13), Math.floor(avail / (n * 1.28)))));
    const steps = counts.map((n, c) => sizes[c] + Math.min(sizes[c] * 0.28 + 2, (avail - n * sizes[c]) / Math.max(1, n - 1)));
    const left = 64;
    const right = 18 + sizes[cols - 1] / 2;
    const colX = (c) => left + (c * (W - left - right)) / (cols - 1);
    const y = (c, j) => HEAD + j * steps[c];
    this.geom = { sizes, colX, y, cols };
    this.heads.forEach((el, c) => {
      // centred over its column, but kept inside the diagram: "Output (3 classes)" is wider than the room
      // right of the output column
      const half = el.offsetWidth / 2;
      el.style.left = `${Math.max(half, Math.min(colX(c), W - half))}px`;
    });
    const place = (el, c, j) => {
      el.style.width = el.style.height = `${sizes[c]}px`;
      el.style.left = `${colX(c) - sizes[c] / 2}px`;
      el.style.top = `${y(c, j)}px`;
    };
    this.featureEls.forEach((f, j) => place(f.el, 0, j));
    this.thumbs.forEach((layer, h) => layer.forEach((t, j) => place(t.el, h + 1, j)));
    const outEls = this.nodesDiv.querySelectorAll(".output-unit");
    outEls.forEach((el, k) => place(el, cols - 1, k));
    this.biasEls.forEach((layer, l) => layer.forEach((b, j) => {
      const size = sizes[l + 1];
      // below 16 px a bias box would cover its unit; the unit's editor still reaches the bias
      b.classList.toggle("tiny", size < 16);
      b.style.left = `${colX(l + 1) - size / 2 - 5}px`;
      b.style.top = `${y(l + 1, j) + size - 5}px`;
    }));
    const dpr = window.devicePixelRatio || 1;
    this.linksCanvas.width = Math.round(W * dpr);
    this.linksCanvas.height = Math.round(H * dpr);
    this.drawLinks();
  }

  /** Paint the input feature maps (they only change with the box). */
  paintFeatures() {
    const box = this.structure.box || [-6, 6];
    const scale = { x1: box[1], x2: box[1], x1sq: box[1] ** 2, x2sq: box[1] ** 2, x1x2: box[1] ** 2 };
    for (const f of this.featureEls) {
      const fn = FEATURE_FN[f.name];
      if (!fn) continue;
      const sc = scale[f.name] || 1;
      const sq = f.name.endsWith("sq");
      // squares are >= 0: centre them so that their map uses both colours, as the other features do
      f.heat.paintFunction(fn, box, 20, (v) => (sq ? (2 * v) / sc - 1 : v / sc), this.featureLut);
    }
  }

  /** Draw one frame: weights, biases and every hidden unit's thumbnail. */
  update(header, arrays) {
    this.header = header;
    const thumbs = arrays.thumbnails;
    if (thumbs) {
      const T = thumbs.shape[1];
      const lut = thumbs.range && (thumbs.range[0] !== -1 || thumbs.range[1] !== 1)
        ? divergingLut(thumbs.range, (v) => v) : this.lut;
      let k = 0;
      for (const layer of this.thumbs) {
        for (const t of layer) {
          if (k < thumbs.shape[0]) t.heat.paint(thumbs.data, lut, T, T, k * T * T);
          k += 1;
        }
      }
    }
    if (header.biases) {
      this.biasEls.forEach((layer, l) => layer.forEach((b, j) => {
        const v = header.biases[l] ? header.biases[l][this.pieceIndex(l, j)] : undefined;
        if (v !== undefined) b.style.background = divergingCss(v);
      }));
    }
    this.drawLinks();
  }

  /** Paint the output unit(s) in the diagram from the already painted boundary canvas. */
  paintOutput(source) {
    for (const c of this.outputCanvases) {
      if (c.width !== 40) {
        c.width = 40;
        c.height = 40;
      }
      c.getContext("2d").drawImage(source, 0, 0, 40, 40);
    }
  }

  /** Maxout layers store k columns per unit (unit-major); the diagram shows piece 0 of each unit. */
  pieces(l) {
    const s = this.structure;
    const units = l < s.hidden.length ? s.hidden[l] : s.outputs;
    const w = this.header && this.header.weights && this.header.weights[l];
    if (!w || !w.length) return 1;
    return Math.max(1, Math.round(w[0].length / units));
  }

  pieceIndex(l, j) {
    return j * this.pieces(l);
  }

  drawLinks() {
    const g = this.geom;
    const ctx = this.linksCanvas.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.linksCanvas.width, this.linksCanvas.height);
    this.links = [];
    const s = this.structure;
    if (!g || !s || !this.header || !this.header.weights) return;
    const featureRow = s.featureNames.map((name) => s.features.indexOf(name));
    const layers = [featureRow.map((row, j) => ({ j, row })).filter((f) => f.row >= 0)];
    for (const units of s.hidden) layers.push(Array.from({ length: units }, (_, j) => ({ j, row: j })));
    const { sizes, colX, y } = g;
    this.header.weights.forEach((W, l) => {
      const from = layers[l];
      if (!from) return;
      const k = this.pieces(l);
      const targets = W.length ? Math.round(W[0].length / k) : 0;
      for (const src of from) {
        const row = W[src.row];
        if (!row) continue;
        for (let j = 0; j < targets; j += 1) {
          const w = row[j * k];
          const x0 = colX(l) + sizes[l] / 2;
          const y0 = y(l, src.j) + sizes[l] / 2;
          const x1 = colX(l + 1) - sizes[l + 1] / 2;
          const y1 = y(l + 1, j) + sizes[l + 1] / 2;
          this.links.push({ l, i: src.row, j, k, w, x0, y0, x1, y1, featureIndex: src.j });
        }
      }
    });
    // One path per (sign, |w| to 0.1) group: a 64 x 64 layer costs a few dozen strokes instead of 4096,
    // and the picture is the same to the eye. Very many links are drawn straight.
    const groups = new Map();
    for (const link of this.links) {
      const q = Math.min(50, Math.round(Math.abs(link.w) * 10)) * (link.w < 0 ? -1 : 1);
      let g = groups.get(q);
      if (!g) groups.set(q, (g = []));
      g.push(link);
    }
    const straight = this.links.length > 3000;
    this.straight = straight;
    for (const [q, group] of groups) {
      const a = Math.abs(q) / 10;
      ctx.strokeStyle = divergingCss(Math.sign(q) * Math.min(1, 0.25 + a));
      ctx.lineWidth = 0.6 + a * 1.4;
      ctx.beginPath();
      for (const { x0, y0, x1, y1 } of group) {
        const mx = (x0 + x1) / 2;
        ctx.moveTo(x0, y0);
        if (straight) ctx.lineTo(x1, y1);
        else ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1);
      }
      ctx.stroke();
    }
    if (this.hoverLink) {
      const h = this.links.find((L) => L.l === this.hoverLink.l && L.i === this.hoverLink.i && L.j === this.hoverLink.j);
      if (h) {
        const mx = (h.x0 + h.x1) / 2;
        ctx.strokeStyle = "rgba(0,0,0,0.7)";
        ctx.lineWidth = 1.5;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(h.x0, h.y0);
        ctx.bezierCurveTo(mx, h.y0, mx, h.y1, h.x1, h.y1);
        ctx.stroke();
        ctx.setLineDash([]);
      }
    }
    if (this.afterDraw) this.afterDraw();
  }

  /** The link under (x, y) in diagram pixels, or null: the nearest within 5 px, sampled along each curve. */
  linkAt(x, y) {
    // Distance to each link's curve, approximated by 16 straight segments (point-to-segment, so the whole
    // line is hoverable, not only the sample points); within 5 px.
    let best = null;
    let bestD = 25;
    for (const L of this.links) {
      if (x < L.x0 - 4 || x > L.x1 + 4) continue;
      const mx = (L.x0 + L.x1) / 2;
      let qx = L.x0;
      let qy = L.y0;
      for (let n = 1; n <= 16; n += 1) {
        const t = n / 16;
        const u = 1 - t;
        const px = this.straight ? u * L.x0 + t * L.x1
          : u * u * u * L.x0 + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * L.x1;
        const py = this.straight ? u * L.y0 + t * L.y1
          : u * u * u * L.y0 + 3 * u * u * t * L.y0 + 3 * u * t * t * L.y1 + t * t * t * L.y1;
        const d = segmentDistance2(x, y, qx, qy, px, py);
        if (d < bestD) {
          bestD = d;
          best = L;
        }
        qx = px;
        qy = py;
      }
    }
    return best;
  }

  installPointer() {
    this.diagram.addEventListener("mousemove", (e) => {
      if (e.target !== this.linksCanvas && e.target !== this.diagram && e.target !== this.nodesDiv) return;
      const r = this.diagram.getBoundingClientRect();
      const L = this.linkAt(e.clientX - r.left, e.clientY - r.top);
      const changed = (L && (!this.hoverLink || L.l !== this.hoverLink.l || L.i !== this.hoverLink.i || L.j !== this.hoverLink.j))
        || (!L && this.hoverLink);
      this.hoverLink = L;
      this.diagram.style.cursor = L ? "pointer" : "";
      if (L) showTooltip(this.linkText(L), e.clientX, e.clientY);
      else hideTooltip();
      if (changed) this.drawLinks();
    });
    this.diagram.addEventListener("mouseleave", () => {
      hideTooltip();
      if (this.hoverLink) {
        this.hoverLink = null;
        this.drawLinks();
      }
    });
    this.diagram.addEventListener("click", (e) => {
      if (e.target !== this.linksCanvas && e.target !== this.diagram && e.target !== this.nodesDiv) return;
      const r = this.diagram.getBoundingClientRect();
      const L = this.linkAt(e.clientX - r.left, e.clientY - r.top);
      if (!L || !this.editable) return;
      hideTooltip();
      const fields = [];
      for (let p = 0; p < L.k; p += 1) {
        fields.push({ key: String(L.j * L.k + p), label: L.k > 1 ? `piece ${p + 1}` : "weight", value: this.header.weights[L.l][L.i][L.j * L.k + p] });
      }
      openEditor(fields, e.clientX + 8, e.clientY + 8, (changed) => {
        for (const c of changed) this.cb.onSetParam("weight", L.l, [L.i, Number(c.key)], c.value);
      });
    });
  }

  linkText(L) {
    const s = this.structure;
    const from = L.l === 0 ? (FEATURE_LABELS[s.features[L.i]] || s.features[L.i]) : hiddenUnit(L.l, L.i + 1);
    const to = unitAt(L.l, L.j, s.hidden.length, s.outputs);
    const w = this.header.weights[L.l][L.i];
    const vals = Array.from({ length: L.k }, (_, p) => formatNumber(w[L.j * L.k + p])).join(", ");
    const note = this.linkNote ? this.linkNote(L) : "";
    return `Weight ${from} \u2192 ${to}: ${vals}${note} (click to edit)`;
  }

  tipBias(l, j, e) {
    const b = this.header && this.header.biases && this.header.biases[l];
    if (b) showTooltip(`Bias: ${formatNumber(b[this.pieceIndex(l, j)])} (click to edit)`, e.clientX, e.clientY);
  }

  editBias(l, j, x, y) {
    const b = this.header && this.header.biases && this.header.biases[l];
    if (!b || !this.editable) return;
    hideTooltip();
    openEditor([{ key: "b", label: "bias", value: b[this.pieceIndex(l, j)] }], x + 8, y + 8, (changed) => {
      for (const c of changed) this.cb.onSetParam("bias", l, this.pieceIndex(l, j), c.value);
    });
  }

  /**
   * Keyboard route to every parameter of one unit: its bias, its own parameters (PReLU slope, RBF width)
   * and its incoming weights. `layer` counts from 1 (the first hidden layer); weights[layer - 1] feed it.
   */
  editUnit(layer, j, el) {
    const h = this.header;
    if (!h || !h.weights || !this.editable) return;
    const l = layer - 1;
    const k = this.pieces(l);
    const fields = [];
    const act = l < this.structure.hidden.length ? this.structure.activations[l] : null;
    if (act !== "rbf") {
      for (let p = 0; p < k; p += 1) fields.push({ key: `bias:${j * k + p}`, label: k > 1 ? `bias ${p + 1}` : "bias", value: h.biases[l][j * k + p] });
    }
    const params = (h.unit_params && h.unit_params[l]) || {};
    for (const [name, values] of Object.entries(params)) fields.push({ key: `${name}:${j}`, label: name, value: values[j] });
    const names = l === 0 ? this.structure.features : null;
    h.weights[l].forEach((row, i) => {
      for (let p = 0; p < k; p += 1) {
        const from = names ? FEATURE_LABELS[names[i]] || names[i] : hiddenUnit(l, i + 1);
        fields.push({ key: `weight:${i}:${j * k + p}`, label: `w ${from}${k > 1 ? ` #${p + 1}` : ""}`, value: row[j * k + p] });
      }
    });
    const r = el.getBoundingClientRect();
    openEditor(fields, r.right + 8, r.top, (changed) => {
      for (const c of changed) {
        const [kind, a, b] = c.key.split(":");
        if (kind === "weight") this.cb.onSetParam("weight", l, [Number(a), Number(b)], c.value);
        else this.cb.onSetParam(kind, l, Number(a), c.value);
      }
    });
  }

  /** Colour a unit's outline while its full map is shown in the output panel. */
  select(unit) {
    this.thumbs.forEach((layer, h) => layer.forEach((t, j) => {
      t.el.classList.toggle("selected", Boolean(unit && unit[0] === h && unit[1] === j));
    }));
  }
}

/** One activation for every layer when they agree (the shorter config and link), else the list. */
function oneOrList(acts) {
  return acts.length && acts.every((a) => a === acts[0]) ? acts[0] : acts;
}

function smallButton(text, label, onClick, disabled) {
  const b = document.createElement("button");
  b.className = "round small";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.disabled = disabled;
  b.addEventListener("click", onClick);
  return b;
}

function biasButton(label) {
  const b = document.createElement("button");
  b.className = "bias";
  b.tabIndex = -1; // reachable from the keyboard through the unit's editor instead
  b.setAttribute("aria-label", label);
  return b;
}

/** Squared distance from (x, y) to the segment (ax, ay)-(bx, by). */
function segmentDistance2(x, y, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
  return (ax + t * dx - x) ** 2 + (ay + t * dy - y) ** 2;
}
