// Wires the page: the page model (model.js) holds the session's state, socket.js the connection, state.js
// the URL, the views the DOM. This module only connects them: server messages to the model and the views,
// user actions to protocol messages. It is the only module that knows all the others.

import { describeHidden } from "./notation.js";
import { Broadcast, readRoomParams } from "./broadcast.js";
import { installEmbed } from "./embed.js";
import { grouped } from "./format.js";
import { PageModel } from "./model.js";
import { Socket } from "./socket.js";
import { buildQuery, parseQuery, pointsLeftOut, USER_BOX, writeUrl } from "./state.js";
import { adoptTfLink } from "./tflinks.js";
import { classesOf, editable, editPoints, helloConfig, linkExtras, resetPoints, START_POINTS } from "./userPoints.js";
import { describeError, describeSuccess, kindOf, pointsCsv, sendImport, tooLarge } from "./importing.js";
import { ImporterView } from "./views/importer.js";
import { BackpropOverlay } from "./views/backpropOverlay.js";
import { CompareView } from "./views/compare.js";
import { CompareForm } from "./views/compareForm.js";
import { Controls } from "./views/controls.js";
import { LecturePanel } from "./views/lecture.js";
import { LossChart } from "./views/lossChart.js";
import { RewindView } from "./views/rewind.js";
import { NetworkView } from "./views/network.js";
import { installNotice, notice } from "./views/notice.js";
import { OutputView } from "./views/output.js";
import { ResolutionNotice } from "./views/resolution.js";
import { closeEditor, installEditor } from "./views/popups.js";
import { ShareView } from "./views/share.js";
import { Toolbar } from "./views/toolbar.js";
import { readTourParam, Tour } from "./views/tour.js";

const $ = (id) => document.getElementById(id);
const PAINT_SAMPLES = 600;

let model; // PageModel
let socket; // Socket
const views = {
  controls: null, network: null, output: null, chart: null, lecture: null, toolbar: null, share: null,
  broadcast: null,
  importer: null, // "Load data or a saved network…" and the drop overlay (views/importer.js)
  tour: null, // lecture mode: the lecture's scenes in order (views/tour.js)
  compare: null, compareForm: null, // network B of a comparison: its panel, the form choosing what it changes
  embed: null, // the postMessage API inside a host page's iframe; null on a top-level page
};
const page = {
  frame: null, // latest undrawn frame: the animation loop paints only the newest
  shown: null,
  lastHeader: null,
  frames: 0,
  painted: 0,
  paintMs: [],
  hoverUnit: null,
  structureKey: "",
  statusLog: [],
  resumed: false,
  online: false,
  wasPlaying: false, // playing when the connection dropped: a restored network plays on
  lostSession: false, // the welcome found no session for our token: restore once its state arrives
  heldBack: null, // uploaded points the last hello could not carry: an import brings them to a lost session
  reimporting: false, // that import is on its way
  leftOut: 0, // points the page's link said it could not carry (state.js): named unless the session resumes
  offlineNotice: "", // the notice shown while the server cannot be reached
  offlineSince: 0, // performance.now() when the connection dropped
  chartLabel: null, // network B's label the chart's legend shows (null: no comparison)
};

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/** Send a control message to the session; dropped (false) while the server cannot be reached. */
const send = (msg) => socket.send(msg);

// ---- URL -----------------------------------------------------------------------------------------
function syncUrl() {
  const href = writeUrl(model.schema, model.config, model.ui, model.baseConfig());
  views.broadcast.keepInUrl(); // ?present / ?watch survive the rewrite (the links above leave them out)
  views.tour.keepInUrl(); // and ?tour=1
  views.share.update(href, pointsLeftOut(model.config));
  socket.setResumeKey(location.search);
}

