// Presenter broadcast on the page (the server side is app/rooms.py). `?present=1` opens a room for this tab's
// session and shows its code and viewer link; `?watch=CODE` watches a room read-only (controls disabled, a
// banner) until "Fork" turns the tab into a private session starting from the presenter's weights. (A
// reconnect that finds no session to resume is the controller's: it restores the network the page last saw.)
//
// controller.js owns the URL for everything else; the two room keys are kept out of its parser (readRoomParams)
// and put back after each of its rewrites (keepInUrl).

import { readable } from "./state.js";
import { installPresent } from "./views/present.js";

const KEYS = ["present", "watch"];
const TRUE = new Set(["1", "true", "yes", "on"]);

/**
 * Split the room keys off a query string.
 * @param {string} search location.search
 * @returns {{watch: string|null, present: boolean, search: string}} `search` without the room keys
 */
export function readRoomParams(search) {
  const params = new URLSearchParams(search);
  const watch = (params.get("watch") || "").trim() || null;
  const present = !watch && TRUE.has((params.get("present") || "").trim().toLowerCase());
  for (const key of KEYS) params.delete(key);
  const rest = readable(params.toString());
  return { watch, present, search: rest ? `?${rest}` : "" };
}

export class Broadcast {
  /**
   * @param {{watch: string|null, present: boolean}} params from readRoomParams
   * @param {object} hooks
   * @param {(text: string) => void} hooks.notice shows a notice
   * @param {() => void} hooks.urlChanged asks the controller to rewrite the address (it calls keepInUrl)
   */
  constructor(params, hooks) {
    this.watch = params.watch;
    this.present = params.present;
    this.hooks = hooks;
    this.socket = null;
    this.room = null; // the last `room` message
    this.banner = buildBanner();
    this.banner.fork.addEventListener("click", () => this.fork());
    this.banner.copy.addEventListener("click", () => this.copyLink());
    document.body.classList.toggle("watching", Boolean(this.watch));
    if (this.watch) this.show(`Joining room ${this.watch}\u2026`);
  }

  /** The socket is made after this object (its hello asks us for the room key). */
  attach(socket) {
    this.socket = socket;
    // the share panel's "Present to the room" and its QR code dialog (views/present.js)
    this.presentView = installPresent({ broadcast: this, send: (m) => socket.send(m) });
  }

  /** Fields for the hello: `watch` while watching. */
  hello() {
    return this.watch ? { watch: this.watch } : {};
  }

  get watching() {
    return Boolean(this.watch);
  }

  onMessage(msg) {
    switch (msg.type) {
      case "welcome":
        if (this.watch) break; // a viewer's greeting: no session, no token
        if (this.present) this.socket.send({ type: "present" });
        break;
      case "room":
        this.room = msg;
        this.render();
        break;
      case "forked":
        this.stopWatching(`You now train your own copy of room ${msg.room}, starting from the presenter's `
          + "weights. Reset returns to them.");
        break;
      case "error":
        if (msg.code === "unknown_room" && this.watch) this.stopWatching("");
        break;
      default:
        break;
    }
    if (this.presentView) this.presentView.onMessage(msg);
  }

  /** Put the room key back into the address the controller just wrote (a reload rejoins / re-presents). */
  keepInUrl() {
    if (!this.watch && !this.present) return;
    const url = new URL(location.href);
    for (const key of KEYS) url.searchParams.delete(key);
    if (this.watch) url.searchParams.set("watch", this.watch);
    else url.searchParams.set("present", "1");
    const next = `${url.pathname}${readable(url.search)}`;
    if (next !== `${location.pathname}${location.search}`) history.replaceState(null, "", next);
  }

  fork() {
    const s = this.socket;
    if (!s || !s.connected || !this.room || this.room.presenter === "ended") return;
    s.ws.send(JSON.stringify({ type: "fork" }));
    this.banner.fork.disabled = true;
    this.banner.text.textContent = `Forking room ${this.room.code}\u2026`;
  }

  stopWatching(message) {
    this.watch = null;
    this.room = null;
    document.body.classList.remove("watching");
    this.banner.root.hidden = true;
    this.hooks.urlChanged();
    if (message) this.hooks.notice(message);
  }

  viewerLink() {
    return `${location.origin}${location.pathname}?watch=${this.room.code}`;
  }

  async copyLink() {
    const link = this.viewerLink();
    try {
      await navigator.clipboard.writeText(link);
      this.banner.copy.textContent = "Link copied";
    } catch {
      this.banner.link.select(); // no clipboard permission: select it for copying by hand
      this.banner.copy.textContent = "Copy the selected link";
    }
    setTimeout(() => (this.banner.copy.textContent = "Copy viewer link"), 2000);
  }

  show(text) {
    const b = this.banner;
    b.root.hidden = false;
    b.text.textContent = text;
  }

  render() {
    const r = this.room;
    const b = this.banner;
    const presenter = r.role === "presenter";
    b.root.dataset.role = r.role;
    b.root.dataset.presenter = r.presenter;
    b.link.hidden = b.copy.hidden = !presenter || r.presenter === "ended";
    b.fork.hidden = presenter;
    b.fork.disabled = r.presenter === "ended";
    b.code.textContent = r.code;
    b.code.hidden = !presenter || r.presenter === "ended"; // large, to read off the projector
    if (presenter) {
      b.link.value = this.viewerLink();
      const n = r.viewers ?? 0;
      this.show(r.presenter === "ended" ? `Room ${r.code} has ended. ${r.message || ""}`
        : `Presenting: ${n} viewer${n === 1 ? "" : "s"}. Viewer link:`);
    } else {
      const what = { connected: "read-only; the presenter controls it.", away: r.message || "the presenter is away.",
        ended: r.message || "the room has ended." }[r.presenter];
      this.show(`Watching room ${r.code}: ${what}`);
    }
  }
}

function buildBanner() {
  const root = document.createElement("div");
  root.id = "room-banner";
  root.className = "room-banner";
  root.setAttribute("role", "status");
  root.hidden = true;
  const text = document.createElement("span");
  text.id = "room-text";
  const code = document.createElement("strong");
  code.id = "room-code";
  code.className = "room-code";
  const link = document.createElement("input");
  link.id = "room-link";
  link.readOnly = true;
  link.setAttribute("aria-label", "Viewer link");
  const copy = document.createElement("button");
  copy.id = "room-copy";
  copy.textContent = "Copy viewer link";
  const fork = document.createElement("button");
  fork.id = "room-fork";
  fork.textContent = "Fork: train my own copy";
  root.append(code, text, link, copy, fork);
  const header = document.querySelector(".topbar");
  if (header) header.after(root);
  else document.body.prepend(root);
  return { root, text, code, link, copy, fork };
}
