// The form that chooses what network B of a comparison changes: activation, hidden layers, output and loss,
// optimizer, learning rate, init, regularization; every field starts at "same as A". "Compare" sends B's
// partial config (`configure {compare: {...}}`), "Stop comparing" sends `compare: null`. The form stays open
// until the server confirms the comparison; a refusal (error field `compare.<key>`) is shown in the form, at
// the field it names.

import { grouped as groupedUnits, label as unitLabel } from "../activations.js";
import { el } from "../dom.js";
import { LEARNING_RATES, REG_RATES } from "./controls.js";

const SAME = "";
const LOSS_LABEL = { cross_entropy: "cross-entropy", squared_error: "squared error" };
const OPTIMIZER_LABEL = { sgd: "SGD", momentum: "Momentum", adam: "Adam" };

export class CompareForm {
  /**
   * @param {object} schema the config's JSON Schema (option lists)
   * @param {{apply: (compare: object|null) => boolean}} cb `apply` sends B's partial config (null: stop);
   *   false when it could not be sent
   */
  constructor(schema, { apply }) {
    this.schema = schema;
    this.apply = apply;
    this.config = null;
    this.sent = undefined; // what the last submit sent, until the server confirms or refuses it
    this.anchor = null;
    const select = (id, text) => el("select", { id, "aria-describedby": "compare-form-error" }, new Option(text, SAME));
    this.fields = {
      activation: select("cmp-activation", "same as A"),
      hidden: el("input", { id: "cmp-hidden", type: "text", inputmode: "numeric", autocomplete: "off", spellcheck: "false",
        "aria-describedby": "compare-form-error cmp-hidden-hint" }),
      output: select("cmp-output", "same as A"),
      optimizer: select("cmp-optimizer", "same as A"),
      learning_rate: select("cmp-learning_rate", "same as A"),
      init: select("cmp-init", "same as A"),
      regularization: select("cmp-regularization", "same as A"),
      reg_rate: select("cmp-reg_rate", "same as A"),
    };
    const f = this.fields;
    for (const v of enumOf(schema, "optimizer")) f.optimizer.append(new Option(OPTIMIZER_LABEL[v] || v, v));
    for (const v of LEARNING_RATES) f.learning_rate.append(new Option(String(v), String(v)));
    for (const v of enumOf(schema, "init")) f.init.append(new Option(v, v));
    for (const v of enumOf(schema, "regularization")) f.regularization.append(new Option(v === "none" ? "None" : v.toUpperCase(), v));
    for (const v of REG_RATES) f.reg_rate.append(new Option(String(v), String(v)));
    const row = (label, id, ...controls) => el("div", { class: "row" }, el("label", { for: id, text: label }), ...controls);
    this.error = el("p", { id: "compare-form-error", class: "compare-error", role: "alert" });
    this.form = el("form", { class: "compare-form-fields", onsubmit: (e) => this.submit(e) },
      el("p", { class: "compare-form-title", text: "Network B: what differs from A" }),
      row("Activation", "cmp-activation", f.activation),
      row("Hidden layers", "cmp-hidden", f.hidden),
      el("p", { id: "cmp-hidden-hint", class: "hint", text: "Units per layer, e.g. 8,8,8; \u201cnone\u201d: no hidden layer" }),
      row("Output / loss", "cmp-output", f.output),
      row("Optimizer", "cmp-optimizer", f.optimizer),
      row("Learning rate", "cmp-learning_rate", f.learning_rate),
      row("Init", "cmp-init", f.init),
      row("Regularizer", "cmp-regularization", f.regularization),
      row("Reg. rate", "cmp-reg_rate", f.reg_rate),
      this.error,
      el("div", { class: "editor-actions" },
        el("button", { type: "submit", id: "compare-apply", text: "Compare" }),
        this.stopButton = el("button", { type: "button", id: "compare-form-stop", text: "Stop comparing", onclick: () => this.stop() }),
        el("button", { type: "button", text: "Cancel", onclick: () => this.close() })));
    this.pop = el("div", { id: "compare-form", class: "popover compare-form", role: "dialog", "aria-label": "Compare with network B", hidden: true }, this.form);
    document.body.append(this.pop);
    this.pop.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
      e.stopPropagation(); // typing in the form is not the page's shortcuts (space plays, s steps)
    });
  }

  /** Option lists known once the server has said hello: the hidden units and the output/loss pairs. */
  setLimits(limits) {
    this.limits = limits;
    for (const g of groupedUnits(limits.activations || [])) {
      const og = el("optgroup", { label: g.title });
      for (const name of g.names) og.append(new Option(unitLabel(name), name));
      this.fields.activation.append(og);
    }
    for (const [o, l] of limits.pairs || []) this.fields.output.append(new Option(`${o} + ${LOSS_LABEL[l] || l}`, `${o}+${l}`));
  }

  /** The server's config: once it carries what the form sent, the form's work is done. */
  setConfig(config) {
    this.config = config;
    if (this.sent !== undefined && JSON.stringify(config.compare ?? null) === JSON.stringify(this.sent)) {
      this.sent = undefined;
      this.close();
    }
  }

  /** Open the form under `anchor`, filled with the comparison the session has (or all "same as A"). */
  open(anchor) {
    this.anchor = anchor;
    const b = (this.config && this.config.compare) || {};
    const f = this.fields;
    setSelect(f.activation, typeof b.activation === "string" ? b.activation : SAME);
    f.hidden.value = Array.isArray(b.hidden) ? (b.hidden.length ? b.hidden.join(",") : "none") : "";
    f.hidden.placeholder = `same as A (${this.config && this.config.hidden.length ? this.config.hidden.join(",") : "none"})`;
    setSelect(f.output, b.output ? `${b.output}+${b.loss || this.natural(b.output)}` : SAME);
    for (const k of ["optimizer", "init", "regularization"]) setSelect(f[k], b[k] ?? SAME);
    for (const k of ["learning_rate", "reg_rate"]) setSelect(f[k], b[k] === undefined ? SAME : String(b[k]));
    this.stopButton.hidden = !(this.config && this.config.compare);
    this.showError(null);
    this.pop.hidden = false;
    const r = anchor.getBoundingClientRect();
    const box = this.pop.getBoundingClientRect();
    this.pop.style.left = `${Math.max(4, Math.min(r.left, innerWidth - box.width - 4))}px`;
    this.pop.style.top = `${Math.max(4, Math.min(r.bottom + 4, innerHeight - box.height - 4))}px`;
    f.activation.focus();
  }

  close() {
    if (this.pop.hidden) return;
    this.pop.hidden = true;
    if (this.anchor && this.anchor.isConnected) this.anchor.focus();
  }

  /** The loss an output unit pairs with when a pair is named by its output alone. */
  natural(output) {
    const pair = ((this.limits && this.limits.pairs) || []).find(([o]) => o === output);
    return pair ? pair[1] : "";
  }

  /** B's partial config from the fields, or {error, field} naming the field that is wrong. */
  read() {
    const f = this.fields;
    const b = {};
    if (f.activation.value !== SAME) b.activation = f.activation.value;
    const hidden = f.hidden.value.trim();
    if (hidden !== "") {
      const r = parseHidden(hidden, this.limits);
      if (r.error) return { error: `Hidden layers: ${r.error}`, field: "hidden" };
      b.hidden = r.value;
    }
    if (f.output.value !== SAME) [b.output, b.loss] = f.output.value.split("+");
    for (const k of ["optimizer", "init", "regularization"]) if (f[k].value !== SAME) b[k] = f[k].value;
    for (const k of ["learning_rate", "reg_rate"]) if (f[k].value !== SAME) b[k] = Number(f[k].value);
    // A's per-layer activation list has A's depth: B of another depth takes one unit for all its layers
    const a = this.config && this.config.activation;
    if (b.hidden && !b.activation && Array.isArray(a) && b.hidden.length !== a.length) {
      if (new Set(a).size > 1) {
        return { error: `Activation: A has one per layer (${a.join(", ")}); choose B's for its ${b.hidden.length} layers`, field: "activation" };
      }
      if (a.length) b.activation = a[0];
    }
    return { value: b };
  }

  submit(e) {
    e.preventDefault();
    const r = this.read();
    if (r.error) {
      this.showError(r.error, r.field);
      return;
    }
    this.showError(null);
    this.sent = r.value;
    if (!this.apply(r.value)) this.showError("The server cannot be reached: nothing was sent.");
  }

  stop() {
    this.sent = null;
    if (!this.apply(null)) this.showError("The server cannot be reached: nothing was sent.");
  }

  /** A refused configure: shown at the field it names (`compare.<key>`) when the form is open. */
  onError(msg) {
    const field = (msg.field || "").replace(/^config\./, "");
    if (!field.startsWith("compare")) return;
    this.sent = undefined;
    const key = field.split(".")[1] || null;
    this.showError(msg.message, key === "loss" ? "output" : key);
  }

  showError(text, field = null) {
    this.error.textContent = text || "";
    for (const [k, control] of Object.entries(this.fields)) {
      if (k === field && text) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
    if (text && field && this.fields[field] && !this.pop.hidden) this.fields[field].focus();
  }
}

/**
 * "8,8,8" as hidden layer sizes, "none" as no hidden layer.
 * @returns {{value: number[]} | {error: string}}
 */
export function parseHidden(text, limits = {}) {
  if (/^none$/i.test(text)) return { value: [] };
  const maxUnits = (limits && limits.max_units) || 64;
  const maxLayers = (limits && limits.max_hidden_layers) || 8;
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const value = [];
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > maxUnits) return { error: `"${p}" is not a number of units from 1 to ${maxUnits}` };
    value.push(n);
  }
  if (value.length > maxLayers) return { error: `at most ${maxLayers} layers` };
  return { value };
}

function enumOf(schema, name) {
  const p = schema.properties[name] || {};
  if (p.enum) return p.enum;
  for (const b of p.anyOf || []) if (b.enum) return b.enum;
  return [];
}

function setSelect(sel, value) {
  const v = String(value);
  if (![...sel.options].some((o) => o.value === v)) sel.append(new Option(v, v));
  sel.value = v;
}
