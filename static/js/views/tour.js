// Lecture mode (docs/lecture.md, "Lecture mode"): the page walks the lecture's scenes in the lecture's order,
// one scene at a time, driven by the keys a presentation clicker sends. The order is the server's
// (GET /api/scenes "tour", app/scenes.py TOUR). The scene itself is loaded and shown as always (the page's
// scene layout, its panel beside the output plot); this module owns only the lecture bar (position, title,
// previous / next, full screen, leave), the start button, the keys, and the `tour=1` key of the address.
// The position is the scene: `?tour=1&scene=depth` is the depth stop, so a reload or a shared link lands there.

import { readable } from "../state.js";

const $ = (id) => document.getElementById(id);

export const TOUR_KEY = "tour";
const TRUE = new Set(["1", "true", "yes", "on"]);

// What a clicker sends: PageDown / PageUp for its two buttons; some send the arrows instead. The keys some
// clickers send for "black screen" ("b", ".") are not ours: they are left to the page, which binds neither.
const NEXT_KEYS = new Set(["PageDown", "ArrowRight", "ArrowDown"]);
const PREVIOUS_KEYS = new Set(["PageUp", "ArrowLeft", "ArrowUp"]);
// Keys that stay with a focused control (a select's arrows pick an option, a slider's move it). The
// clicker's own keys (PageDown / PageUp) always turn the page: the lecturer holding it has no other way.
const CONTROL_KEYS = new Set(["ArrowRight", "ArrowDown", "ArrowLeft", "ArrowUp", "Home", "End"]);
const CONTROL_ROLES = "[role=listbox], [role=option], [role=radiogroup], [role=radio], [role=slider], "
  + "[role=spinbutton], [role=menu], [role=menuitem], [role=textbox], [contenteditable=true]";
// A stop asked for that never loaded (the server refused it, the connection dropped) stops counting after
// this long, so the next press moves from what is on screen.
const PENDING_MS = 5000;
// While a popover or dialog is open its keys (Escape closes it) are its own.
const OVERLAYS = ".popover:not([hidden]), dialog[open], [role=dialog]:not([hidden])";

/**
 * Split the `tour` key off a query string (it is page state for this module, not a setting).
 * @param {string} search location.search (or what is left of it)
 * @returns {{on: boolean, search: string}} `search` without the key
 */
export function readTourParam(search) {
  const params = new URLSearchParams(search);
  const on = TRUE.has((params.get(TOUR_KEY) || "").trim().toLowerCase());
  params.delete(TOUR_KEY);
  const rest = readable(params.toString());
  return { on, search: rest ? `?${rest}` : "" };
}

/** True while keyboard focus is on a control that uses the arrow keys itself. */
function controlHasFocus(target) {
  if (!(target instanceof Element)) return false;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement
    || target instanceof HTMLTextAreaElement || target.isContentEditable) return true;
  return Boolean(target.closest(CONTROL_ROLES));
}

export class Tour {
  /**
   * @param {string[]} order scene names in the lecture's order (/api/scenes "tour")
   * @param {{name: string, title?: string}[]} scenes the scene list of /api/scenes (for the titles)
   * @param {string|null} defaultScene the scene a bare address starts (the page calls it "no scene")
   * @param {object} hooks
   * @param {boolean} hooks.on the address asked for lecture mode
   * @param {(name: string) => boolean} hooks.load loads a scene; false when it could not be sent (offline)
   * @param {() => void} hooks.urlChanged asks the controller to rewrite the address (it calls keepInUrl)
   * @param {(where: {scene: string|null, position: number|null, count: number}) => void} hooks.moved
   *   the loaded scene changed (the embed API tells the host page)
   */
  constructor(order, scenes, defaultScene, hooks) {
    this.defaultScene = defaultScene;
    this.order = order.filter((name) => scenes.some((s) => s.name === name));
    this.titles = new Map(scenes.map((s) => [s.name, s.title || s.name]));
    this.hooks = hooks;
    this.on = Boolean(hooks.on) && this.order.length > 0;
    this.current = null; // the scene now loaded (null: none, or the default playground)
    this.pending = null; // the stop asked for and not yet loaded: a second press moves on from there
    this.pendingAt = 0;
    // the last stop shown: after a detour (another scene, or a scene's network rebuilt by hand, which drops
    // the scene) the lecture goes on from there
    this.last = null;
    this.reported = undefined;
    this.bar = $("tourbar");
    this.startButton = $("tour-start");
    this.startButton.hidden = this.order.length === 0;
    this.startButton.addEventListener("click", () => this.start());
    $("tour-previous").addEventListener("click", () => this.previous());
    $("tour-next").addEventListener("click", () => this.next());
    $("tour-leave").addEventListener("click", () => this.leave());
    const full = $("tour-fullscreen");
    full.hidden = !document.fullscreenEnabled;
    full.addEventListener("click", () => this.toggleFullscreen());
    document.addEventListener("fullscreenchange", () => {
      full.setAttribute("aria-pressed", String(Boolean(document.fullscreenElement)));
    });
    // capture, on the window: before the page's own shortcuts (the right arrow steps training), which a
    // handled key must not reach
    window.addEventListener("keydown", (e) => this.onKey(e), true);
    this.show();
  }

