// The setting controls of the top bar and the data column, and the activation picker. Options and bounds come
// from the server's schema; every change is reported as {field: value} through one callback.

import { grouped, label as unitLabel, plotUnit, UNITS } from "../activations.js";
import { classCss, divergingCss } from "../colors.js";

export const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
export const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const LOSS_LABEL = { cross_entropy: "cross-entropy", squared_error: "squared error" };
const DATASET_LABEL = { "reg-plane": "plane (reg.)", "reg-gauss": "gauss (reg.)", user: "yours" };
const DATASET_NAME = { user: "your points" }; // what a screen reader and the tooltip say, where the tile is short

const $ = (id) => document.getElementById(id);

export class Controls {
  /**
   * @param {object} schema JSON Schema of the config (option lists and bounds)
   * @param {(patch: object, meta?: object) => void} onChange gets {field: value} for every user change
   */
  constructor(schema, onChange) {
    this.schema = schema;
    this.onChange = onChange;
    this.config = {};
    this.pairs = [];
    this.enumOf = (name) => enumOf(schema, name);
    fillSelect($("steps_per_frame"), SPEEDS.map((v) => [v, String(v)]));
    fillSelect($("learning_rate"), LEARNING_RATES.map((v) => [v, String(v)]));
    fillSelect($("reg_rate"), REG_RATES.map((v) => [v, String(v)]));
    fillSelect($("regularization"), this.enumOf("regularization").map((v) => [v, v === "none" ? "None" : v.toUpperCase()]));
    fillSelect($("optimizer"), this.enumOf("optimizer").map((v) => [v, { sgd: "SGD", momentum: "Momentum", adam: "Adam" }[v] || v]));
    fillSelect($("init"), this.enumOf("init").map((v) => [v, v]));
    const cls = schema.properties.classes || {};
    const kmax = cls.maximum || 6;
    fillSelect($("classes"), Array.from({ length: kmax - (cls.minimum || 2) + 1 }, (_, i) => [i + (cls.minimum || 2), String(i + (cls.minimum || 2))]));
    const noise = schema.properties.noise || {};
    $("noise").max = String(Math.min(noise.maximum ?? 0.5, 0.5));
    const ratio = schema.properties.train_ratio || {};
    $("train_ratio").min = String(ratio.minimum ?? 0.1);
    const seed = schema.properties.seed || {};
    $("seed").max = String(seed.maximum ?? 2147483647);

    const numeric = (id, parse = Number) => $(id).addEventListener("change", () => this.emit(id, parse($(id).value)));
    for (const id of ["steps_per_frame", "learning_rate", "reg_rate"]) numeric(id);
    $("classes").addEventListener("change", () => {
      const k = Number($("classes").value);
      // three or more classes need the softmax output: switch it along rather than have the change refused
      const output = k > 2 && this.config.output !== "softmax" ? { output: "softmax", loss: "cross_entropy" } : {};
      this.emit({ classes: k, ...output });
    });
    for (const id of ["regularization", "optimizer", "init"]) $(id).addEventListener("change", () => this.emit(id, $(id).value));
    for (const id of ["train_ratio", "noise", "batch_size"]) {
      $(id).addEventListener("input", () => this.showRange(id));
      numeric(id);
    }
    // Optimizer coefficients: numbers in [0, 1); anything else is put back to the current value rather
    // than sent (the server would refuse it, naming the field, but the box should not show a wrong number).
    for (const id of ["momentum", "beta1", "beta2"]) {
      $(id).addEventListener("change", () => {
        const v = Number($(id).value);
        if ($(id).value !== "" && Number.isFinite(v) && v >= 0 && v < 1) this.emit(id, v);
        else $(id).value = String(this.config[id]);
      });
    }
    $("nesterov").addEventListener("change", () => this.emit("nesterov", $("nesterov").checked));
    $("seed").addEventListener("change", () => {
      const v = Number($("seed").value);
      if (Number.isInteger(v) && v >= 0) this.emit("seed", v);
      else $("seed").value = String(this.config.seed);
    });
    $("output").addEventListener("change", () => {
      const [output, loss] = $("output").value.split("+");
      // the user's own choice: a later dataset change keeps it (model.js, problem type)
      this.onChange({ output, loss }, { chosenOutput: true });
    });
    this.picker = new ActivationPicker(enumOfActivation(schema), (name) => this.emit("activation", name));
    // the class a click on the plot adds while the dataset is "user" (page state, not a config field)
    this.pointClass = 1;
    for (const k of [0, 1]) $(`point-class-${k}`).addEventListener("click", () => this.setPointClass(k));
    this.setPointClass(this.pointClass);
  }

