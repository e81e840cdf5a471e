// TensorFlow Playground links: lecturers' slides hold years of them. TF Playground writes its state into the
// address (`#activation=relu&networkShape=6,6,2&...`, and a pasted or hand-made link may carry the same keys as
// a query); this module translates those keys into this page's own query, checks every value against the
// server's schema (state.parseField: the bounds live in app/config.py only) and says in words what it
// translated, what has no equivalent here and which values it could not honour. It reads no DOM: the page
// hands it the address and writes the result (adoptTfLink below).

import { clip } from "./format.js";
import { parseField, readable } from "./state.js";

// TF's key -> our config field, the value spelled the same way (checked against the schema).
const SAME_VALUE = { activation: "activation", batchSize: "batch_size", learningRate: "learning_rate",
  regularizationRate: "reg_rate" };
// TF writes these as percentages, this page as fractions.
const PERCENT = { noise: "noise", percTrainData: "train_ratio" };
// TF's input features -> ours; TF starts with x and y on and every other input off.
const FEATURES = { x: "x1", y: "x2", xSquared: "x1sq", ySquared: "x2sq", xTimesY: "x1x2", sinX: "sin_x1",
  sinY: "sin_x2" };
const TF_FEATURES_ON = ["x", "y"];
// TF's page switches -> this page's query keys of the same meaning.
const PAGE_FLAGS = { showTestData: "test", discretize: "discretize" };
// TF's hidable controls (`<control>_hide=true`) -> our `hide=` names.
const HIDE = { showTestData: "test", discretize: "discretize", playButton: "play", stepButton: "step",
  resetButton: "reset", learningRate: "learning_rate", activation: "activation", regularization: "regularization",
  regularizationRate: "reg_rate", dataset: "dataset", percTrainData: "train_ratio", noise: "noise",
  batchSize: "batch_size", numHiddenLayers: "hidden" };
// TF keys this page has nothing for: they are named, never silently dropped.
const NO_EQUIVALENT = ["cosX", "cosY", "collectStats", "tutorial", "hideText"];
const TF_REGRESSION_SETS = ["reg-plane", "reg-gauss"];
// TF's start values (a link carries every key, most of them at these): this page's default scene starts from
// the same ones, so the notice names such keys briefly instead of listing each translation.
const TF_START = { activation: "tanh", regularization: "none", batchSize: 10, dataset: "circle", learningRate: 0.03,
  regularizationRate: 0, noise: 0, networkShape: "4,2", showTestData: false, discretize: false, percTrainData: 50,
  problem: "classification", initZero: false };
const OTHER_TF_KEYS = ["dataset", "regDataset", "networkShape", "seed", "problem", "initZero", "regularization"];

/** Every key of TF Playground's state (without the `_hide` flags). */
export const TF_KEYS = new Set([...Object.keys(SAME_VALUE), ...Object.keys(PERCENT), ...Object.keys(FEATURES),
  ...Object.keys(PAGE_FLAGS), ...NO_EQUIVALENT, ...OTHER_TF_KEYS]);
// TF keys that are also this page's own query keys: in a query they alone do not make a TF link.
export const SHARED_KEYS = new Set(["activation", "dataset", "noise", "seed", "regularization", "discretize"]);

const isHideFlag = (key) => key.endsWith("_hide") && key.length > 5;

/**
 * Whether an address part holds TF Playground keys. A hash is ours to read only as TF's state (the page keeps
 * nothing there), so any TF key counts; in a query a key this page shares with TF (activation, dataset, ...)
 * is read as ours, and only a key TF alone uses makes it a TF link.
 * @param {string} text location.hash ("#...") or location.search ("?...")
 */
export function hasTfKeys(text) {
  const hash = text.startsWith("#");
  for (const key of new URLSearchParams(text.slice(text[0] === "#" || text[0] === "?" ? 1 : 0)).keys()) {
    if (isHideFlag(key) || (TF_KEYS.has(key) && (hash || !SHARED_KEYS.has(key)))) return true;
  }
  return false;
}

// TF reads a switch as on unless it says "false"; its hide flags are on only as "true".
const tfOn = (raw) => raw !== "false";

/**
 * A TF seed string as this page's integer seed. TF writes its seeds as "0." and five digits: those digits are
 * the seed here (0.80199 -> 80199), short enough to read in the seed field and to recognise. Any other text
 * (a hand-made link) is hashed (FNV-1a), so one string always gives one start here.
 */
export function seedFromTf(text, max = 2 ** 31 - 1) {
  if (/^\d*\.?\d+$/.test(text.trim())) {
    const digits = Number(text.trim().replace(".", ""));
    if (Number.isSafeInteger(digits) && digits <= max) return digits;
  }
  let h = 2166136261;
  for (const ch of text) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h % (max + 1);
}

// A TF link being translated: TF's keys, the query being written and the notes for the notice.
class Reading {
  constructor(tf, schema) {
    this.tf = tf; // key -> raw value (TF reads the last of a repeated key)
    this.schema = schema;
    this.out = new URLSearchParams();
    this.notes = [];
  }

  note(kind, text) {
    this.notes.push({ kind, text });
  }

