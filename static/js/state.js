// Owns the URL: every setting lives in the query string. Values are checked against the server's JSON Schema
// of the session config (GET /api/schema), so the bounds exist in one place only (app/config.py). Invalid
// values are dropped and reported by name; the page then starts from the remaining valid ones.

import { clip } from "./format.js";

// A number as a link may write it (a whole number of any length, decimals, an exponent).
const NUMERAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

/** Query keys that are not config fields: how the page looks, not what the session trains. */
export const UI_KEYS = {
  embed: "boolean",
  edit: "boolean", // embedded: also show structure editing (+/- layers and units, init, per-layer selects)
  hide: "list",
  scene: "string",
  regions: "boolean",
  test: "boolean",
  discretize: "boolean",
};

// Config fields the generic parser never reads: custom_points and compare have their own forms (below).
const NOT_IN_URL = new Set(["custom_points", "compare"]);

// ---- the "user" dataset's points in a link -------------------------------------------------------
// `custom_points=1.5,2,1;-3,0.25,0`: x1,x2,label per point, points joined by ";". Two decimals are a
// twentieth of a pixel on the 12-unit box, and the editor places points with two decimals, so a link
// reproduces them exactly. Only written while the dataset is "user" (other datasets ignore the points).

/** The view box of the "user" dataset (the engine's 2-D box): points outside it could not be seen. */
export const USER_BOX = [-6, 6];
/** Labels the editor places: 0 (orange) and 1 (blue). */
export const USER_LABELS = [0, 1];
// The hello carries the points and the server closes the socket on a message over 64 KiB (1009), after
// which the page would reconnect with the same hello forever: a link's points must leave room for the rest.
export const MAX_POINTS_JSON = 48_000;
// The longest `custom_points` value a written link carries. A link is a request line, and nginx (the proxy
// of docs/deploy.md) refuses one over its default 8 KB buffer with 414: what is longer is left out of the
// link, which says so (`custom_points=N-not-in-link`, below), never silently dropped.
export const MAX_LINK_POINTS = 7000;
const LEFT_OUT = /^(\d+)-not-in-link$/;
// Config fields of an uploaded "user" set (its view box, a regression target): in a link only with its points.
const USER_ONLY = new Set(["custom_box", "custom_regression"]);
const MAX_LABEL = 5; // labels 0..5: the engine's six classes

const round2 = (v) => Math.round(v * 100) / 100;

/**
 * Encode points for the query string (inverse of parsePoints). The editor's points have two decimals;
 * uploaded points (`exact`) keep every digit, since their box can be any size.
 */
export function formatPoints(points, exact = false) {
  const num = exact ? String : round2;
  return points.map(([x1, x2, label]) => `${num(x1)},${num(x2)},${exact ? String(label) : label}`).join(";");
}

/** Whether a config's points came from a file (they bring their own box): links keep their every digit. */
const uploaded = (config) => Array.isArray(config.custom_box);

/**
 * How many points of the "user" dataset a link of `config` cannot carry: all of them when their list is
 * longer than MAX_LINK_POINTS, else 0.
 */
export function pointsLeftOut(config) {
  if (config.dataset !== "user" || !Array.isArray(config.custom_points)) return 0;
  const text = formatPoints(config.custom_points, uploaded(config));
  return text.length > MAX_LINK_POINTS ? config.custom_points.length : 0;
}

/**
 * Parse a `custom_points` query value. The editor's points lie in USER_BOX with labels 0 and 1; uploaded
 * ones (`rules.box`, the link's custom_box) in that box with labels 0..5, or any number for a regression.
 * @param {string} raw @param {number} maxItems the schema's bound on the list
 * @param {{box?: number[]|null, regression?: boolean}} rules
 * @returns {{value: number[][]} | {error: string}}
 */
