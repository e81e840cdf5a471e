// Owns the URL: every setting lives in the query string. Values are checked against the server's JSON Schema
// of the session config (GET /api/schema), so the bounds exist in one place only (app/config.py). Invalid
// values are dropped and reported by name; the page then starts from the remaining valid ones.

/** Query keys that are not config fields: how the page looks, not what the session trains. */
export const UI_KEYS = {
  embed: "boolean",
  hide: "list",
  scene: "string",
  regions: "boolean",
  test: "boolean",
  discretize: "boolean",
};

// Config fields a link never carries: they are either derived or too large for a URL.
const NOT_IN_URL = new Set(["custom_points"]);

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
    if (!Number.isFinite(v)) return { error: "must be a number" };
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
      const parts = raw === "" ? [] : raw.split(",");
      const values = [];
      r = null;
      for (const part of parts) {
        const one = scalar(part, items);
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
 * @returns {{config: object, ui: object, notices: string[]}}
 */
export function parseQuery(search, schema, known = {}) {
  const params = new URLSearchParams(search);
  const config = {};
  const ui = { embed: false, hide: [], scene: null, regions: false, test: false, discretize: false };
  const notices = [];
  for (const [key, raw] of params) {
    if (key in UI_KEYS) {
      const kind = UI_KEYS[key];
      if (kind === "boolean") {
        const r = scalar(raw, { type: "boolean" });
        if (r.error) notices.push(`${key}=${raw} (${r.error})`);
        else ui[key] = r.value;
      } else if (kind === "list") {
        const names = raw.split(",").filter(Boolean);
        const unknown = known.hideable ? names.filter((n) => !known.hideable.includes(n)) : [];
        if (unknown.length) notices.push(`${key}=${unknown.join(",")} (no such control)`);
        ui[key] = names.filter((n) => !unknown.includes(n));
      } else if (key === "scene" && known.scenes && !known.scenes.includes(raw)) {
        notices.push(`scene=${raw} (no such scene)`);
      } else {
        ui[key] = raw;
      }
      continue;
    }
    const r = parseField(schema, key, raw);
    if (r.error) notices.push(`${key}=${raw} (${r.error})`);
    else config[key] = r.value;
  }
  return { config, ui, notices };
}

/** The schema's default for every field a link may carry. */
export function defaults(schema) {
  const out = {};
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (!NOT_IN_URL.has(name) && "default" in prop) out[name] = prop.default;
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
    const always = name === "dataset" || name === "seed";
    if (always || !same(config[name], base[name])) params.set(name, formatValue(config[name]));
  }
  for (const key of ["regions", "test", "discretize", "embed"]) if (ui[key]) params.set(key, "1");
  if (ui.hide && ui.hide.length) params.set("hide", ui.hide.join(","));
  // Commas are legal in a query and far easier to read in a shared link than %2C.
  return params.toString().replace(/%2C/g, ",");
}

/** Rewrite the address bar without adding a history entry. */
export function writeUrl(schema, config, ui, base) {
  const q = buildQuery(schema, config, ui, base);
  const url = `${location.pathname}${q ? `?${q}` : ""}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
  return new URL(url, location.href).href;
}
