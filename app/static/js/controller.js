// Wires the page: reads the URL (state.js), opens the socket (socket.js), feeds frames and messages to the
// views and turns user actions into protocol messages. The only module that knows all the others.

import { describeHidden } from "./notation.js";
import { Broadcast, readRoomParams } from "./broadcast.js";
import { installEmbed } from "./embed.js";
import { Socket } from "./socket.js";
import { buildQuery, defaults, MAX_POINTS_JSON, parseQuery, readable, USER_BOX, writeUrl } from "./state.js";
import { Controls } from "./views/controls.js";
import { LossChart } from "./views/lossChart.js";
import { NetworkView } from "./views/network.js";
import { OutputView } from "./views/output.js";
import { closeEditor, installEditor } from "./views/popups.js";
import { LecturePanel } from "./views/lecture.js";
import { BackpropOverlay } from "./views/backpropOverlay.js";

const $ = (id) => document.getElementById(id);
const LIVE = new Set(["learning_rate", "reg_rate", "steps_per_frame", "max_fps", "grid", "thumbnail"]);
const PAINT_SAMPLES = 600;
// Where "Your points" starts: an XOR pattern, three points of each class in opposite quadrants, which the
// default network has to bend its boundary twice to separate.
const START_POINTS = [[2, 2], [3.5, 1.5], [1.5, 3.5]].flatMap(([a, b]) => [[a, b, 1], [-a, -b, 1], [a, -b, 0], [-a, b, 0]]);
const MIN_USER_POINTS = 2; // the engine's least (app/engine/datasets.py MIN_POINTS)

const app = {
  schema: null,
  limits: null,
  config: {},
  ui: null,
  session: null,
  state: "paused",
  step: 0,
  frame: null, // latest undrawn frame: the animation loop paints only the newest
  frames: 0,
  paintMs: [],
  hoverUnit: null,
  datasetMsg: null,
  structureKey: "",
  statusLog: [],
  resumed: false,
  pending: new Map(), // field -> value before a change the server has not confirmed yet
  userPoints: null, // the last points of the "user" dataset the server held: the tile goes back to them
};

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

// ---- notices -------------------------------------------------------------------------------------
function notice(text) {
  $("notice-text").textContent = text;
  $("notice").hidden = !text;
}

// ---- URL -----------------------------------------------------------------------------------------
function syncUrl() {
  const href = writeUrl(app.schema, app.config, app.ui, baseConfig());
  app.broadcast.keepInUrl(); // ?present / ?watch survive the rewrite (the links above leave them out)
  const full = new URL(href);
  full.searchParams.delete("embed");
  full.searchParams.delete("hide");
  const embedUrl = new URL(href);
  embedUrl.searchParams.set("embed", "1");
  $("open-full").href = readable(full.href);
  $("embed-snippet").value =
    `<iframe src="${readable(embedUrl.href)}" width="960" height="540" style="border:0" title="MLP Playground" loading="lazy"></iframe>`;
  app.socket.setResumeKey(location.search);
}

/** What an address without config values starts: the schema defaults under the (default) scene's config. */
function baseConfig() {
  const name = app.ui.scene || app.defaultScene;
  const scene = app.sceneList.find((s) => s.name === name);
  return { ...defaults(app.schema), ...(scene ? scene.config : {}) };
}

// ---- hide= and embed= ----------------------------------------------------------------------------
function hideableNames() {
  return [...new Set([...document.querySelectorAll("[data-control]")].map((el) => el.dataset.control))];
}

function applyHide() {
  for (const el of document.querySelectorAll("[data-control]")) {
    el.classList.toggle("hidden-control", app.ui.hide.includes(el.dataset.control));
  }
}

// ---- config changes ------------------------------------------------------------------------------
function change(patch) {
  patch = withUserPoints(patch);
  for (const [k, v] of Object.entries(patch)) {
    if (!app.pending.has(k)) app.pending.set(k, app.config[k]);
    app.config[k] = v;
  }
  // a change that rebuilds the network leaves the scene's hand-set weights behind: the link must not claim them
  if (Object.keys(patch).some((k) => !LIVE.has(k))) app.ui.scene = null;
  app.socket.send({ type: "configure", config: patch });
  app.controls.set(app.config);
  showEditor();
  syncUrl();
}