export function parsePoints(raw, maxItems = Infinity, rules = {}) {
  const items = raw.split(";").filter((p) => p !== "");
  if (items.length < 2) return { error: "needs at least 2 points x1,x2,label separated by ;" };
  if (items.length > maxItems) return { error: `takes at most ${maxItems} points` };
  const [lo, hi] = rules.box || USER_BOX;
  const labelError = (label) => {
    if (rules.regression) return null;
    if (!rules.box) return USER_LABELS.includes(label) ? null : `has label ${label}, not 0 or 1`;
    return Number.isInteger(label) && label >= 0 && label <= MAX_LABEL ? null
      : `has label ${label}, not a whole number 0 to ${MAX_LABEL}`;
  };
  const value = [];
  for (const [i, item] of items.entries()) {
    const parts = item.split(",");
    const nums = parts.map((t) => (t.trim() === "" ? NaN : Number(t)));
    const where = `point ${i + 1} (${JSON.stringify(item)})`;
    if (parts.length !== 3 || !nums.every(Number.isFinite)) return { error: `${where} is not x1,x2,label` };
    const [x1, x2, label] = nums;
    if (x1 < lo || x1 > hi || x2 < lo || x2 > hi) return { error: `${where} lies outside the box [${lo}, ${hi}]` };
    const bad = labelError(label);
    if (bad) return { error: `${where} ${bad}` };
    value.push([x1, x2, label]);
  }
  if (JSON.stringify(value).length > MAX_POINTS_JSON) return { error: `${items.length} points are too many for one message` };
  return { value };
}

function maxPointsOf(schema) {
  const prop = schema.properties.custom_points;
  const list = prop ? branches(prop, schema.$defs || {}).find((b) => b.type === "array") : null;
  return list && list.maxItems !== undefined ? list.maxItems : Infinity;
}

/** Resolve `$ref` and a nullable `anyOf` to the schema branches a value may take. */
function branches(prop, defs) {
  const resolve = (s) => (s && s.$ref ? defs[s.$ref.split("/").pop()] : s);
  const p = resolve(prop);
  if (p.anyOf) return p.anyOf.map(resolve);
  return [p];
}