// ---- compare: network B beside A (views/compare.js, views/compareForm.js) ----------------------------
function buildCompare() {
  const apply = (compare) => {
    if (!page.online) return false;
    change({ compare });
    return true;
  };
  views.compareForm = new CompareForm(model.schema, { apply });
  views.compare = new CompareView({ onChange: (anchor) => views.compareForm.open(anchor), onStop: () => apply(null) });
  views.compare.setToggles({ test: model.ui.test, discretize: model.ui.discretize });
  $("compare-open").addEventListener("click", (e) => views.compareForm.open(e.currentTarget));
}

/** The config says whether B trains beside A: its panel, the form, and the open button's wording. */
function showCompare(config) {
  views.compare.setConfig(config);
  views.compareForm.setConfig(config);
  if (!config.compare && page.chartLabel !== null) {
    page.chartLabel = null; // no B any more: the legend goes with it, before the next frame is painted
    views.chart.setCompare(null);
  }
  $("compare-open").textContent = config.compare ? "Change network B\u2026" : "Compare\u2026";
}

// ---- hide= -----------------------------------------------------------------------------------------
function hideableNames() {
  return [...new Set([...document.querySelectorAll("[data-control]")].map((el) => el.dataset.control))];
}

function applyHide() {
  for (const el of document.querySelectorAll("[data-control]")) {
    el.classList.toggle("hidden-control", model.ui.hide.includes(el.dataset.control));
  }
}

// ---- config changes ------------------------------------------------------------------------------
function change(patch, meta) {
  if (!page.online) return; // the controls are disabled meanwhile; the embed API's calls are dropped too
  send({ type: "configure", config: model.change(patch, meta) });
  showConfig();
}

/** Show the model's config in the controls, the diagram, the editor and the address. */
function showConfig() {
  views.controls.set(model.config);
  showEditor();
  rebuildStructureIfNeeded();
  syncUrl();
}

function applyConfig(config) {
  model.confirm(config);
  $("scene").value = model.ui.scene || "";
  const scene = model.sceneNamed(model.ui.scene);
  $("scene-caption").hidden = !scene;
  $("scene-caption").textContent = scene ? scene.caption : "";
  views.tour.setScene(model.ui.scene);
  views.output.setOutput(config.output);
  views.output.setDepth(config.hidden.length);
  showCompare(config);
  showConfig();
}

function rebuildStructureIfNeeded() {
  const c = model.config;
  const limits = model.limits;
  const s = {
    featureNames: limits ? limits.features : c.features,
    features: c.features,
    hidden: c.hidden,
    activations: model.activations(),
    activationNames: limits ? limits.activations : [],
    maxLayers: limits ? limits.max_hidden_layers : 8,
    maxUnits: limits ? limits.max_units : 64,
    outputs: model.outputs(),
    box: model.dataset ? model.dataset.box : [-6, 6],
  };
  const key = JSON.stringify(s);
  if (key === page.structureKey) return;
  page.structureKey = key;
  views.network.setStructure(s);
  applyHide();
}

// ---- the points editor ("user" dataset) -----------------------------------------------------------
/** The plot is the editor while the dataset is "user" and the session can hear it (not a room's viewer). */
function showEditor() {
  const c = model.config;
  const on = editable(c) && !views.broadcast.watching && page.online;
  views.output.setEditing(on ? c.custom_points : null);
  views.controls.showPointClasses(c.dataset !== "user" || editable(c));
}

function editPoint(click) {
  const k = click.shift ? 1 - views.controls.pointClass : views.controls.pointClass;
  const r = editPoints(model.config.custom_points, click, k);
  if (r.error) notice(r.error);
  else change({ custom_points: r.points });
}

// ---- transport -----------------------------------------------------------------------------------
const playPause = () => send({ type: model.state === "playing" ? "pause" : "play" });
const stepOnce = () => send({ type: "step", n: 1 });
const reset = () => send({ type: "reset" });