function applyConfig(config) {
  app.pending.clear();
  app.config = { ...config };
  if (Array.isArray(config.custom_points)) app.userPoints = config.custom_points;
  // the points are part of what the page shows (and of its link) only while the dataset is "user"
  if (config.dataset !== "user") delete app.config.custom_points;
  app.controls.set(app.config);
  showEditor();
  $("scene").value = app.ui.scene || "";
  const scene = app.sceneList.find((x) => x.name === app.ui.scene);
  $("scene-caption").hidden = !scene;
  $("scene-caption").textContent = scene ? scene.caption : "";
  app.output.setOutput(config.output);
  app.output.setDepth(config.hidden.length);
  rebuildStructureIfNeeded();
  syncUrl();
}

function activationsOf(config) {
  const a = config.activation;
  return Array.isArray(a) ? a : config.hidden.map(() => a);
}

function outputsOf() {
  const c = app.config;
  if (c.output === "softmax") return Math.max(2, app.datasetMsg ? app.datasetMsg.classes : c.classes);
  return 1;
}

function rebuildStructureIfNeeded() {
  const c = app.config;
  const s = {
    featureNames: app.limits ? app.limits.features : c.features,
    features: c.features,
    hidden: c.hidden,
    activations: activationsOf(c),
    activationNames: app.limits ? app.limits.activations : [],
    maxLayers: app.limits ? app.limits.max_hidden_layers : 8,
    maxUnits: app.limits ? app.limits.max_units : 64,
    outputs: outputsOf(),
    box: app.datasetMsg ? app.datasetMsg.box : [-6, 6],
  };
  const key = JSON.stringify(s);
  if (key === app.structureKey) return;
  app.structureKey = key;
  app.network.setStructure(s);
  applyHide();
}

function setUnits(layer, delta) {
  const hidden = app.config.hidden.slice();
  hidden[layer] = Math.max(1, Math.min(app.limits.max_units, hidden[layer] + delta));
  change({ hidden });
}

function setLayers(delta) {
  const hidden = app.config.hidden.slice();
  const acts = activationsOf(app.config).slice();
  if (delta > 0 && hidden.length < app.limits.max_hidden_layers) {
    hidden.push(hidden.length ? hidden[hidden.length - 1] : 4);
    acts.push(acts.length ? acts[acts.length - 1] : "tanh");
  } else if (delta < 0 && hidden.length > 0) {
    hidden.pop();
    acts.pop();
  } else {
    return;
  }
  const same = acts.every((a) => a === acts[0]);
  change({ hidden, activation: same && acts.length ? acts[0] : acts });
}

function setLayerActivation(layer, name) {
  const acts = activationsOf(app.config).slice();
  acts[layer] = name;
  change({ activation: acts.every((a) => a === acts[0]) ? acts[0] : acts });
}

function toggleFeature(name) {
  const on = app.config.features.includes(name);
  if (on && app.config.features.length === 1) {
    notice("At least one input feature must stay on.");
    return;
  }
  const features = on ? app.config.features.filter((f) => f !== name)
    : app.limits.features.filter((f) => f === name || app.config.features.includes(f));
  change({ features });
}

// ---- the points editor ("user" dataset) -----------------------------------------------------------
/** Training points the server will cut from `n` points at `ratio` (engine split: rounded, 1..n-1). */
function trainSize(n, ratio) {
  return ratio >= 1 ? n : Math.min(n - 1, Math.max(1, Math.round(n * ratio)));
}

/**
 * Complete a patch that involves the "user" dataset so the server can build it. Choosing the dataset brings
 * its points along: the ones already loaded, else this session's last ones, else START_POINTS. Entering it
 * sets train_ratio 1: with a handful of points a test set would take half of them away from training and
 * off the plot, and every point placed by hand is meant to shape the boundary. A batch larger than the
 * training points would be refused, so it shrinks along.
 */
function withUserPoints(patch) {
  const next = { ...app.config, ...patch };
  if (next.dataset !== "user") return patch;
  const out = { ...patch };
  const entering = app.config.dataset !== "user" && "dataset" in patch;
  if (!Array.isArray(out.custom_points) && (entering || !Array.isArray(app.config.custom_points))) {
    out.custom_points = (app.config.dataset === "user" && app.config.custom_points) || app.userPoints || START_POINTS;
  }
  if (entering && !("train_ratio" in patch)) out.train_ratio = 1;
  if (entering && next.classes !== 2 && !("classes" in patch)) out.classes = 2; // the editor places two classes
  const points = out.custom_points || app.config.custom_points;
  const ratio = out.train_ratio ?? app.config.train_ratio;
  const batch = out.batch_size ?? app.config.batch_size;
  const most = trainSize(points.length, ratio);
  if (batch > most) out.batch_size = most;
  return out;
}