  /** Whether the class buttons apply (the plot edits the points): not for an uploaded set the plot leaves be. */
  showPointClasses(on) {
    for (const el of $("points-editor").querySelectorAll(".label, .point-class")) el.hidden = !on;
  }

  /** Choose the class (0 orange, 1 blue) the points editor adds on a plain click. */
  setPointClass(k) {
    this.pointClass = k;
    for (const j of [0, 1]) $(`point-class-${j}`).setAttribute("aria-checked", String(j === k));
  }

  emit(field, value) {
    const patch = typeof field === "object" ? field : { [field]: value };
    this.onChange(patch);
  }

  /** Names of datasets and output/loss pairs, known once the server has said hello. */
  setLimits(limits) {
    this.pairs = limits.pairs || [];
    fillSelect($("output"), this.pairs.map(([o, l]) => [`${o}+${l}`, `${o} + ${LOSS_LABEL[l] || l}`]));
    this.datasetInfo = limits.dataset_info || {};
    // "user" is made of the points placed on the plot (custom_points): its tile comes after the generated sets
    const names = limits.datasets || this.enumOf("dataset");
    this.datasetNames = names.filter((n) => n !== "user").concat(names.includes("user") ? ["user"] : []);
    this.buildDatasets();
  }

  buildDatasets() {
    const box = $("datasets");
    box.replaceChildren();
    this.tiles = {};
    for (const name of this.datasetNames) {
      const b = document.createElement("button");
      b.className = "dataset";
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", "false");
      b.setAttribute("aria-label", `Dataset ${DATASET_NAME[name] || name}`);
      b.dataset.name = name;
      const info = this.datasetInfo[name];
      b.title = info && info.description ? `${DATASET_NAME[name] || name}: ${info.description}` : name;
      const c = document.createElement("canvas");
      c.width = 48;
      c.height = 48;
      const s = document.createElement("span");
      s.textContent = DATASET_LABEL[name] || name;
      b.append(c, s);
      b.addEventListener("click", () => this.emit("dataset", name));
      box.append(b);
      this.tiles[name] = c;
    }
  }

  /**
   * Draw a dataset thumbnail from the real generator's points.
   * @param {string} name @param {{points: number[][], box: number[], classes: number, regression: boolean}} d
   */
  drawTile(name, d) {
    const c = this.tiles && this.tiles[name];
    if (!c || !d.box || !d.points || !d.points.length) return;
    const labels = d.points.map((p) => p[2]);
    const hi = Math.max(...labels);
    const lo = Math.min(...labels);
    const colorOf = d.regression ? (v) => divergingCss((2 * v - lo - hi) / (hi - lo || 1))
      : d.classes > 2 ? (k) => classCss(k) : (v) => divergingCss(v >= hi ? 1 : -1);
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const [blo, bhi] = d.box;
    const step = Math.max(1, Math.floor(d.points.length / 250));
    for (let i = 0; i < d.points.length; i += step) {
      const [x1, x2, label] = d.points[i];
      ctx.fillStyle = colorOf(label);
      ctx.fillRect(((x1 - blo) / (bhi - blo)) * c.width - 1, ((bhi - x2) / (bhi - blo)) * c.height - 1, 2.5, 2.5);
    }
  }

  /** The batch slider ends at the training-set size (the server refuses larger batches), at most 64. */
  setTrainSize(n) {
    const max = Math.max(1, Math.min(64, n));
    $("batch_size").max = String(max);
    if (this.config.batch_size !== undefined) $("batch_size").value = String(this.config.batch_size);
    this.showRange("batch_size");
  }

  /** Show a config (the effective one from the server, or the local one after a change). */
  set(config) {
    this.config = config;
    setSelect($("steps_per_frame"), config.steps_per_frame);
    setSelect($("learning_rate"), config.learning_rate);
    setSelect($("reg_rate"), config.reg_rate);
    setSelect($("regularization"), config.regularization);
    setSelect($("optimizer"), config.optimizer);
    setSelect($("init"), config.init);
    this.showOptimizerParams(config);
    setSelect($("classes"), config.classes);
    const loss = config.loss || (this.pairs.find(([o]) => o === config.output) || [])[1];
    setSelect($("output"), `${config.output}+${loss}`);
    for (const id of ["train_ratio", "noise", "batch_size"]) {
      if (config[id] !== undefined) $(id).value = String(config[id]);
      this.showRange(id);
    }
    // a config echo must not overwrite a number the user is typing (it would be lost on Enter)
    if (document.activeElement !== $("seed")) $("seed").value = String(config.seed);
    const acts = Array.isArray(config.activation) ? config.activation : [config.activation];
    this.picker.set(acts.every((a) => a === acts[0]) ? acts[0] : null);
    $("reg_rate").disabled = config.regularization === "none";
    for (const b of $("datasets").querySelectorAll(".dataset")) {
      b.setAttribute("aria-checked", String(b.dataset.name === config.dataset));
    }
    // the number of classes is a choice only for the datasets whose K varies; the points editor places two
    const user = config.dataset === "user";
    $("points-editor").hidden = !user;
    const info = (this.datasetInfo || {})[config.dataset];
    const range = !user && info && info.class_range;
    $("classes").disabled = !range;
    for (const o of $("classes").options) o.disabled = Boolean(range) && (+o.value < range[0] || +o.value > range[1]);
  }

