// The page's one number formatter: every number and every user-given value the page prints goes through here,
// so a weight reads the same in a tooltip, an editor and a lecture panel.

const DASH = "\u2013";

/** A parameter as an editor and a tooltip show it: 4 decimals, exponent form when very large or small. */
export function formatNumber(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "";
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(+v.toFixed(4));
}

/** `d` decimals without trailing zeros ("0.5", "2", never "-0"); a dash for a missing value. */
export function trimmed(v, d = 3) {
  if (v === null || v === undefined || !Number.isFinite(+v)) return DASH;
  const text = d > 0 ? (+v).toFixed(d).replace(/\.?0+$/, "") : (+v).toFixed(0);
  return text === "-0" || text === "" ? "0" : text;
}

/** A fraction as a percentage with one decimal ("97.5%"); a dash for a missing value. */
export function percent(v, d = 1) {
  return v === null || v === undefined || !Number.isFinite(+v) ? DASH : `${(100 * v).toFixed(d)}%`;
}

/** A whole number with thousands separators ("1,234"), optionally zero-padded to `width` digits first. */
export function grouped(n, width = 0) {
  return String(Math.floor(n)).padStart(width, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

const SUPERSCRIPT = { "-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074", 5: "\u2075",
  6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079" };

/**
 * A count that may be astronomically large (a bound on linear regions): grouped digits up to a billion
 * ("20,000"), above that three significant digits times a power of ten ("3.52 \u00d7 10\u00b2\u2076").
 */
export function count(n) {
  if (n === null || n === undefined || !Number.isFinite(+n)) return DASH;
  if (Math.abs(n) < 1e9) return (n < 0 ? "-" : "") + grouped(Math.abs(Math.round(n)));
  const [mantissa, exponent] = (+n).toExponential(2).split("e");
  const power = String(+exponent).replace(/./g, (c) => SUPERSCRIPT[c]);
  return `${mantissa.replace(/\.?0+$/, "")} \u00d7 10${power}`;
}

/**
 * A frame's region count as it reads ({count, exact, note} of a `regions` header): "53" when exact, "> 20,000"
 * when the count stopped at its budget (the server's note starts "more than"), "\u2265 1,234" for a lower
 * bound sampled on a grid.
 */
export function regionCount(regions) {
  if (regions.exact !== false || regions.count === null || regions.count === undefined) return count(regions.count);
  return `${/^more than/.test(regions.note || "") ? ">" : "\u2265"} ${count(regions.count)}`;
}

/** A value typed by someone else (a link, a paste) shortened for a notice: long values keep their start. */
export function clip(text, max = 40) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max)}\u2026 (${grouped(s.length)} characters)` : s;
}
