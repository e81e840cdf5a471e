// The transport and status of the page: play/pause, step and reset (top bar and embed bar), the epoch and
// step counters, the connection status, and the page's honest "offline" mode: while the server cannot be
// reached every control that would talk to it is disabled, so nothing is clicked that cannot happen.

import { grouped } from "../format.js";

const $ = (id) => document.getElementById(id);

const STATUS_TEXT = { open: "live", connecting: "connecting", reconnecting: "reconnecting", closed: "offline" };

// Where the controls that act on the session live. Pure view toggles (test data, discretize) and the share
// panel's link stay usable: they need no server.
const OFFLINE_SCOPES = [".topbar", ".col.data", ".col.network", ".embed-bar", "#lecture", ".exports", "#diverged"];
const KEEP = new Set(["copy-link", "notice-close"]);

export class Toolbar {
  /**
   * The buttons and their keyboard shortcuts (Space, s or right arrow, r; Escape closes an editor).
   * @param {{onPlay: () => void, onStep: () => void, onReset: () => void, onEscape: () => void}} cb
   */
  constructor(cb) {
    for (const id of ["play", "embed-play"]) $(id).addEventListener("click", () => cb.onPlay());
    for (const id of ["step", "embed-step"]) $(id).addEventListener("click", () => cb.onStep());
    for (const id of ["reset", "embed-reset"]) $(id).addEventListener("click", () => cb.onReset());
    this.keys = { " ": cb.onPlay, s: cb.onStep, ArrowRight: cb.onStep, r: cb.onReset };
    document.addEventListener("keydown", (e) => this.onKey(e, cb));
    this.online = false;
    this.disabledHere = new Set(); // the controls offline mode disabled (others were disabled for their own reasons)
  }

  onKey(e, cb) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
    const action = this.keys[e.code === "Space" ? " " : e.key];
    if (action) {
      e.preventDefault(); // also keeps a focused button from toggling a second time
      if (this.online) action(); // while offline a key does nothing, as the disabled buttons do
    } else if (e.key === "Escape") {
      cb.onEscape();
    }
  }

  /** Show the training state: the play buttons are pressed exactly while the session plays. */
  showState(state) {
    const playing = state === "playing";
    for (const id of ["play", "embed-play"]) {
      $(id).setAttribute("aria-pressed", String(playing));
      $(id).setAttribute("aria-label", playing ? "Pause" : "Play");
    }
  }

  /** The epoch (zero-padded, as TF Playground) and step counters of a frame header. */
  showCounters(header) {
    $("epoch").textContent = grouped(header.epoch ?? 0, 6);
    $("stepcount").textContent = grouped(header.step);
  }

  /** The connection status light and text; `detail` goes to its tooltip. */
  showStatus(status, detail) {
    const el = $("status");
    el.dataset.state = status;
    el.textContent = STATUS_TEXT[status] || status;
    el.title = detail || "";
  }

  /**
   * Online: controls work. Offline: they are disabled (and the play buttons show that nothing plays);
   * coming back enables exactly the ones this disabled.
   */
  setOnline(online) {
    if (online === this.online) return;
    this.online = online;
    document.body.classList.toggle("offline", !online);
    if (!online) {
      this.showState("paused");
      for (const el of document.querySelectorAll(OFFLINE_SCOPES.map((s) => `${s} :is(button, select, input)`).join(","))) {
        if (el.disabled || KEEP.has(el.id)) continue;
        el.disabled = true;
        this.disabledHere.add(el);
      }
    } else {
      for (const el of this.disabledHere) el.disabled = false;
      this.disabledHere.clear();
    }
  }
}