/** The plot is the editor while the dataset is "user" (not for a room's viewer: its edits would be refused). */
function showEditor() {
  const c = app.config;
  const on = c.dataset === "user" && Array.isArray(c.custom_points) && !app.broadcast.watching;
  app.output.setEditing(on ? c.custom_points : null);
}

/** A click on the plot in edit mode: on a point removes it, elsewhere adds one (shift: the other class). */
function editPoint({ at, hit, shift }) {
  const points = app.config.custom_points.slice();
  if (hit >= 0) {
    if (points.length <= MIN_USER_POINTS) {
      notice(`Your points: at least ${MIN_USER_POINTS} points must stay. Add another point before removing this one.`);
      return;
    }
    points.splice(hit, 1);
  } else {
    const k = shift ? 1 - app.controls.pointClass : app.controls.pointClass;
    points.push([at[0], at[1], k]);
  }
  setPoints(points);
}

/** Send the whole point list (the server rebuilds at step 0, as for any change of the data). */
function setPoints(points) {
  // A message over 64 KiB would close the socket, and the reconnect's hello would carry the same points.
  if (JSON.stringify(points).length > MAX_POINTS_JSON) {
    notice(`Your points: ${points.length} points are more than one message carries; remove some first.`);
    return;
  }
  change({ custom_points: points });
}

// ---- transport -----------------------------------------------------------------------------------
function playPause() {
  app.socket.send({ type: app.state === "playing" ? "pause" : "play" });
}
const stepOnce = () => app.socket.send({ type: "step", n: 1 });
const reset = () => app.socket.send({ type: "reset" });

function showState(msg) {
  app.state = msg.state;
  app.step = msg.step;
  const playing = msg.state === "playing";
  for (const id of ["play", "embed-play"]) {
    $(id).setAttribute("aria-pressed", String(playing));
    $(id).setAttribute("aria-label", playing ? "Pause" : "Play");
  }
  if (msg.state === "diverged") {
    const why = msg.message || `the loss became NaN or infinite at step ${msg.step}`;
    app.output.setDiverged(`${why.charAt(0).toUpperCase()}${why.slice(1)}. Lower the learning rate, then reset.`);
  } else {
    app.output.setDiverged(null);
  }
}

// ---- hover a unit: its full map replaces the output until the pointer leaves -----------------------
function hoverUnit(unit) {
  const same = JSON.stringify(unit) === JSON.stringify(app.hoverUnit);
  if (same) return;
  app.hoverUnit = unit;
  app.network.select(unit);
  app.output.showUnit(unit ? describeHidden(unit[0] + 1, unit[1] + 1) : null);
  app.socket.send({ type: "view", unit });
}

// ---- frames --------------------------------------------------------------------------------------
function onFrame(frame) {
  app.frame = frame;
  app.frames += 1;
  app.lastHeader = frame.header;
  app.chart.add(frame.header.step, frame.header.train_loss, frame.header.test_loss);
  if (app.embed) app.embed.frame(frame.header);
}

function paint(frame) {
  app.shown = frame;
  const t0 = performance.now();
  const { header, arrays } = frame;
  const canvas = app.output.paint(header, arrays);
  if (!app.hoverUnit || !arrays.unit) app.network.paintOutput(canvas);
  app.network.update(header, arrays);
  app.lecture.onFrame(header);
  $("epoch").textContent = String(Math.floor(header.epoch ?? 0)).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  $("stepcount").textContent = String(header.step);
  const dt = performance.now() - t0;
  app.paintMs.push(dt);
  if (app.paintMs.length > PAINT_SAMPLES) app.paintMs.shift();
  app.painted = (app.painted || 0) + 1;
}

function loop(now) {
  if (app.frame) {
    const f = app.frame;
    app.frame = null;
    paint(f);
  }
  app.chart.tick(now);
  requestAnimationFrame(loop);
}

