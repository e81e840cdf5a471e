// The page model: what the page holds of its session, with no DOM. The config as the server last confirmed
// it plus the user's unconfirmed changes (and how to roll them back), the page-only settings of the URL, the
// live fields (from the server's welcome.limits), the problem-type rule for the output unit, and the
// parameters of the last frame, which restore a network the server lost in a restart.

import { defaults } from "./state.js";
import { withUserPoints } from "./userPoints.js";

// TensorFlow Playground's regression pair: a linear output fitted by squared error.
const REGRESSION_PAIR = { output: "linear", loss: "squared_error" };
const FITS_REGRESSION = new Set(["linear", "tanh"]); // outputs the server accepts for a regression set

export class PageModel {
  /**
   * @param {object} schema JSON Schema of the session config
   * @param {object[]} scenes the scene list of /api/scenes @param {string|null} defaultScene
   */
  constructor(schema, scenes, defaultScene) {
    this.schema = schema;
    this.scenes = scenes;
    this.defaultScene = defaultScene;
    this.limits = null;
    this.live = new Set(); // config fields a change applies without rebuilding (welcome.limits.live_fields)
    this.config = {};
    this.ui = null;
    this.session = null;
    this.state = "paused";
    this.step = 0;
    this.pending = new Map(); // field -> value before a change the server has not confirmed yet
    this.userPoints = null; // the last points of the "user" dataset the server held: the tile goes back to them
    // what those points are: a regression target or classes, and their box (an upload's own), kept with them
    // because a scene or another dataset replaces the config's custom_regression and custom_box
    this.userKind = { regression: false, box: null };
    this.dataset = null; // the last `dataset` message
    this.params = null; // {step, weights, biases, unit_params} of the last frame
    this.restoring = null; // {step, left} while restore messages are unanswered
    // Whether the output unit is the user's (or the link's) choice; if not, the dataset's problem type picks
    // it as TF Playground does, and `classificationPair` remembers what a regression set replaced.
    this.outputChosen = false;
    this.classificationPair = null;
  }

  /**
   * Start from a parsed link (state.parseQuery): its values over the schema defaults.
   * @param {{config: object, ui: object}} parsed
   */
  start(parsed) {
    this.ui = parsed.ui;
    this.config = { ...defaults(this.schema), ...parsed.config };
    const out = parsed.config.output;
    // a link to a regression set with the linear pair says no more than the rule would: not a choice
    this.outputChosen = "output" in parsed.config && !(out === "linear" && parsed.config.loss !== "cross_entropy");
  }

  setLimits(limits) {
    this.limits = limits;
    this.live = new Set(limits.live_fields || []);
  }

  sceneNamed(name) {
    return this.scenes.find((s) => s.name === name) || null;
  }

  /** What an address without config values starts: the schema defaults under the (default) scene's config. */
  baseConfig() {
    const scene = this.sceneNamed(this.ui.scene || this.defaultScene);
    return { ...defaults(this.schema), ...(scene ? scene.config : {}) };
  }

  isRegression(dataset) {
    const info = this.limits && this.limits.dataset_info && this.limits.dataset_info[dataset];
    return Boolean(info && info.regression);
  }

  activations(config = this.config) {
    const a = config.activation;
    return Array.isArray(a) ? a : config.hidden.map(() => a);
  }

  /** Output units of the network: K for softmax (the dataset's classes once known), else 1. */
  outputs() {
    const c = this.config;
    if (c.output === "softmax") return Math.max(2, this.dataset ? this.dataset.classes : c.classes);
    return 1;
  }

  /**
   * Apply a user change locally; returns the complete patch to send in a `configure`.
   * @param {object} patch @param {{chosenOutput?: boolean}} meta chosenOutput: the user picked the output
   */
  change(patch, meta = {}) {
    if (meta.chosenOutput) {
      this.outputChosen = true;
      this.classificationPair = null;
    }
    patch = withUserPoints(this.config, this.withProblemType(patch), this.userPoints, this.userKind);
    for (const [k, v] of Object.entries(patch)) {
      if (!this.pending.has(k)) this.pending.set(k, this.config[k]);
      this.config[k] = v;
    }
    // A change that rebuilds the network leaves a scene's hand-set weights behind: the link must not claim them.
    // A scene without hand-set weights (xor-learned's seeds, the activation gallery) is its config and its
    // panel: the link keeps scene= and names the changed fields, which reproduces both.
    const scene = this.sceneNamed(this.ui.scene);
    if (scene && scene.parameters && Object.keys(patch).some((k) => !this.live.has(k))) this.ui.scene = null;
    return patch;
  }

  /**
   * The output a dataset change brings along: a regression set gets the linear + squared-error pair unless the
   * user chose an output that fits it; going back to a classification set restores the pair it replaced.
   */
  withProblemType(patch) {
    if (!("dataset" in patch) || "output" in patch || !this.limits) return patch;
    const to = this.isRegression(patch.dataset);
    const from = this.isRegression(this.config.dataset);
    const out = this.config.output;
    if (to && !from) {
      if (out === REGRESSION_PAIR.output || (this.outputChosen && FITS_REGRESSION.has(out))) return patch;
      this.classificationPair = { output: out, loss: this.config.loss };
      return { ...patch, ...REGRESSION_PAIR };
    }
    if (!to && from && this.classificationPair && !this.outputChosen) {
      const pair = this.classificationPair;
      this.classificationPair = null;
      return { ...patch, ...pair };
    }
    return patch;
  }

