// The "user" dataset (points clicked onto the plot): the points it starts from and the rules that keep a
// config with them buildable. No DOM: the output view draws and hit-tests, this module decides.

import { MAX_POINTS_JSON } from "./state.js";

// Where "Your points" starts: an XOR pattern, three points of each class in opposite quadrants, which the
// default network has to bend its boundary twice to separate.
export const START_POINTS = [[2, 2], [3.5, 1.5], [1.5, 3.5]].flatMap(([a, b]) => [[a, b, 1], [-a, -b, 1], [a, -b, 0], [-a, b, 0]]);
export const MIN_USER_POINTS = 2; // the engine's least (app/engine/datasets.py MIN_POINTS)
const FITS_REGRESSION = new Set(["linear", "tanh"]); // outputs the server accepts for a regression set

/** The classes a list of labelled points needs: its largest label + 1, at least 2. */
export function classesOf(points) {
  return points.reduce((k, p) => Math.max(k, p[2] + 1), 2);
}

/** Whether a list of points fits one message (a configure from the editor, a hello): see MAX_POINTS_JSON. */
export function fitsMessage(points) {
  return JSON.stringify(points).length <= MAX_POINTS_JSON;
}

/**
 * Whether the plot edits a config's points by click: a classification set small enough that the edited list
 * still goes in one message. A regression target has no class to click, and thousands of uploaded points are
 * a data set to train on, not to edit one by one.
 */
export function editable(config) {
  return config.dataset === "user" && Array.isArray(config.custom_points) && !config.custom_regression
    && fitsMessage(config.custom_points);
}

/**
 * The config a hello can carry. Uploaded points too many for one message stay out (the server would close the
 * socket, and every reconnect would send them again): the hello carries every k-th of them in their place, a
 * session of the same kind (box, classes, output, batch) that the server can build, and `heldBack` says which
 * points the page must bring back by an import if the server no longer knows the session (a resumed one keeps
 * its own).
 * @returns {{config: object, heldBack: {points: number[][], regression: boolean}|null}}
 */
export function helloConfig(config) {
  const points = config.custom_points;
  if (config.dataset !== "user" || !Array.isArray(points) || fitsMessage(points)) {
    return { config, heldBack: null };
  }
  let every = Math.ceil(JSON.stringify(points).length / MAX_POINTS_JSON);
  let thin = points.filter((_, i) => i % every === 0);
  while (!fitsMessage(thin)) {
    every += 1;
    thin = points.filter((_, i) => i % every === 0);
  }
  const stand = { ...config, custom_points: thin };
  stand.batch_size = Math.min(config.batch_size, trainSize(thin.length, config.train_ratio));
  return { config: stand, heldBack: { points, regression: Boolean(config.custom_regression) } };
}

/** The patch of "Reset points": the editor's starting points, in the editor's box, two classes; an uploaded
 * set's box and regression target go with its points. */
export function resetPoints() {
  return { custom_points: START_POINTS, custom_box: null, custom_regression: false, classes: 2 };
}

/** Training points the server will cut from `n` points at `ratio` (engine split: rounded, 1..n-1). */
export function trainSize(n, ratio) {
  return ratio >= 1 ? n : Math.min(n - 1, Math.max(1, Math.round(n * ratio)));
}

/**
 * Complete a patch that involves the "user" dataset so the server can build it. Choosing the dataset brings
 * its points along: the ones already loaded, else this session's last ones (`last`), else START_POINTS.
 * Entering it sets train_ratio 1: with a handful of points a test set would take half of them away from
 * training and off the plot, and every point placed by hand is meant to shape the boundary. A batch larger
 * than the training points would be refused, so it shrinks along.
 * @param {object} config the current config @param {object} patch @param {number[][]|null} last
 * @param {{regression: boolean, box: number[]|null}} lastKind what `last` is: a regression's targets or classes, its box
 */
export function withUserPoints(config, patch, last, lastKind = { regression: false, box: null }) {
  if ({ ...config, ...patch }.dataset !== "user") return patch;
  const out = { ...patch };
  const entering = config.dataset !== "user" && "dataset" in patch;
  if (!Array.isArray(out.custom_points) && (entering || !Array.isArray(config.custom_points))) {
    const own = config.dataset === "user" && config.custom_points;
    out.custom_points = own || last || START_POINTS;
    if (!own) {
      // points brought back come with what they are (a scene in between may have reset both fields)
      const kind = last ? lastKind : { regression: false, box: null };
      if (!("custom_regression" in patch)) out.custom_regression = kind.regression;
      if (!("custom_box" in patch)) out.custom_box = kind.box;
    }
  }
  const next = { ...config, ...out };
  if (entering && !("train_ratio" in patch)) out.train_ratio = 1;
  const points = out.custom_points || config.custom_points;
  // the classes the points need (the editor's two, or an uploaded set's K), and an output that fits them
  if (entering && !("classes" in patch) && !next.custom_regression) {
    const k = classesOf(points);
    if (next.classes !== k) out.classes = k;
    if (k > 2 && next.output !== "softmax" && !("output" in patch)) Object.assign(out, { output: "softmax", loss: "cross_entropy" });
  }
  if (entering && next.custom_regression && !FITS_REGRESSION.has(next.output) && !("output" in patch)) {
    Object.assign(out, { output: "linear", loss: "squared_error" });
  }
  const ratio = out.train_ratio ?? config.train_ratio;
  const batch = out.batch_size ?? config.batch_size;
  const most = trainSize(points.length, ratio);
  if (batch > most) out.batch_size = most;
  return out;
}

/**
 * What a link to "Your points" adds to its own values: the starting points if it names none, every point for
 * training and a batch that fits, unless the link says otherwise (buildQuery writes train_ratio).
 * @param {object} linked the link's config values @param {object} config the link's values over the defaults
 */
export function linkExtras(linked, config) {
  if (config.dataset !== "user") return {};
  const extra = config.custom_points ? {} : { custom_points: START_POINTS };
  if (!("train_ratio" in linked)) extra.train_ratio = 1;
  const n = (extra.custom_points || config.custom_points).length;
  const most = trainSize(n, extra.train_ratio ?? config.train_ratio);
  if (!("batch_size" in linked) && config.batch_size > most) extra.batch_size = most;
  return extra;
}

/**
 * A click on the plot in edit mode: on a point (`hit` >= 0) removes it, elsewhere adds one of class `k`.
 * @returns {{points: number[][]} | {error: string}} the new list, or why it cannot change
 */
export function editPoints(points, { at, hit }, k) {
  const next = points.slice();
  if (hit >= 0) {
    if (next.length <= MIN_USER_POINTS) {
      return { error: `Your points: at least ${MIN_USER_POINTS} points must stay. Add another point before removing this one.` };
    }
    next.splice(hit, 1);
  } else {
    next.push([at[0], at[1], k]);
  }
  // A message over 64 KiB would close the socket, and the reconnect's hello would carry the same points.
  if (JSON.stringify(next).length > MAX_POINTS_JSON) {
    return { error: `Your points: ${next.length} points are more than one message carries; remove some first.` };
  }
  return { points: next };
}