function showState(msg) {
  model.state = msg.state;
  model.step = msg.step;
  views.toolbar.showState(msg.state);
  if (msg.state === "diverged") {
    const why = msg.message || `the loss became NaN or infinite at step ${msg.step}`;
    views.output.setDiverged(`${why.charAt(0).toUpperCase()}${why.slice(1)}. Lower the learning rate, then reset.`);
  } else {
    views.output.setDiverged(null);
  }
}

// ---- hover a unit: its full map replaces the output until the pointer leaves -----------------------
function hoverUnit(unit) {
  if (JSON.stringify(unit) === JSON.stringify(page.hoverUnit)) return;
  page.hoverUnit = unit;
  views.network.select(unit);
  views.output.showUnit(unit ? describeHidden(unit[0] + 1, unit[1] + 1) : null);
  send({ type: "view", unit });
}

// ---- frames --------------------------------------------------------------------------------------
function onFrame(frame) {
  // while a lost network is being restored, the fresh session's own frames are not the user's network
  if (page.lostSession || (model.restoring && frame.header.step !== model.restoring.step)) return;
  page.frame = frame;
  page.frames += 1;
  page.lastHeader = frame.header;
  model.remember(frame.header);
  const b = frame.header.compare;
  views.chart.add(frame.header.step, frame.header.train_loss, frame.header.test_loss, b ? b.metrics || {} : null);
  views.rewind.onFrame(frame.header.step);
  if (views.embed) views.embed.frame(frame.header);
}

function paint(frame) {
  page.shown = frame;
  const t0 = performance.now();
  const { header, arrays } = frame;
  const canvas = views.output.paint(header, arrays);
  if (!page.hoverUnit || !arrays.unit) views.network.paintOutput(canvas);
  views.network.update(header, arrays);
  views.compare.paint(header, arrays);
  const label = header.compare ? header.compare.label : null; // the chart's legend names B's difference
  if (label !== page.chartLabel) {
    page.chartLabel = label;
    views.chart.setCompare(label);
  }
  views.lecture.onFrame(header);
  views.toolbar.showCounters(header);
  views.resolution.update(header);
  page.paintMs.push(performance.now() - t0);
  if (page.paintMs.length > PAINT_SAMPLES) page.paintMs.shift();
  page.painted += 1;
}

function loop(now) {
  if (page.frame) {
    const f = page.frame;
    page.frame = null;
    paint(f);
  }
  views.chart.tick(now);
  requestAnimationFrame(loop);
}

// ---- bring your data (views/importer.js draws, importing.js words and sends) -------------------------
async function importFile(file) {
  const name = file.name || "the file";
  if (!page.online || !socket.token) {
    notice(`Could not load ${name}: the server cannot be reached; try again when it answers.`);
    return;
  }
  if (views.importer.busy) {
    notice(`Not loaded: ${name} came while another file is still loading; try it again in a moment.`);
    return;
  }
  const kind = kindOf(name, await file.slice(0, 64).text());
  const big = tooLarge(kind, file.size);
  if (big) {
    notice(describeError(name, { message: big }, 413));
    return;
  }
  views.importer.setBusy(name);
  const r = await sendImport(file, kind, socket.token);
  views.importer.setBusy(null);
  if (!r.ok) {
    notice(describeError(name, r.body, r.status));
    return;
  }
  leaveScene(); // the session now trains the file's data or network, not the scene's
  notice(describeSuccess(name, r.answer));
}

/** The page no longer shows a lecture scene: its select, caption, panel and key in the address go. */
function leaveScene() {
  if (!model.ui.scene) return;
  model.ui.scene = null;
  views.lecture.setScene(null);
  applyConfig(model.config);
}

/**
 * A fresh session for a page whose uploaded points the hello could not carry (helloConfig): import them as
 * the CSV they came from, then `then()` (restore the network), or say why the data is lost.
 */