// ---- server messages -----------------------------------------------------------------------------
function onMessage(msg) {
  if (app.embed) app.embed.serverMessage(msg);
  switch (msg.type) {
    case "welcome":
      app.session = msg.session;
      app.resumed = Boolean(msg.resumed);
      if (!app.limits) {
        app.limits = msg.limits;
        app.controls.setLimits(msg.limits);
        drawTiles();
        loadPreviews();
      }
      // A resumed session keeps what the address says: the server's scene may since have been rebuilt away.
      if (!msg.resumed) {
        app.ui.scene = sceneOf(msg.scene);
        applySceneView(msg.scene);
      }
      applyConfig(msg.config);
      app.lecture.setScene(msg.resumed ? app.sceneList.find((s) => s.name === app.ui.scene) || null : msg.scene);
      if (app.hoverUnit) app.socket.send({ type: "view", unit: app.hoverUnit });
      if (app.ui.regions) app.socket.send({ type: "view", regions: true });
      break;
    case "config":
      if (msg.scene) {
        app.ui.scene = sceneOf(msg.scene);
        applySceneView(msg.scene);
        app.lecture.setScene(msg.scene);
      }
      if (msg.rebuilt && app.hoverUnit) {
        // the unit under the pointer may no longer exist: stop asking for its map
        app.hoverUnit = null;
        app.output.showUnit(null);
        app.socket.send({ type: "view", unit: null });
      }
      applyConfig(msg.config);
      break;
    case "state":
      showState(msg);
      break;
    case "dataset":
      app.datasetMsg = msg;
      app.output.setDataset(msg);
      app.controls.setTrainSize(msg.train.length);
      rebuildStructureIfNeeded();
      drawTiles();
      break;
    case "error":
      onError(msg);
      break;
    case "lecture":
      app.lecture.onMessage(msg);
      break;
    case "export":
      download(msg.filename, msg.content, msg.format === "csv" ? "text/csv" : "application/json");
      break;
    default:
      break;
  }
  app.broadcast.onMessage(msg); // room, forked; and after a welcome, present / the fresh-session notice
}

/** A scene may ask for a view (e.g. the region overlay): show the toggles the way the server now sends. */
function applySceneView(scene) {
  if (!scene || !scene.view || scene.view.regions === undefined) return;
  app.ui.regions = Boolean(scene.view.regions);
  $("show-regions").checked = app.ui.regions;
  app.output.setToggles({ regions: app.ui.regions });
}

// The default scene is what a bare address starts anyway: links name only the others.
function sceneOf(scene) {
  if (!scene || scene.name === app.defaultScene) return null;
  return scene.name;
}

function download(filename, content, type) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function onError(msg) {
  if (app.lecture && app.lecture.onError(msg)) return; // the scene panel no longer fits: it says so itself
  // A refused configure changes nothing on the server: put every unconfirmed field back and say what was wrong.
  const field = msg.field ? msg.field.replace(/^config\./, "").split(".")[0] : null;
  // (before the first welcome there is no server state to go back to: the welcome that follows sets it)
  if (app.session && (msg.code === "invalid_config" || (field && app.pending.has(field)))) {
    for (const [k, v] of app.pending) app.config[k] = v;
    app.pending.clear();
    app.controls.set(app.config);
    showEditor();
    rebuildStructureIfNeeded();
    syncUrl();
  }
  notice(msg.message);
}

function drawTiles() {
  const d = app.datasetMsg;
  if (d) app.controls.drawTile(app.config.dataset, { ...d, points: d.train.concat(d.test) });
  // "Your points" has no generator to preview: its tile shows the points it would start from
  if (app.config.dataset !== "user") {
    app.controls.drawTile("user", { points: app.userPoints || START_POINTS, box: USER_BOX, classes: 2, regression: false });
  }
}

/** Tiles show the real generators' points: the current dataset's as it arrives, the others from the server's
 * preview route (GET /api/datasets). */
async function loadPreviews() {
  let previews;
  try {
    previews = await getJSON("/api/datasets");
  } catch {
    return; // no preview route: tiles fill in as the user visits each dataset
  }
  for (const [name, d] of Object.entries(previews.datasets || {})) {
    if (name !== app.config.dataset) app.controls.drawTile(name, d);
  }
}

