// The one notation for units, everywhere on the page: h with the hidden layer as a superscript and the unit
// as a subscript, both counted from 1, as the lecture writes h^(l)_j: h¹₂ is unit 2 of hidden layer 1.
// Inputs are x₁, x₂ (or the feature's own name), outputs y (y₁, y₂, ... when there are several).

const SUPERSCRIPT = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079";
const SUBSCRIPT = "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089";

function digits(n, table) {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`unit index must be a non-negative integer, got ${n}`);
  return String(n).replace(/\d/g, (d) => table[Number(d)]);
}

/** "h¹₂" for `layer` 1, `unit` 2 (both from 1). */
export function hiddenUnit(layer, unit) {
  return `h${digits(layer, SUPERSCRIPT)}${digits(unit, SUBSCRIPT)}`;
}

/** "h¹" for hidden layer `layer` (from 1) as a whole. */
export function hiddenLayer(layer) {
  return `h${digits(layer, SUPERSCRIPT)}`;
}

/** "x₁" for input `j` (from 1). */
export function inputUnit(j) {
  return `x${digits(j, SUBSCRIPT)}`;
}

/** "y" for the single output, "y₂" for output `k` (from 1) of `count` outputs. */
export function outputUnit(k, count) {
  return count > 1 ? `y${digits(k, SUBSCRIPT)}` : "y";
}

/** The unit of 0-based layer `l` (0 = first hidden layer; `hiddenLayers` = the output), unit `j` (0-based). */
export function unitAt(l, j, hiddenLayers, outputs) {
  return l === hiddenLayers ? outputUnit(j + 1, outputs) : hiddenUnit(l + 1, j + 1);
}

/** A sentence for a hidden unit: "h¹₂ (hidden layer 1, unit 2)". */
export function describeHidden(layer, unit) {
  return `${hiddenUnit(layer, unit)} (hidden layer ${layer}, unit ${unit})`;
}