  /** The coefficients of the chosen optimizer: beta and Nesterov for momentum, beta1 and beta2 for Adam. */
  showOptimizerParams(config) {
    for (const box of document.querySelectorAll(".opt-params [data-for]")) {
      box.hidden = box.dataset.for !== config.optimizer;
    }
    for (const id of ["momentum", "beta1", "beta2"]) {
      if (config[id] !== undefined && document.activeElement !== $(id)) $(id).value = String(config[id]);
    }
    $("nesterov").checked = Boolean(config.nesterov);
  }

  showRange(id) {
    const v = Number($(id).value);
    $(`${id}-out`).textContent = id === "train_ratio" ? `${Math.round(v * 100)}%` : id === "noise" ? String(Math.round(v * 100)) : String(v);
  }
}

/** A button that opens a grouped list of hidden units with a g / g' plot of the one under the pointer. */
class ActivationPicker {
  constructor(names, onPick) {
    this.button = $("activation");
    this.pop = $("picker-pop");
    this.list = $("picker-list");
    this.onPick = onPick;
    this.value = null;
    this.items = [];
    for (const g of grouped(names)) {
      const head = document.createElement("div");
      head.className = "group";
      head.textContent = g.title;
      head.setAttribute("role", "presentation");
      this.list.append(head);
      for (const name of g.names) {
        const b = document.createElement("button");
        b.setAttribute("role", "option");
        b.dataset.name = name;
        b.textContent = unitLabel(name);
        b.addEventListener("mouseenter", () => this.preview(name));
        b.addEventListener("focus", () => this.preview(name));
        b.addEventListener("click", () => {
          this.close();
          this.onPick(name);
        });
        this.list.append(b);
        this.items.push(b);
      }
    }
    this.button.addEventListener("click", () => (this.pop.hidden ? this.open() : this.close()));
    this.pop.addEventListener("keydown", (e) => {
      e.stopPropagation();
      const i = this.items.indexOf(document.activeElement);
      if (e.key === "Escape") this.close();
      else if (e.key === "ArrowDown") this.items[Math.min(this.items.length - 1, i + 1)].focus();
      else if (e.key === "ArrowUp") this.items[Math.max(0, i - 1)].focus();
      else return;
      e.preventDefault();
    });
    document.addEventListener("mousedown", (e) => {
      if (!this.pop.hidden && !this.pop.contains(e.target) && e.target !== this.button) this.close();
    });
  }

  set(name) {
    this.value = name;
    this.button.textContent = name ? unitLabel(name) : "per layer";
    for (const b of this.items) b.setAttribute("aria-selected", String(b.dataset.name === name));
  }

  open() {
    const r = this.button.getBoundingClientRect();
    this.pop.hidden = false;
    this.pop.style.left = `${Math.min(window.innerWidth - this.pop.offsetWidth - 8, r.left)}px`;
    this.pop.style.top = `${r.bottom + 6}px`;
    this.button.setAttribute("aria-expanded", "true");
    const current = this.items.find((b) => b.dataset.name === this.value) || this.items[0];
    current.focus();
    this.preview(current.dataset.name);
  }

  close() {
    if (this.pop.hidden) return;
    this.pop.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    this.button.focus();
  }

  preview(name) {
    plotUnit($("picker-plot"), name);
    $("picker-note").textContent = UNITS[name] ? UNITS[name][4] : "";
  }
}

function enumOf(schema, name) {
  const p = schema.properties[name] || {};
  if (p.enum) return p.enum;
  for (const b of p.anyOf || []) if (b.enum) return b.enum;
  return [];
}

function enumOfActivation(schema) {
  const p = schema.properties.activation || {};
  for (const b of p.anyOf || [p]) {
    if (b.enum) return b.enum;
    if (b.items && b.items.enum) return b.items.enum;
  }
  return Object.keys(UNITS);
}

function fillSelect(sel, options) {
  sel.replaceChildren(...options.map(([v, text]) => new Option(text, String(v))));
}

/** Select a value, adding it as an option if a link carried a value the list does not offer. */
function setSelect(sel, value) {
  if (value === undefined || value === null) return;
  const v = String(value);
  if (![...sel.options].some((o) => o.value === v)) sel.append(new Option(v, v));
  sel.value = v;
}