  /** A bare `?tour=1` starts at the first stop; with a scene or settings, the page shows what they say. */
  claim(parsed) {
    if (this.on && !parsed.ui.scene && !Object.keys(parsed.config).length) parsed.ui.scene = this.order[0];
  }

  /** 1-based position of the loaded scene in the lecture, or null when it is not one of its stops. */
  get position() {
    const i = this.order.indexOf(this.current);
    return i < 0 ? null : i + 1;
  }

  where() {
    return { scene: this.current, position: this.position, count: this.order.length };
  }

  /** The page loaded `name` (null: no scene): the bar follows, and the host page hears of a move. */
  setScene(name) {
    this.current = name || null;
    if (this.pending === this.current) this.pending = null;
    if (this.order.includes(this.current)) this.last = this.current;
    this.show();
    if (this.reported !== this.current) {
      this.reported = this.current;
      this.hooks.moved(this.where());
    }
  }

  /** The stop asked for and still on its way, or null. */
  get waiting() {
    return this.pending && performance.now() - this.pendingAt < PENDING_MS ? this.pending : null;
  }

  /** Load the stop `name`; false when it is already there (or asked for) or could not be sent. */
  go(name) {
    if (name === (this.waiting ?? this.current)) return false;
    if (!this.hooks.load(name)) return false;
    this.pending = name;
    this.pendingAt = performance.now();
    return true;
  }

  /** The stop `delta` away from the one loaded or asked for (or the last one shown), or null past an end. */
  target(delta) {
    let from = this.order.indexOf(this.waiting ?? this.current);
    if (from < 0) from = this.order.indexOf(this.last);
    // never in the lecture yet (another scene or none): either key enters it at its first stop
    const to = from < 0 ? 0 : from + delta;
    return to >= 0 && to < this.order.length ? this.order[to] : null;
  }

  /** Move by `delta` stops; false at either end (nothing happens). */
  move(delta) {
    const name = this.target(delta);
    return name !== null && this.go(name);
  }

  next() {
    return this.move(1);
  }

  previous() {
    return this.move(-1);
  }

  start() {
    if (this.on || !this.order.length) return;
    this.on = true;
    if (!this.order.includes(this.current)) this.go(this.order[0]);
    this.show();
    this.hooks.urlChanged();
    $("tour-next").focus(); // the bar is where the keyboard goes on; the clicker's keys work anywhere
  }

  /** Back to the normal page, at the scene now loaded. */
  leave() {
    if (!this.on) return;
    this.on = false;
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    this.show();
    this.hooks.urlChanged();
    this.startButton.focus();
  }

  toggleFullscreen() {
    const request = document.fullscreenElement
      ? document.exitFullscreen() : document.documentElement.requestFullscreen({ navigationUI: "hide" });
    request.catch(() => {}); // refused (e.g. by a frame without allowfullscreen): the page stays as it is
  }

  /** Put `tour=1` back after the controller rewrote the address (state.js knows only the settings). */
  keepInUrl() {
    const url = new URL(location.href);
    if (this.on === (url.searchParams.get(TOUR_KEY) === "1")) return;
    url.searchParams.delete(TOUR_KEY);
    if (this.on) url.searchParams.set(TOUR_KEY, "1");
    history.replaceState(null, "", `${url.pathname}${readable(url.search)}`);
  }

  onKey(e) {
    if (!this.on || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
    const t = e.target;
    if (t instanceof Element && t.closest(OVERLAYS)) return;
    if (document.querySelector(OVERLAYS)) return;
    if (CONTROL_KEYS.has(e.key) && controlHasFocus(t)) return;
    let act = null;
    if (NEXT_KEYS.has(e.key)) act = () => this.next();
    else if (PREVIOUS_KEYS.has(e.key)) act = () => this.previous();
    else if (e.key === "Home") act = () => this.go(this.order[0]);
    else if (e.key === "End") act = () => this.go(this.order[this.order.length - 1]);
    else if (e.key === "Escape") act = () => this.leave();
    if (!act) return;
    e.preventDefault(); // no scrolling, no option picked in a focused select
    e.stopImmediatePropagation(); // the page's right arrow would also step training
    act();
  }

  /** The bar: shown in lecture mode, with "4 / 11", the scene's title and the ends' buttons disabled. */
  show() {
    document.body.classList.toggle("tour", this.on);
    this.bar.hidden = !this.on;
    this.startButton.setAttribute("aria-pressed", String(this.on));
    const pos = this.position;
    const count = this.order.length;
    $("tour-progress").textContent = pos ? `${pos} / ${count}` : `\u2013 / ${count}`;
    const next = this.target(1);
    $("tour-title").textContent = pos ? this.titles.get(this.current)
      : `${this.titles.get(this.current || this.defaultScene) || "This network"}: not a stop of the lecture`
        + `${next ? ` (next: ${this.titles.get(next)})` : ""}`;
    $("tour-previous").disabled = this.target(-1) === null;
    $("tour-next").disabled = next === null;
  }
}