  /** TF uses a key only with a value: an empty one leaves its default. */
  given(key) {
    return this.tf.has(key) && this.tf.get(key).trim() !== "";
  }

  shown(key) {
    return `${key}=${clip(this.tf.get(key))}`;
  }

  /** Whether TF's value of `key` is TF's start value. */
  atStart(key) {
    const start = TF_START[key];
    const raw = this.tf.get(key).trim();
    if (typeof start === "boolean") return tfOn(raw) === start;
    if (typeof start === "number") return Number(raw) === start;
    return raw.replace(/\s/g, "") === start;
  }

  /** Set config `field` from TF's `key` if the schema accepts `value`; else name the value and the reason. */
  setField(key, field, value, how = "", from = this.shown(key)) {
    const r = parseField(this.schema, field, value);
    const target = `${field}=${clip(value)}`;
    const arrow = from === target ? from : `${from}${how} \u2192 ${target}`;
    if (r.error) this.note("refused", `${arrow} (${r.error})`);
    else {
      this.out.set(field, value);
      if (key in TF_START && this.atStart(key)) this.note("start", key);
      else this.note("translated", arrow);
    }
  }
}

/**
 * Translate TF Playground's keys into this page's query.
 * @param {string} text a TF hash or query ("#..." or "?..."; the leading mark is optional)
 * @param {object} schema JSON Schema of the session config (GET /api/schema)
 * @returns {{query: string, notes: {kind: "translated"|"start"|"none"|"refused", text: string}[]}} `query`
 *   (without "?"): the translated settings, then every key that is not TF's, unchanged (this page's parser
 *   judges those)
 */