async function reimportHeldBack(then) {
  const { points, regression } = page.heldBack;
  page.heldBack = null;
  const csv = new Blob([pointsCsv(points, regression)], { type: "text/csv" });
  page.reimporting = true;
  const r = await sendImport(csv, "csv", socket.token);
  page.reimporting = false;
  if (r.ok && then) then();
  else if (r.ok) notice(`${lostReason()}; your ${grouped(points.length)} uploaded points were loaded again.`);
  else {
    page.lostSession = false;
    send({ type: "view" }); // frames were held back for the restore: ask for one now
    const why = (r.body && r.body.message) || `HTTP ${r.status}`;
    notice(`${lostReason()}; your uploaded points could not be loaded again (${why}): load the file once more.`);
  }
}

// ---- server messages -----------------------------------------------------------------------------
function onWelcome(msg) {
  const first = !model.limits;
  const lost = socket.sentToken && !msg.resumed && Boolean(msg.token);
  model.session = msg.session;
  page.resumed = Boolean(msg.resumed);
  if (msg.resumed) page.heldBack = null; // the session kept its own points
  if (first) {
    model.setLimits(msg.limits);
    views.controls.setLimits(msg.limits);
    views.compareForm.setLimits(msg.limits);
    drawTiles();
    loadPreviews();
  }
  // A resumed session keeps what the address says: the server's scene may since have been rebuilt away.
  if (!msg.resumed) {
    model.ui.scene = sceneOf(msg.scene);
    applySceneView(msg.scene);
  }
  applyConfig(msg.config);
  views.lecture.setScene(msg.resumed ? model.sceneNamed(model.ui.scene) : msg.scene);
  if (page.hoverUnit) send({ type: "view", unit: page.hoverUnit });
  if (model.ui.regions) send({ type: "view", regions: true });
  if (lost && model.params) {
    page.lostSession = true; // restore once the fresh session's greeting (its state) is through
  } else if (lost && page.heldBack) {
    reimportHeldBack(null);
  } else if (lost) {
    notice("This tab's session was not found on the server (it expired, or the connection reached another "
      + "server process): a fresh session started from the link's settings.");
  } else if (first && !msg.resumed) {
    const pair = model.startPair(); // a link to a regression set: the linear output, as TF Playground
    if (pair) change(pair);
  }
  if (first && page.leftOut && !msg.resumed) {
    notice(`This link was made from ${grouped(page.leftOut)} uploaded points, more than a link carries, so they `
      + "are not in it: the page started from the editor's points. To share such data, export the network "
      + "(JSON) and open the file with \u201cLoad data or a saved network\u2026\u201d.");
  }
}

function restoreLostNetwork() {
  if (page.reimporting) return; // the import's own state message: the restore follows its answer
  if (page.heldBack) {
    // the points the hello could not carry come first, then the network trained on them
    reimportHeldBack(() => restoreLostNetwork());
    return;
  }
  page.lostSession = false;
  const r = model.beginRestore();
  if (r.error) {
    send({ type: "view" }); // the fresh session's frames were held back for the restore: ask for one now
    notice(`${lostReason()}; your network could not be restored (${r.error}): a fresh session started from `
      + "the link's settings.");
    return;
  }
  for (const m of r.messages) send(m);
}

/** Why the server no longer had this tab's session: down past the grace period, or a restart. */
function lostReason() {
  const grace = model.limits ? model.limits.grace_period : Infinity;
  return (performance.now() - page.offlineSince) / 1000 > grace
    ? "Your session expired while the server could not be reached"
    : "The server restarted";
}

function onRestoreAnswer(msg) {
  const step = model.restoring ? model.restoring.step : 0;
  const answer = model.restoreAnswer(msg);
  if (answer === "done") {
    notice(`${lostReason()}; your network was restored at step ${grouped(step)}.`);
    if (page.wasPlaying) send({ type: "play" });
  } else if (answer === "failed") {
    send({ type: "view" }); // the fresh session's frames were held back for the restore: ask for one now
    notice(`${lostReason()}; your network could not be restored (${msg.message}): a fresh session started `
      + "from the link's settings.");
  }
}