function describeBounds(s) {
  const parts = [];
  if (s.minimum !== undefined) parts.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`<= ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.join(" and ");
}

/** Check one scalar string against one non-array schema branch. Returns {value} or {error}. */
function scalar(raw, s) {
  if (s.type === "null") {
    return raw === "null" || raw === "" ? { value: null } : { error: "not null" };
  }
  if (s.enum) {
    return s.enum.includes(raw) ? { value: raw } : { error: `must be one of ${s.enum.join(", ")}` };
  }
  if (s.type === "boolean") {
    if (["1", "true", "on", "yes"].includes(raw)) return { value: true };
    if (["0", "false", "off", "no"].includes(raw)) return { value: false };
    return { error: "must be 0 or 1" };
  }
  if (s.type === "integer" || s.type === "number") {
    const v = raw.trim() === "" ? NaN : Number(raw);
    if (!Number.isFinite(v)) {
      // a numeral too large for a double (a 5,000-digit seed) is a number out of bounds, not "not a number"
      const bounds = describeBounds(s);
      return { error: NUMERAL.test(raw) && bounds ? `must be ${bounds}` : "must be a number" };
    }
    if (s.type === "integer" && !Number.isInteger(v)) return { error: "must be a whole number" };
    const bad =
      (s.minimum !== undefined && v < s.minimum) ||
      (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) ||
      (s.maximum !== undefined && v > s.maximum) ||
      (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum);
    return bad ? { error: `must be ${describeBounds(s)}` } : { value: v };
  }
  if (s.type === "string") return { value: raw };
  return { error: "cannot be set from a link" };
}

/**
 * Parse one query value for config field `name`. Arrays are comma lists ("hidden=4,2").
 * @returns {{value: any} | {error: string}}
 */
export function parseField(schema, name, raw) {
  const prop = schema.properties[name];
  if (!prop || NOT_IN_URL.has(name)) return { error: "is not a setting" };
  const defs = schema.$defs || {};
  let firstError = null;
  for (const b of branches(prop, defs)) {
    let r;
    if (b.type === "array") {
      const items = branches(b.items || {}, defs)[0];
      // a tuple (pydantic's tuple[float, float]) gives each place its own schema
      const itemAt = (i) => (b.prefixItems && b.prefixItems[i] ? branches(b.prefixItems[i], defs)[0] : items);
      const parts = raw === "" ? [] : raw.split(",");
      const values = [];
      r = null;
      for (const [i, part] of parts.entries()) {
        const one = scalar(part, itemAt(i));
        if (one.error) {
          r = { error: `item ${JSON.stringify(part)} ${one.error}` };
          break;
        }
        values.push(one.value);
      }
      if (!r) {
        if (b.minItems !== undefined && values.length < b.minItems) r = { error: `needs at least ${b.minItems} item(s)` };
        else if (b.maxItems !== undefined && values.length > b.maxItems) r = { error: `takes at most ${b.maxItems} items` };
        else r = { value: values };
      }
    } else {
      r = scalar(raw, b);
    }
    if (!r.error) return r;
    firstError = firstError || r.error;
  }
  return { error: firstError };
}

/** Encode a config value for the query string (inverse of parseField). */
export function formatValue(value) {
  if (Array.isArray(value)) return value.join(",");
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "1" : "0";
  return String(value);
}

/**
 * Read the page's query string.
 * @param {string} search location.search
 * @param {object} schema JSON Schema of the session config
 * @param {{scenes?: string[], hideable?: string[]}} known names accepted for scene= and hide=
 * @returns {{config: object, ui: object, notices: string[], leftOut: number}}
 */
export function parseQuery(search, schema, known = {}) {
  const params = new URLSearchParams(search);
  const config = {};
  const ui = { embed: false, edit: false, hide: [], scene: null, regions: false, test: false, discretize: false };
  let rawPoints = null;
  let leftOut = 0; // points a link said it could not carry (`custom_points=N-not-in-link`)
  const notices = [];
  const compare = []; // [key, raw] of compare= and b.<field>=: read together once the loop is done
  for (const [key, raw] of params) {
    if (key in UI_KEYS) {
      const kind = UI_KEYS[key];
      if (kind === "boolean") {
        const r = scalar(raw, { type: "boolean" });
        if (r.error) notices.push(`${key}=${clip(raw)} (${r.error})`);
        else ui[key] = r.value;
      } else if (kind === "list") {
        const names = raw.split(",").filter(Boolean);
        const unknown = known.hideable ? names.filter((n) => !known.hideable.includes(n)) : [];
        if (unknown.length) {
          const valid = [...known.hideable].sort().join(", ");
          notices.push(`${key}=${clip(unknown.join(","))} (no such control; the controls are ${valid})`);
        }
        ui[key] = names.filter((n) => !unknown.includes(n));
      } else if (key === "scene" && known.scenes && !known.scenes.includes(raw)) {
        notices.push(`scene=${clip(raw)} (no such scene; the scenes are ${known.scenes.join(", ")})`);
      } else {
        ui[key] = raw;
      }
      continue;
    }
    if (key === "compare" || key.startsWith(B_PREFIX)) {
      compare.push([key, raw]);
      continue;
    }
    if (key === "custom_points") {
      rawPoints = raw; // read after the loop: custom_box and custom_regression say what the points may be
      continue;
    }
    const r = parseField(schema, key, raw);
    // a long value (a list of points, a pasted number) is named by its start and the fault, not repeated whole
    if (r.error) notices.push(`${clip(key)}=${clip(raw)} (${r.error})`);
    else config[key] = r.value;
  }
  const left = rawPoints === null ? null : LEFT_OUT.exec(rawPoints.trim());
  if (left) {
    // the link was made from more points than a link carries: the page starts from the editor's own points
    // (controller.js says why once it knows the session is not this tab's own, resumed)
    leftOut = Number(left[1]);
    for (const name of USER_ONLY) delete config[name];
  } else if (rawPoints !== null) {
    const rules = { box: Array.isArray(config.custom_box) ? config.custom_box : null, regression: Boolean(config.custom_regression) };
    const r = parsePoints(rawPoints, maxPointsOf(schema), rules);
    if (r.error) notices.push(`custom_points=${clip(rawPoints)} (${r.error})`);
    else config.custom_points = r.value;
  }
  const b = parseCompare(compare, schema);
  notices.push(...b.notices);
  if (b.value !== undefined) config.compare = b.value;
  return { config, ui, notices, leftOut };
}

// ---- network B of a comparison in a link ----------------------------------------------------------
// `compare=1` compares A with an identical B; `b.<field>=value` names what B changes (`b.activation=relu&
// b.hidden=8,8`), each value written as A's own field is; `compare=0` turns off a comparison the scene has.

/** What B may change (the compare contract): everything else, data and batches above all, B shares with A. */
export const COMPARE_KEYS = ["features", "hidden", "activation", "leaky_slope", "maxout_k", "output", "loss", "init",
  "optimizer", "learning_rate", "momentum", "nesterov", "beta1", "beta2", "regularization", "reg_rate"];
const B_PREFIX = "b.";

/**
 * Read the compare keys of a link.
 * @param {Array<[string, string]>} pairs the `compare` and `b.*` keys in link order @param {object} schema
 * @returns {{value?: object|null, notices: string[]}} value: B's partial config, null (off), or absent
 */
export function parseCompare(pairs, schema) {
  const notices = [];
  const b = {};
  let on;
  for (const [key, raw] of pairs) {
    if (key === "compare") {
      const r = scalar(raw, { type: "boolean" });
      if (r.error) notices.push(`compare=${clip(raw)} (must be 1 (compare with network B) or 0)`);
      else on = r.value;
      continue;
    }
    const name = key.slice(B_PREFIX.length);
    if (!COMPARE_KEYS.includes(name)) {
      const why = name in schema.properties
        ? `network B shares A's data and batches; B may change ${COMPARE_KEYS.join(", ")}` : "is not a setting";
      notices.push(`${clip(key)}=${clip(raw)} (${why})`);
      continue;
    }
    const r = parseField(schema, name, raw);
    if (r.error) notices.push(`${clip(key)}=${clip(raw)} (${r.error})`);
    else b[name] = r.value;
  }
  if (on === false) {
    if (Object.keys(b).length) notices.push(`${Object.keys(b).map((k) => B_PREFIX + k).join(", ")} (compare=0 turns the comparison off)`);
    return { value: null, notices };
  }
  if (on === true || Object.keys(b).length) return { value: b, notices };
  return { notices };
}

/** B's partial config as link keys (inverse of parseCompare), given what the address without them starts. */
function compareParams(params, compare, base) {
  if (compare === undefined || sameCompare(compare, base === undefined ? null : base)) return;
  if (compare === null) {
    params.set("compare", "0");
    return;
  }
  const keys = COMPARE_KEYS.filter((k) => k in compare);
  if (!keys.length) params.set("compare", "1");
  for (const k of keys) params.set(B_PREFIX + k, formatValue(compare[k]));
}

/** Two partial configs alike whatever the order of their keys (null is no comparison). */
export function sameCompare(a, b) {
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  const ka = Object.keys(a).sort();
  return same(ka, Object.keys(b).sort()) && ka.every((k) => same(a[k], b[k]));
}

/** The schema's default for every field a link may carry. */
export function defaults(schema) {
  const out = {};
  for (const [name, prop] of Object.entries(schema.properties)) {
    if ((!NOT_IN_URL.has(name) || name === "compare") && "default" in prop) out[name] = prop.default;
  }
  return out;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The query string for a state: config fields that differ from `base` (what the address without them would
 * start: the schema defaults under the scene's config), dataset and seed always, so a link keeps reproducing
 * the same start even if a default changes; then the page keys that are set.
 */
export function buildQuery(schema, config, ui, base = defaults(schema)) {
  const params = new URLSearchParams();
  if (ui.scene) params.set("scene", ui.scene);
  for (const name of Object.keys(schema.properties)) {
    if (NOT_IN_URL.has(name) || !(name in config)) continue;
    if (USER_ONLY.has(name) && config.dataset !== "user") continue;
    // a link to "Your points" without train_ratio starts it at 1 (controller.js): name the ratio always
    const always = name === "dataset" || name === "seed" || (name === "train_ratio" && config.dataset === "user");
    if (always || !same(config[name], base[name])) params.set(name, formatValue(config[name]));
  }
  // the points are what the user sees only while the dataset is theirs
  if (config.dataset === "user" && Array.isArray(config.custom_points)) {
    const n = pointsLeftOut(config);
    if (n) {
      // too long for a link: it names how many points it lacks, and their box goes too (the share panel
      // offers the JSON export instead)
      params.set("custom_points", `${n}-not-in-link`);
      for (const name of USER_ONLY) params.delete(name);
    } else {
      params.set("custom_points", formatPoints(config.custom_points, uploaded(config)));
    }
  }
  compareParams(params, config.compare, base.compare);
  for (const key of ["regions", "test", "discretize", "embed", "edit"]) if (ui[key]) params.set(key, "1");
  if (ui.hide && ui.hide.length) params.set("hide", ui.hide.join(","));
  return readable(params.toString());
}

/**
 * A query or address as a person reads it: URLSearchParams writes "," and ";" as %2C and %3B, but both are
 * legal in a query, and the plain form keeps a shared link (a list of points above all) short and readable.
 */
export function readable(text) {
  return text.replace(/%2C/g, ",").replace(/%3B/g, ";");
}

/** Rewrite the address bar without adding a history entry. */
export function writeUrl(schema, config, ui, base) {
  const q = buildQuery(schema, config, ui, base);
  const url = `${location.pathname}${q ? `?${q}` : ""}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
  return new URL(url, location.href).href;
}