function onStatus(status, detail) {
  app.statusLog.push(status);
  if (app.statusLog.length > 50) app.statusLog.shift();
  const el = $("status");
  el.dataset.state = status;
  el.textContent = { open: "live", connecting: "connecting", reconnecting: "reconnecting", closed: "offline" }[status] || status;
  el.title = detail || "";
  if (status === "closed" && detail) notice(`Disconnected: ${detail}.`);
}

// ---- keyboard ------------------------------------------------------------------------------------
function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
  if (typing) return;
  if (e.key === " " || e.code === "Space") {
    e.preventDefault(); // also keeps a focused button from toggling a second time
    playPause();
  } else if (e.key === "s" || e.key === "ArrowRight") {
    e.preventDefault();
    stepOnce();
  } else if (e.key === "r") {
    e.preventDefault();
    reset();
  } else if (e.key === "Escape") {
    closeEditor();
  }
}

// ---- start ---------------------------------------------------------------------------------------
async function main() {
  let schema;
  let scenes = { scenes: [] };
  try {
    [schema, scenes] = await Promise.all([getJSON("/api/schema"), getJSON("/api/scenes").catch(() => scenes)]);
  } catch (err) {
    notice(`The server did not answer (${err.message}). Reload to try again.`);
    return;
  }
  app.schema = schema;
  app.defaultScene = scenes.default || null;
  app.sceneList = [];
  const sceneList = Array.isArray(scenes) ? scenes : scenes.scenes || [];
  app.sceneList = sceneList;
  // the room keys (?present, ?watch) belong to broadcast.js, not to the config parser
  const roomParams = readRoomParams(location.search);
  app.broadcast = new Broadcast(roomParams, { notice, urlChanged: () => syncUrl() });
  const parsed = parseQuery(roomParams.search, schema, { scenes: sceneList.map((s) => s.name), hideable: hideableNames() });
  app.ui = parsed.ui;
  if (parsed.notices.length) notice(`Ignored invalid link values: ${parsed.notices.join("; ")}`);
  document.body.classList.toggle("embed", app.ui.embed);
  document.body.classList.toggle("embed-edit", Boolean(app.ui.edit));
  app.config = { ...defaults(schema), ...parsed.config };
  if (app.config.dataset === "user") {
    // a link to "Your points" starts as choosing the tile does: the starting points if it names none, every
    // point for training and a batch that fits, unless the link says otherwise (buildQuery writes train_ratio)
    const extra = app.config.custom_points ? {} : { custom_points: START_POINTS };
    if (!("train_ratio" in parsed.config)) extra.train_ratio = 1;
    const n = (extra.custom_points || app.config.custom_points).length;
    const most = trainSize(n, extra.train_ratio ?? app.config.train_ratio);
    if (!("batch_size" in parsed.config) && app.config.batch_size > most) extra.batch_size = most;
    Object.assign(parsed.config, extra);
    Object.assign(app.config, extra);
  }

  app.controls = new Controls(schema, change);
  const sel = $("scene");
  sel.append(new Option("\u2014 none \u2014", ""));
  for (const s of sceneList) sel.append(new Option(s.title || s.name, s.name));
  sel.value = app.ui.scene || "";
  sel.addEventListener("change", () => {
    if (sel.value) app.socket.send({ type: "load_scene", name: sel.value });
  });
  app.output = new OutputView({ onEdit: editPoint });
  app.output.setToggles({ test: app.ui.test, discretize: app.ui.discretize, regions: app.ui.regions });
  $("show-test").checked = app.ui.test;
  $("discretize").checked = app.ui.discretize;
  $("show-regions").checked = app.ui.regions;
  app.network = new NetworkView({
    onToggleFeature: toggleFeature,
    onUnits: setUnits,
    onLayerActivation: setLayerActivation,
    onHoverUnit: hoverUnit,
    onSetParam: (kind, layer, index, value) => app.socket.send({ type: "set_param", kind, layer, index, value }),
  });
  app.chart = new LossChart($("loss-chart"));
  const backprop = new BackpropOverlay(app.network, {
    onStage: (stage) => {
      app.lecture.stage = stage;
      if (app.lecture.lastData) app.lecture.render(app.lecture.lastData);
    },
  });
  app.lecture = new LecturePanel($("lecture"), {
    send: (m) => app.socket.send(m), configure: change, plot: $("plot"), defaultScene: app.defaultScene,
    overlay: backprop,
  });
  installEditor();
  applyHide();

  app.socket = new Socket({
    onFrame,
    onMessage,
    onStatus,
    // Before the first welcome the link's values; afterwards the effective config, so that a session which
    // expired while the connection was down starts again from exactly what the page shows.
    hello: () => {
      const h = { config: app.session ? app.config : parsed.config };
      if (app.ui.scene) h.scene = app.ui.scene;
      return { ...h, ...app.broadcast.hello() };
    },
  });
  app.broadcast.attach(app.socket);
  // inside a host page's iframe: the postMessage API (embed.js, docs/embedding.md); null on a top-level page
  app.embed = installEmbed({
    send: (m) => app.socket.send(m),
    change,
    snapshot: () => ({ state: app.state, step: app.step, config: structuredClone(app.config), session: app.session }),
  });
  app.socket.setResumeKey(location.search, { initial: true });

  // ---- wiring of the static controls ----
  $("play").addEventListener("click", playPause);
  $("embed-play").addEventListener("click", playPause);
  $("step").addEventListener("click", stepOnce);
  $("embed-step").addEventListener("click", stepOnce);
  $("reset").addEventListener("click", reset);
  $("embed-reset").addEventListener("click", reset);
  $("regenerate").addEventListener("click", () => app.socket.send({ type: "regenerate" }));
  $("reset-points").addEventListener("click", () => setPoints(START_POINTS));
  $("add-layer").addEventListener("click", () => setLayers(+1));
  $("remove-layer").addEventListener("click", () => setLayers(-1));
  $("export-json").addEventListener("click", () => app.socket.send({ type: "export", format: "json" }));
  $("export-csv").addEventListener("click", () => app.socket.send({ type: "export", format: "csv" }));
  $("notice-close").addEventListener("click", () => notice(""));
  $("diverged-fix").addEventListener("click", () => {
    const lr = Math.max(1e-5, app.config.learning_rate / 10);
    change({ learning_rate: +lr.toPrecision(2) });
    reset();
  });
  $("show-test").addEventListener("change", (e) => {
    app.ui.test = e.target.checked;
    app.output.setToggles({ test: app.ui.test });
    syncUrl();
  });
  $("discretize").addEventListener("change", (e) => {
    app.ui.discretize = e.target.checked;
    app.output.setToggles({ discretize: app.ui.discretize });
    if (!app.frame && app.shown) app.frame = app.shown; // repaint now, also while paused
    syncUrl();
  });
  $("show-regions").addEventListener("change", (e) => {
    app.ui.regions = e.target.checked;
    app.output.setToggles({ regions: app.ui.regions });
    app.socket.send({ type: "view", regions: app.ui.regions });
    syncUrl();
  });
  $("copy-link").addEventListener("click", async () => {
    const link = $("open-full").href;
    try {
      await navigator.clipboard.writeText(link);
      $("copy-link").textContent = "Link copied";
    } catch {
      // no clipboard permission (plain http, iframes): select the link so the user can copy it by hand
      $("embed-snippet").value = link;
      $("embed-snippet").select();
      $("copy-link").textContent = "Copy the selected link";
    }
    setTimeout(() => ($("copy-link").textContent = "Copy link"), 2000);
  });
  document.addEventListener("keydown", onKey);

  // For the end-to-end tests and the curious: read-only views of what the page holds.
  window.__mlp = {
    get config() { return structuredClone(app.config); },
    get ui() { return { ...app.ui }; },
    get session() { return app.session; },
    get state() { return app.state; },
    get step() { return app.step; },
    get header() { return app.lastHeader || null; },
    get dataset() { return app.datasetMsg ? structuredClone(app.datasetMsg) : null; },
    get frames() { return app.frames; },
    get painted() { return app.painted || 0; },
    get paintMs() { return app.paintMs.slice(); },
    get chartMs() { return app.chart.redrawMs.slice(); },
    get status() { return $("status").dataset.state; },
    get statusLog() { return app.statusLog.slice(); },
    get resumed() { return app.resumed; },
    // where the diagram drew each link (diagram pixels), for tests that point at a link
    get links() { return app.network.links.map(({ l, i, j, x0, y0, x1, y1 }) => ({ l, i, j, x0, y0, x1, y1 })); },
    get straightLinks() { return Boolean(app.network.straight); },
    query: () => buildQuery(app.schema, app.config, app.ui, baseConfig()),
  };

  app.socket.connect();
  requestAnimationFrame(loop);
}

main();