function onMessage(msg) {
  if (views.embed) views.embed.serverMessage(msg);
  if (model.restoring && (msg.type === "state" || msg.type === "error")) onRestoreAnswer(msg);
  switch (msg.type) {
    case "welcome":
      onWelcome(msg);
      break;
    case "config":
      if (msg.scene) {
        model.ui.scene = sceneOf(msg.scene);
        model.outputChosen = false; // a scene is a fresh start: its output is the scene's, not a choice
        applySceneView(msg.scene);
        views.lecture.setScene(msg.scene);
      }
      if (msg.rebuilt && page.hoverUnit) {
        // the unit under the pointer may no longer exist: stop asking for its map
        page.hoverUnit = null;
        views.output.showUnit(null);
        send({ type: "view", unit: null });
      }
      applyConfig(msg.config);
      break;
    case "state":
      showState(msg);
      if (page.lostSession) restoreLostNetwork();
      break;
    case "dataset":
      model.dataset = msg;
      views.output.setDataset(msg);
      views.compare.setDataset(msg);
      views.controls.setTrainSize(msg.train.length);
      rebuildStructureIfNeeded();
      drawTiles();
      break;
    case "error":
      onError(msg);
      break;
    case "lecture":
      views.lecture.onMessage(msg);
      break;
    case "rewound":
      views.rewind.onRewound(msg);
      break;
    case "export":
      views.share.download(msg);
      break;
    default:
      break;
  }
  views.broadcast.onMessage(msg); // room, forked; and after a welcome, present
}

/** A scene may ask for a view (e.g. the region overlay): show the toggles the way the server now sends. */
function applySceneView(scene) {
  if (!scene || !scene.view || scene.view.regions === undefined) return;
  model.ui.regions = Boolean(scene.view.regions);
  $("show-regions").checked = model.ui.regions;
  views.output.setToggles({ regions: model.ui.regions });
}

// The default scene is what a bare address starts anyway: links name only the others.
function sceneOf(scene) {
  if (!scene || scene.name === model.defaultScene) return null;
  return scene.name;
}

function onError(msg) {
  if (views.lecture && views.lecture.onError(msg)) return; // the scene panel no longer fits: it says so itself
  // A refused configure changes nothing on the server: put every unconfirmed field back and say what was wrong.
  if (model.rollback(msg)) showConfig();
  views.compareForm.onError(msg); // a refused comparison: said in its form too, at the field it names
  notice(msg.message);
}

function drawTiles() {
  const d = model.dataset;
  if (d) views.controls.drawTile(model.config.dataset, { ...d, points: d.train.concat(d.test) });
  // "Your points" has no generator to preview: its tile shows the points it would start from
  if (model.config.dataset !== "user") {
    const points = model.userPoints || START_POINTS;
    const regression = Boolean(model.userPoints && model.userKind.regression);
    views.controls.drawTile("user", {
      points, regression, classes: regression ? 0 : classesOf(points),
      box: (model.userPoints && model.userKind.box) || USER_BOX,
    });
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
    if (name !== model.config.dataset) views.controls.drawTile(name, d);
  }
}

/** The connection: "open" once greeted; anything else means the session cannot hear the page. */
function onStatus(status, detail) {
  page.statusLog.push(status);
  if (page.statusLog.length > 50) page.statusLog.shift();
  views.toolbar.showStatus(status, detail);
  const online = status === "open";
  if (!online && page.online) {
    page.wasPlaying = model.state === "playing";
    page.offlineSince = performance.now();
  }
  page.online = online;
  views.toolbar.setOnline(online);
  views.network.setEditable(online);
  if (!online) {
    closeEditor();
    model.state = "paused"; // nothing trains for this page while it cannot reach the server
  }
  showEditor();
  if (status === "closed" && detail) {
    notice(`Disconnected: ${detail}.`);
  } else if (status === "reconnecting") {
    page.offlineNotice = "The server cannot be reached: the controls are off until it answers again "
      + "(retrying\u2026).";
    notice(page.offlineNotice);
  } else if (online && page.offlineNotice) {
    if ($("notice-text").textContent === page.offlineNotice) notice(""); // back: that news is stale
    page.offlineNotice = "";
  }
}

