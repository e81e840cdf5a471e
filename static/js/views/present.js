// "Present to the room" (issue 10, section 5): the share panel's control that turns this tab's session into a
// broadcast room (app/rooms.py, broadcast.js) and shows what the room needs to join from their seats: the room
// code in big type, a QR code of the viewer link large enough to scan from the back of a lecture hall (drawn
// by the server, GET /qr.svg, so it works offline) and the link itself as text. The dialog closes without
// ending the room; the banner's "Show QR code" and the share panel's button bring it back. broadcast.js
// installs it with its socket and hands it every server message after its own handling.

import { el } from "../dom.js";

const $ = (id) => document.getElementById(id);
/** The document event a newly opened room fires (views/lecture.js re-sends its panel request on it). */
export const ROOM_OPENED = "mlp-room-opened";
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * @param {object} deps
 * @param {import("../broadcast.js").Broadcast} deps.broadcast the page's room state (its `room`, `present`)
 * @param {(msg: object) => void} deps.send sends a protocol message
 * @returns {{onMessage: (msg: object) => void, open: () => void}}
 */
export function installPresent({ broadcast, send }) {
  const view = new PresentView(broadcast, send);
  return { onMessage: (msg) => view.onMessage(msg), open: () => view.start() };
}

class PresentView {
  constructor(broadcast, send) {
    this.broadcast = broadcast;
    this.send = send;
    this.wanted = false; // the user asked to see the dialog: open it when the room arrives
    this.opened = null; // the code of the room this tab last opened
    this.button = $("present-start");
    this.button.addEventListener("click", () => this.start());
    this.dialog = buildDialog();
    this.dialog.close.addEventListener("click", () => this.dialog.root.close());
    this.dialog.copy.addEventListener("click", () => this.copy());
    // the page's shortcuts (Space: play, s: step) stay behind the modal: Space presses the focused button
    this.dialog.root.addEventListener("keydown", (e) => e.stopPropagation());
    // the presenter's banner gets a way back to the QR code once the dialog is closed
    this.reopen = document.createElement("button");
    this.reopen.id = "room-qr";
    this.reopen.textContent = "Show QR code";
    this.reopen.hidden = true;
    this.reopen.addEventListener("click", () => this.open());
    broadcast.banner.root.append(this.reopen);
    this.sync();
  }

  get presenting() {
    const r = this.broadcast.room;
    return Boolean(r && r.role === "presenter" && r.presenter !== "ended");
  }

  /** The control's click: start presenting (or, already presenting, show the dialog again). */
  start() {
    if (this.broadcast.watching) return; // a viewer presents nothing: it would have to fork first
    if (this.presenting) {
      this.open();
      return;
    }
    this.wanted = true;
    this.button.disabled = true;
    this.button.textContent = "Opening a room\u2026";
    this.broadcast.present = true; // and ?present=1 in the address: a reload keeps presenting
    this.broadcast.hooks.urlChanged();
    this.send({ type: "present" });
  }

  onMessage(msg) {
    if (msg.type === "room" && msg.role === "presenter" && msg.presenter !== "ended" && msg.code !== this.opened) {
      // a new room: the scene panel asks for its numbers again, so that they reach the room's viewers
      // (views/lecture.js listens; its earlier answers went to this tab alone)
      this.opened = msg.code;
      document.dispatchEvent(new CustomEvent(ROOM_OPENED, { detail: { code: msg.code } }));
    }
    // refused (the controller shows the error as a notice): the button must not wait for a room forever
    if (msg.type === "error" && this.wanted && !this.presenting) this.wanted = false;
    if (["room", "forked", "welcome", "error"].includes(msg.type)) this.sync();
    if (msg.type === "room" && msg.role === "presenter" && this.wanted) {
      this.wanted = false;
      this.open();
    }
  }

  /** The share panel's button and the dialog follow the room. */
  sync() {
    const r = this.broadcast.room;
    const b = this.button;
    b.hidden = this.broadcast.watching;
    b.disabled = this.wanted;
    if (!this.wanted) b.textContent = this.presenting ? "Show the room's QR code" : "Present to the room";
    this.reopen.hidden = !this.presenting;
    if (!r || r.role !== "presenter") return;
    const d = this.dialog;
    const link = this.broadcast.viewerLink();
    d.code.textContent = r.code;
    d.link.textContent = link;
    d.link.href = link;
    const src = `/qr.svg?text=${encodeURIComponent(link)}`;
    if (d.qr.getAttribute("src") !== src) d.qr.src = src;
    const n = r.viewers ?? 0;
    const ended = r.presenter === "ended";
    d.qr.hidden = ended;
    d.root.dataset.presenter = r.presenter;
    // a loopback address works on this machine only: the room's phones would scan a dead link
    d.warning.hidden = ended || !LOOPBACK.test(location.hostname);
    d.status.textContent = ended ? `This room has ended. ${r.message || ""}`
      : `${n} viewer${n === 1 ? "" : "s"} watching. Viewers can "Fork" to train their own copy.`;
  }

  open() {
    if (!this.presenting) return;
    this.sync();
    if (!this.dialog.root.open) this.dialog.root.showModal();
    this.dialog.close.focus();
  }

  async copy() {
    const link = this.broadcast.viewerLink();
    const btn = this.dialog.copy;
    try {
      await navigator.clipboard.writeText(link);
      btn.textContent = "Link copied";
    } catch {
      // no clipboard permission (plain http): select the link text for copying by hand
      const range = document.createRange();
      range.selectNodeContents(this.dialog.link);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      btn.textContent = "Copy the selected link";
    }
    setTimeout(() => (btn.textContent = "Copy link"), 2000);
  }
}

function buildDialog() {
  const title = el("h2", { id: "present-title", text: "Join the room" });
  const code = el("strong", { id: "present-code", class: "present-code" });
  const codeLine = el("p", { class: "present-code-line" }, "Room code ", code);
  const qr = el("img", { id: "present-qr", class: "present-qr", alt: "QR code of the viewer link" });
  const link = el("a", { id: "present-link", class: "present-link", target: "_blank", rel: "noopener" });
  const status = el("p", { id: "present-status", class: "present-status", role: "status" });
  const copy = el("button", { id: "present-copy", type: "button", text: "Copy link" });
  const close = el("button", { id: "present-close", type: "button", text: "Back to the network (keep presenting)" });
  const actions = el("div", { class: "present-actions" }, copy, close);
  const warning = el("p", {
    id: "present-warning", class: "present-warning", hidden: true,
    text: "Only this computer can open this address: start the server with --host 0.0.0.0 "
      + "and open the page by this computer's network address.",
  });
  const root = el("dialog", { id: "present-dialog", class: "present-dialog", "aria-labelledby": "present-title" },
    title, codeLine, qr, link, warning, status, actions);
  document.body.append(root);
  return { root, code, qr, link, warning, status, copy, close };
}
