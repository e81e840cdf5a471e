// Owns the one WebSocket to /ws: connects, decodes binary frames, reconnects with back-off and resumes the
// session with its token. Nothing else in the page touches the socket.

import { decodeFrame } from "./frame.js";

const TOKEN_KEY = "mlp-playground.token";

// Close codes after which reconnecting would be wrong (see docs/protocol.md).
const FINAL = {
  4000: "this session is now open in another tab or window",
  4002: "the session was idle too long and was freed; reload to start again",
  4003: "too many messages; reload to start again",
};

const UNKNOWN_ROOM = 4004; // hello.watch named no open room

export class Socket {
  /**
   * @param {object} handlers
   * @param {(frame: {header: object, arrays: object}) => void} handlers.onFrame
   * @param {(msg: object) => void} handlers.onMessage JSON messages (welcome, state, dataset, error, ...)
   * @param {(status: string, detail: string) => void} handlers.onStatus "connecting" | "open" | "reconnecting" | "closed"
   * @param {() => object} handlers.hello builds the hello message (config and scene) for a fresh session
   */
  constructor(handlers, url = defaultUrl()) {
    this.handlers = handlers;
    this.url = url;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    // sessionStorage is per tab: a reload resumes this tab's session, a new tab starts its own.
    this.token = null;
    this.sentToken = false; // whether the last hello asked to resume a session
    this.stopped = false;
  }

  connect() {
    clearTimeout(this.timer);
    this.handlers.onStatus(this.attempt ? "reconnecting" : "connecting", "");
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.lastArrays = null; // a new socket: the server compares with nothing it sent before
    ws.onopen = () => {
      // params: the network's parameters as one float32 array (frame.js rebuilds the lists the page reads);
      // same: a frame may name arrays of the one before instead of sending them again (kept in lastArrays)
      const hello = { type: "hello", params: "binary", same: true, ...this.handlers.hello() };
      if (this.token) hello.token = this.token;
      this.sentToken = Boolean(this.token);
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => this.closed(ws, event);
  }

  receive(data) {
    if (typeof data !== "string") {
      let frame;
      try {
        frame = decodeFrame(data, this.lastArrays);
        this.lastArrays = frame.arrays;
      } catch (err) {
        this.handlers.onMessage({ type: "error", code: "bad_frame", message: err.message, field: null });
        return;
      }
      this.handlers.onFrame(frame);
      return;
    }
    const msg = JSON.parse(data);
    if (msg.type === "welcome") {
      this.attempt = 0;
      this.leftRoom = false;
      this.token = msg.token;
      safeStorage().setItem(TOKEN_KEY, JSON.stringify({ token: msg.token, key: this.resumeKey }));
      this.handlers.onStatus("open", "");
    }
    this.handlers.onMessage(msg);
  }

  closed(ws, event) {
    if (ws !== this.ws) return;
    this.ws = null;
    if (this.stopped) return;
    if (FINAL[event.code]) {
      // Coming back would fight the tab that took the session over, or be refused again.
      this.handlers.onStatus("closed", FINAL[event.code]);
      return;
    }
    if (event.code === UNKNOWN_ROOM && !this.leftRoom) {
      // not an outage: the room link was stale (the error before the close said so, and the notice shows it);
      // the page stopped watching and goes straight on to a session of its own
      this.leftRoom = true; // once per welcome: a second 4004 in a row goes through the back-off below
      this.connect();
      return;
    }
    const delay = Math.min(8000, 250 * 2 ** this.attempt);
    this.attempt += 1;
    const why = event.reason || `code ${event.code}`;
    this.handlers.onStatus("reconnecting", `${why}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /**
   * Send a JSON control message. While the session is not connected the message is dropped, never queued:
   * a click replayed after a reconnect (a Step clicked while the server was down) would act on a session the
   * user no longer saw. Returns whether it was sent; the page disables its controls meanwhile.
   */
  send(msg) {
    if (!this.ready) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Connected and greeted: messages reach the session. */
  get ready() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.token);
  }

  /**
   * Tie the stored token to the page's query string: a reload of the same address resumes the session, but a
   * reload after the user edited the address starts a session from what the address now says.
   */
  setResumeKey(key, { initial = false } = {}) {
    this.resumeKey = key;
    const store = safeStorage();
    if (initial) {
      let saved = null;
      try {
        saved = JSON.parse(store.getItem(TOKEN_KEY) || "null");
      } catch {
        saved = null;
      }
      this.token = saved && saved.key === key ? saved.token : null;
    } else if (this.token) {
      store.setItem(TOKEN_KEY, JSON.stringify({ token: this.token, key }));
    }
  }

  /** Forget the session (a new hello without token starts a fresh one). */
  forgetToken() {
    this.token = null;
    safeStorage().removeItem(TOKEN_KEY);
  }

  get connected() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "page closed");
  }
}

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

// Storage can be unavailable (sandboxed iframes, privacy modes), and embedded frames on one slide share the
// origin's sessionStorage, so they must not share a token: both keep it in memory only.
const memory = new Map();
const memoryStore = {
  getItem: (k) => memory.get(k) ?? null,
  setItem: (k, v) => memory.set(k, v),
  removeItem: (k) => memory.delete(k),
};

function safeStorage() {
  if (window.self !== window.top) return memoryStore;
  try {
    const s = window.sessionStorage;
    s.getItem(TOKEN_KEY);
    return s;
  } catch {
    return memoryStore;
  }
}