// ---- start ---------------------------------------------------------------------------------------
function buildViews(sceneList) {
  views.controls = new Controls(model.schema, change);
  const sel = $("scene");
  sel.append(new Option("\u2014 none \u2014", ""));
  for (const s of sceneList) sel.append(new Option(s.title || s.name, s.name));
  sel.value = model.ui.scene || "";
  sel.addEventListener("change", () => {
    if (sel.value) send({ type: "load_scene", name: sel.value });
  });
  views.output = new OutputView({ onEdit: editPoint });
  views.resolution = new ResolutionNotice($("reduced-maps"));
  views.output.setToggles({ test: model.ui.test, discretize: model.ui.discretize, regions: model.ui.regions });
  views.network = new NetworkView({
    onChange: change,
    onNotice: notice,
    onHoverUnit: hoverUnit,
    onSetParam: (kind, layer, index, value) => send({ type: "set_param", kind, layer, index, value }),
  });
  views.chart = new LossChart($("loss-chart"));
  views.rewind = new RewindView($("loss-chart"), {
    chart: views.chart, send, onContinue: () => { if (model.state !== "playing") playPause(); },
  });
  const backprop = new BackpropOverlay(views.network, {
    onStage: (stage) => {
      views.lecture.stage = stage;
      if (views.lecture.lastData) views.lecture.render(views.lecture.lastData);
    },
  });
  views.lecture = new LecturePanel($("lecture"), {
    send, configure: change, plot: $("plot"), defaultScene: model.defaultScene, overlay: backprop,
  });
  views.importer = new ImporterView({
    onFile: importFile,
    onRefused: (why) => notice(`Nothing was loaded: ${why}.`),
    // a room's viewer and an embedded slide have no data column to load into
    canDrop: () => !views.broadcast.watching && !model.ui.embed && !model.ui.hide.includes("import"),
  });
  views.toolbar = new Toolbar({ onPlay: playPause, onStep: stepOnce, onReset: reset, onEscape: closeEditor });
  views.share = new ShareView({ onExport: (format) => send({ type: "export", format }) });
  buildCompare();
  installEditor();
  installNotice();
  applyHide();
}

/** The view toggles of the output (page state in the URL, no config). */
function wireToggles() {
  const toggle = (id, key, after) => {
    $(id).checked = model.ui[key];
    $(id).addEventListener("change", (e) => {
      model.ui[key] = e.target.checked;
      views.output.setToggles({ [key]: model.ui[key] });
      if (after) after();
      syncUrl();
    });
  };
  toggle("show-test", "test", () => views.compare.setToggles({ test: model.ui.test }));
  toggle("discretize", "discretize", () => {
    views.compare.setToggles({ discretize: model.ui.discretize });
    if (!page.frame && page.shown) page.frame = page.shown; // repaint now, also while paused
  });
  toggle("show-regions", "regions", () => send({ type: "view", regions: model.ui.regions }));
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
  $("reset-points").addEventListener("click", () => change(resetPoints()));
  $("diverged-fix").addEventListener("click", () => {
    const lr = Math.max(1e-5, model.config.learning_rate / 10);
    change({ learning_rate: +lr.toPrecision(2) });
    reset();
  });
}