  /** The patch that gives a first session on a regression set its pair (null when none is needed). */
  startPair() {
    const c = this.config;
    if (!this.isRegression(c.dataset) || this.outputChosen || c.output === REGRESSION_PAIR.output) return null;
    this.classificationPair = { output: c.output, loss: c.loss };
    return { ...REGRESSION_PAIR };
  }

  /** The server's effective config (welcome, config): every pending change is settled. */
  confirm(config) {
    this.pending.clear();
    this.config = { ...config };
    if (Array.isArray(config.custom_points)) {
      this.userPoints = config.custom_points;
      this.userKind = { regression: Boolean(config.custom_regression), box: config.custom_box || null };
    }
    // the points are part of what the page shows (and of its link) only while the dataset is "user"
    if (config.dataset !== "user") delete this.config.custom_points;
  }

  /**
   * A refused configure changes nothing on the server: put every unconfirmed field back.
   * @returns {boolean} whether anything was rolled back
   */
  rollback(error) {
    const field = error.field ? error.field.replace(/^config\./, "").split(".")[0] : null;
    // (before the first welcome there is no server state to go back to: the welcome that follows sets it)
    if (!this.session || !(error.code === "invalid_config" || (field && this.pending.has(field)))) return false;
    for (const [k, v] of this.pending) this.config[k] = v;
    this.pending.clear();
    return true;
  }

  /** Keep a frame's parameters: the network as the page last saw it. */
  remember(header) {
    if (!header.weights) return;
    this.params = { step: header.step, weights: header.weights, biases: header.biases, unit_params: header.unit_params };
    // network B of a comparison: put back after A's layers, at A's step (docs/protocol.md, Compare)
    const b = header.compare;
    if (b && b.weights) this.params.b = { weights: b.weights, biases: b.biases, unit_params: b.unit_params };
  }

  /**
   * The `restore` messages (one per layer) that give a fresh session the network last seen.
   * @returns {{messages: object[]} | {error: string}} the messages, or why there is nothing to give back
   */
  beginRestore() {
    const p = this.params;
    const finite = (v) => (Array.isArray(v) ? v.every(finite) : Number.isFinite(v));
    if (!p) return { error: "no frame of it had arrived" };
    if (!finite(p.weights) || !finite(p.biases)) return { error: "it had diverged" };
    // numbers in JSON are ASCII: a message's length is its size in bytes
    const most = (this.limits && this.limits.max_message_bytes) || Infinity;
    // Each value with 9 significant digits, which give back a frame's float32 value exactly (the maps the
    // page showed were drawn from those); a layer too large for one message so goes with the 4 decimals of
    // the JSON form (docs/protocol.md, "Parameters as one array").
    const digits = [(v) => Number(v.toPrecision(9)), (v) => Number(v.toFixed(4))];
    const written = (v, write) => (Array.isArray(v) ? v.map((x) => written(x, write)) : typeof v === "number" ? write(v) : v);
    const layer = (net, l, network, write) => ({
      type: "restore", step: p.step, layer: l, weights: written(net.weights[l], write),
      biases: written(net.biases[l], write),
      unit_params: Object.fromEntries(Object.entries((net.unit_params && net.unit_params[l]) || {})
        .map(([k, v]) => [k, written(v, write)])),
      ...(network ? { network } : {}),
      frame: false, // the last message says true (below); false is as long, so the size check holds
    });
    const fitting = (net, l, network) => {
      for (const write of digits) {
        const m = layer(net, l, network, write);
        if (JSON.stringify(m).length <= most) return m;
      }
      return null;
    };
    const layers = (net, network) => net.weights.map((_, l) => fitting(net, l, network));
    // a B that diverged has nothing to give back: it starts again from its initial weights
    const b = p.b && finite(p.b.weights) && finite(p.b.biases) ? layers(p.b, "b") : [];
    const messages = layers(p, null).concat(b);
    if (messages.some((m) => m === null)) return { error: "a layer is too large for one message" };
    // one frame, of the whole network, after the last layer: a frame costs a grid pass of the network
    messages.forEach((m, i) => { m.frame = i === messages.length - 1; });
    this.restoring = { step: p.step, left: messages.length };
    return { messages };
  }

  /** A `state` or `error` during a restore; returns "done", "failed" or null (still waiting). */
  restoreAnswer(msg) {
    const r = this.restoring;
    if (!r) return null;
    if (msg.type === "error") {
      this.restoring = null;
      return "failed";
    }
    if (msg.type === "state" && msg.step === r.step) {
      r.left -= 1;
      if (r.left === 0) {
        this.restoring = null;
        return "done";
      }
    }
    return null;
  }
}