export function translate(text, schema) {
  const tf = new Map();
  const rest = [];
  for (const [key, raw] of new URLSearchParams(text.replace(/^[#?]/, ""))) {
    if (TF_KEYS.has(key) || isHideFlag(key)) tf.set(key, raw);
    else rest.push([key, raw]);
  }
  const r = new Reading(tf, schema);
  // TF ignores an empty value (keeps its default): say that the key did nothing here either
  for (const [key, raw] of tf) {
    if (raw.trim() === "" && key !== "networkShape" && !isHideFlag(key)) {
      r.note("refused", `${key}= (empty: no value to use)`);
    }
  }
  readProblem(r);
  readSettings(r);
  readFeatures(r);
  readPage(r);
  for (const key of NO_EQUIVALENT) if (tf.has(key)) r.note("none", r.shown(key));
  for (const [key, raw] of rest) r.out.set(key, raw); // this page's own keys of the same link win
  return { query: readable(r.out.toString()), notes: r.notes };
}

/** The problem type picks the data set (TF keeps one per type in the link) and the output unit. */
function readProblem(r) {
  const problem = r.given("problem") ? r.tf.get("problem") : "classification";
  const regression = problem === "regression";
  if (!regression && problem !== "classification") {
    r.note("refused", `${r.shown("problem")} (must be classification or regression)`);
  } else if (!regression && r.given("problem")) r.note("start", "problem");
  // the set of the other problem type is unused, there and here
  const unused = regression ? "dataset" : "regDataset";
  const kind = regression ? "regression" : "classification";
  if (r.given(unused)) {
    if (r.tf.get(unused) === (regression ? TF_START.dataset : TF_REGRESSION_SETS[0])) r.note("start", unused);
    else r.note("translated", `${r.shown(unused)} (unused: the problem is ${kind}, as in TF)`);
  }
  if (!regression) {
    if (r.given("dataset")) r.setField("dataset", "dataset", r.tf.get("dataset"));
    return;
  }
  const set = r.given("regDataset") ? r.tf.get("regDataset") : TF_REGRESSION_SETS[0];
  if (!TF_REGRESSION_SETS.includes(set)) {
    const sets = TF_REGRESSION_SETS.join(", ");
    r.note("refused", `${r.shown("regDataset")} (TF Playground's regression sets are ${sets})`);
    return;
  }
  // TF fits regression with a linear output and squared error, as this page's regression pair does
  r.out.set("output", "linear");
  r.out.set("loss", "squared_error");
  r.setField("regDataset", "dataset", set, "", `problem=regression, regDataset=${set}`);
}

/** The network and training settings: names, percentages, the hidden widths, the seed, the init. */
function readSettings(r) {
  for (const [key, field] of Object.entries(SAME_VALUE)) {
    if (r.given(key)) r.setField(key, field, r.tf.get(key).trim());
  }
  // TF spells the penalties L1, L2
  const penalty = r.given("regularization") ? r.tf.get("regularization") : null;
  if (penalty !== null) r.setField("regularization", "regularization", penalty.toLowerCase());
  for (const [key, field] of Object.entries(PERCENT)) {
    if (!r.given(key)) continue;
    const v = Number(r.tf.get(key));
    if (!Number.isFinite(v)) r.note("refused", `${r.shown(key)} (must be a number, in percent)`);
    // 100 * 0.07 is not exactly 7 in binary: the fraction is rounded to 6 decimals, far below a slider step
    else r.setField(key, field, String(+(v / 100).toFixed(6)), " (TF's percent)");
  }
  if (r.tf.has("networkShape")) {
    // an empty list is a network without hidden layers (TF draws the inputs straight into the output)
    r.setField("networkShape", "hidden", r.tf.get("networkShape").split(",").map((s) => s.trim()).join(","));
  }
  if (r.given("seed")) {
    const prop = r.schema.properties.seed;
    const seed = seedFromTf(r.tf.get("seed"), (prop && prop.maximum) || 2 ** 31 - 1);
    r.out.set("seed", String(seed));
    r.note("translated", `${r.shown("seed")} \u2192 seed=${seed} (this page draws other random points than TF `
      + "from it)");
  }
  if (r.given("initZero")) r.setField("initZero", "init", tfOn(r.tf.get("initZero")) ? "zeros" : "playground");
}

/** TF's input switches: its defaults (x and y on) under the link's switches, in the schema's order. */
function readFeatures(r) {
  const keys = Object.keys(FEATURES).filter((k) => r.given(k));
  if (!keys.length) return; // TF's default inputs (x, y) are this page's default too
  const on = new Set(TF_FEATURES_ON);
  for (const k of keys) (tfOn(r.tf.get(k)) ? on.add(k) : on.delete(k));
  const wanted = Object.keys(FEATURES).filter((k) => on.has(k));
  const prop = r.schema.properties.features;
  const order = (prop && prop.items && prop.items.enum) || Object.values(FEATURES);
  const features = order.filter((f) => wanted.some((k) => FEATURES[k] === f)).join(",");
  const from = keys.map((k) => `${k}=${r.tf.get(k)}`).join(", ");
  if (!features) {
    r.note("refused", `${clip(from)} (no input left that exists here; the network keeps x1, x2)`);
    return;
  }
  const check = parseField(r.schema, "features", features);
  if (check.error) r.note("refused", `${clip(from)} \u2192 features=${features} (${check.error})`);
  else {
    r.out.set("features", features);
    if (wanted.join() === TF_FEATURES_ON.join()) r.note("start", `inputs (${wanted.join(", ")} on)`);
    else r.note("translated", `${wanted.join(", ")} on \u2192 features=${features}`);
  }
}

/** How the page looks: test points, discretized output, hidden controls. */
function readPage(r) {
  for (const [key, flag] of Object.entries(PAGE_FLAGS)) {
    if (!r.given(key)) continue;
    const on = tfOn(r.tf.get(key));
    if (on) r.out.set(flag, "1");
    if (r.atStart(key)) r.note("start", key);
    else r.note("translated", `${r.shown(key)} \u2192 ${flag}=${on ? 1 : 0}`);
  }
  const hide = [];
  const from = [];
  for (const [key, raw] of r.tf) {
    if (!isHideFlag(key) || raw !== "true") continue; // TF hides a control only for "true"
    const control = key.slice(0, -5);
    if (control in HIDE) {
      hide.push(HIDE[control]);
      from.push(key);
    } else if (control === "problem") r.note("none", `${key} (the data set picker here holds both problem types)`);
    else r.note("refused", `${clip(key)} (TF Playground has no control ${clip(control)})`);
  }
  if (hide.length) {
    r.out.set("hide", hide.join(","));
    r.note("translated", `${from.join(", ")} \u2192 hide=${hide.join(",")}`);
  }
}

/** The notice that tells the user what became of a TF link (the notes of translate). */
export function tfNotice(notes) {
  const of = (kind) => notes.filter((n) => n.kind === kind).map((n) => n.text);
  const parts = ["Opened a TensorFlow Playground link."];
  const translated = of("translated");
  if (translated.length) parts.push(`Translated: ${translated.join("; ")}.`);
  const start = of("start");
  if (start.length) parts.push(`At TF's start values, which this page starts from too: ${start.join(", ")}.`);
  const none = of("none");
  if (none.length) parts.push(`No equivalent here: ${none.join(", ")}.`);
  const refused = of("refused");
  if (refused.length) parts.push(`Not honoured (the start value stays): ${refused.join("; ")}.`);
  return parts.join(" ");
}

/**
 * Read a TF link from the address, if there is one, and rewrite the address to this page's own query (the hash
 * goes). Returns the notice text ("" when the address holds no TF keys).
 * @param {object} schema JSON Schema of the session config
 */
export function adoptTfLink(schema) {
  const { hash, search, pathname } = window.location;
  const inHash = hasTfKeys(hash);
  const inSearch = hasTfKeys(search);
  if (!inHash && !inSearch) return "";
  let r;
  if (inSearch) r = translate(inHash ? `${search}&${hash.slice(1)}` : search, schema);
  else {
    // a TF hash behind this page's own query (`?embed=1#activation=relu...`): the query's keys stay ours
    r = translate(hash, schema);
    const own = new URLSearchParams(search);
    const merged = new URLSearchParams(r.query);
    for (const [key, raw] of own) merged.set(key, raw);
    r = { ...r, query: readable(merged.toString()) };
  }
  history.replaceState(null, "", `${pathname}${r.query ? `?${r.query}` : ""}`);
  return tfNotice(r.notes);
}