// For the end-to-end tests and the curious: read-only views of what the page holds.
function exposeForTests() {
  window.__mlp = {
    get config() { return structuredClone(model.config); },
    get ui() { return { ...model.ui }; },
    get session() { return model.session; },
    get state() { return model.state; },
    get step() { return model.step; },
    get header() { return page.lastHeader || null; },
    get dataset() { return model.dataset ? structuredClone(model.dataset) : null; },
    get frames() { return page.frames; },
    get painted() { return page.painted; },
    get paintMs() { return page.paintMs.slice(); },
    get chartMs() { return views.chart.redrawMs.slice(); },
    get status() { return $("status").dataset.state; },
    get statusLog() { return page.statusLog.slice(); },
    get resumed() { return page.resumed; },
    // where the diagram drew each link (diagram pixels), for tests that point at a link
    get links() { return views.network.links.map(({ l, i, j, x0, y0, x1, y1 }) => ({ l, i, j, x0, y0, x1, y1 })); },
    get straightLinks() { return Boolean(views.network.straight); },
    get chart() { return { steps: views.chart.steps.slice(), train: views.chart.train.slice(), bTrain: views.chart.bTrain.slice() }; },
    query: () => buildQuery(model.schema, model.config, model.ui, model.baseConfig()),
  };
}

async function main() {
  let schema;
  let scenes = { scenes: [] };
  try {
    [schema, scenes] = await Promise.all([getJSON("/api/schema"), getJSON("/api/scenes").catch(() => scenes)]);
  } catch (err) {
    notice(`The server did not answer (${err.message}). Reload to try again.`);
    return;
  }
  const sceneList = Array.isArray(scenes) ? scenes : scenes.scenes || [];
  model = new PageModel(schema, sceneList, scenes.default || null);
  const tfNotice = adoptTfLink(schema); // a TF Playground link becomes this page's own query first
  // the room keys (?present, ?watch) belong to broadcast.js, not to the config parser
  const roomParams = readRoomParams(location.search);
  views.broadcast = new Broadcast(roomParams, { notice, urlChanged: () => syncUrl() });
  // tour=1 (lecture mode) belongs to views/tour.js; a room's viewer cannot change scenes, so has no tour
  const tourParams = readTourParam(roomParams.search);
  views.tour = new Tour(scenes.tour || [], sceneList, scenes.default || null, {
    on: tourParams.on && !roomParams.watch,
    load: (name) => send({ type: "load_scene", name }),
    urlChanged: () => syncUrl(),
    moved: (where) => views.embed && views.embed.emit("tour", where),
  });
  const parsed = parseQuery(tourParams.search, schema, { scenes: sceneList.map((s) => s.name), hideable: hideableNames() });
  const ignored = parsed.notices.length ? `Ignored invalid link values: ${parsed.notices.join("; ")}` : "";
  if (tfNotice || ignored) notice([tfNotice, ignored].filter(Boolean).join(" "));
  page.leftOut = parsed.leftOut;
  document.body.classList.toggle("embed", parsed.ui.embed);
  document.body.classList.toggle("embed-edit", Boolean(parsed.ui.edit));
  views.tour.claim(parsed); // ?tour=1 alone starts at the lecture's first scene
  model.start(parsed);
  // a link to "Your points" starts as choosing the tile does; the hello carries the same values
  const extra = linkExtras(parsed.config, model.config);
  Object.assign(parsed.config, extra);
  Object.assign(model.config, extra);
  buildViews(sceneList);
  wireToggles();

  socket = new Socket({
    onFrame,
    onMessage,
    onStatus,
    // Before the first welcome the link's values; afterwards the effective config, so that a session which
    // was lost while the connection was down starts again from exactly what the page shows.
    hello: () => {
      const carried = helloConfig(model.session ? model.config : parsed.config);
      page.heldBack = carried.heldBack;
      const h = { config: carried.config };
      if (model.ui.scene) h.scene = model.ui.scene;
      return { ...h, ...views.broadcast.hello() };
    },
  });
  views.broadcast.attach(socket);
  // inside a host page's iframe: the postMessage API (embed.js, docs/embedding.md); null on a top-level page
  views.embed = installEmbed({
    send,
    change,
    tour: views.tour,
    snapshot: () => ({ state: model.state, step: model.step, config: structuredClone(model.config), session: model.session }),
  });
  socket.setResumeKey(location.search, { initial: true });
  exposeForTests();
  socket.connect();
  requestAnimationFrame(loop);
}

main();
