// The postMessage API of an embedded player (docs/embedding.md). A host page that shows the player in an
// iframe drives it with {type: "mlp-playground", action: ...} and receives {type: "mlp-playground",
// event: ...}. Only the server's own origin and the origins in its settings (MLP_PLAYGROUND_EMBED_ORIGINS,
// handed over in a meta tag) are heard. Events go to the host's own origin, and only when it is one of those
// (never to "*" unless the settings say "*"): posting to every allowed origin in turn would have the browser
// warn in the host's console about each one that is not the host's. Knows nothing of the socket or the
// views: the controller passes in what to call.

export const MESSAGE_TYPE = "mlp-playground";
export const ACTIONS = ["play", "pause", "step", "reset", "load_scene", "set", "get_state", "next", "previous",
  "goto"];
const MAX_STEP = 1000; // the protocol's bound on one step message

/** The allowed embedder origins the server put in <meta name="mlp-embed-origins" content="a b">. */
export function allowedOrigins(doc = document) {
  const meta = doc.querySelector('meta[name="mlp-embed-origins"]');
  return (meta ? meta.content : "").split(/[\s,]+/).filter(Boolean);
}

class ActionError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

export class EmbedApi {
  /**
   * @param {object} options
   * @param {string[]} options.allowed origins that may drive the player ("*" = any)
   * @param {string} options.self the player's own origin (always allowed)
   * @param {Window} options.host the window that embeds the player (window.parent)
   * @param {object} options.actions {send(message), change(configPatch), snapshot() -> {state, step, config, session},
   *   tour: the lecture's order (views/tour.js: order, next(), previous(), go(name), where())}
   */
  constructor({ allowed, self, host, hostOrigin = null, actions }) {
    this.any = allowed.includes("*");
    this.origins = [...new Set([self, ...allowed.filter((o) => o !== "*")])];
    this.host = host;
    // where the host page lives, when the browser says (see hostOriginOf); else learnt from its first message
    this.hostOrigin = hostOrigin;
    this.actions = actions;
    this.onEvent = (event) => this.receive(event);
  }

  accepts(origin) {
    return this.any || this.origins.includes(origin);
  }

  /** A window "message" event: ignored unless it is ours, from the host window and an allowed origin. */
  receive(event) {
    if (event.source !== this.host || !this.accepts(event.origin)) return;
    this.hostOrigin = event.origin; // the host has spoken: its origin is the one to answer
    const msg = event.data;
    if (!msg || typeof msg !== "object" || msg.type !== MESSAGE_TYPE || !("action" in msg)) return;
    try {
      this.dispatch(msg);
    } catch (err) {
      if (!(err instanceof ActionError)) throw err;
      this.emit("error", { code: "bad_action", message: err.message, field: err.field });
    }
  }

  dispatch(msg) {
    const { send, change, snapshot, tour } = this.actions;
    switch (msg.action) {
      case "play":
      case "pause":
      case "reset":
        send({ type: msg.action });
        break;
      case "step": {
        const n = msg.n ?? 1;
        if (!Number.isInteger(n) || n < 1 || n > MAX_STEP) {
          throw new ActionError("n", `step: n must be an integer from 1 to ${MAX_STEP}, got ${JSON.stringify(n)}`);
        }
        send({ type: "step", n });
        break;
      }
      case "load_scene":
        if (typeof msg.scene !== "string" || !msg.scene) {
          throw new ActionError("scene", "load_scene: scene must be a scene name (see /api/scenes)");
        }
        send({ type: "load_scene", name: msg.scene });
        break;
      case "set":
        if (!msg.config || typeof msg.config !== "object" || Array.isArray(msg.config)) {
          throw new ActionError("config", 'set: config must be an object of settings, e.g. {"learning_rate": 0.01}');
        }
        change(msg.config);
        break;
      case "get_state":
        this.emit("state", snapshot());
        break;
      // the lecture's scenes in order (as lecture mode walks them); a move is reported by a "tour" event once
      // the scene has loaded, a move past either end (nothing happens) at once, so the deck knows where it is
      case "next":
        if (!tour.next()) this.emit("tour", tour.where());
        break;
      case "previous":
        if (!tour.previous()) this.emit("tour", tour.where());
        break;
      case "goto":
        if (!tour.go(tourStop(msg, tour.order))) this.emit("tour", tour.where());
        break;
      default:
        throw new ActionError("action", `unknown action ${JSON.stringify(msg.action)}; expected one of: ${ACTIONS.join(", ")}`);
    }
  }

  /** The origins an event is addressed to: the host's, if allowed; every allowed one while it is unknown. */
  targets() {
    if (this.hostOrigin) return this.accepts(this.hostOrigin) ? [this.any ? "*" : this.hostOrigin] : [];
    return this.any ? ["*"] : this.origins;
  }

  /** Post an event to the host (the browser drops it unless the host's origin is the one addressed). */
  emit(event, fields = {}) {
    const message = { type: MESSAGE_TYPE, event, ...fields };
    for (const origin of this.targets()) this.host.postMessage(message, origin);
  }

  /** Server JSON messages the host hears about: the session's arrival, state, config and errors. */
  serverMessage(msg) {
    switch (msg.type) {
      case "welcome":
        this.emit("ready", { session: msg.session, resumed: Boolean(msg.resumed), config: msg.config,
          scene: msg.scene ? msg.scene.name ?? null : null });
        break;
      case "state":
        this.emit("state", { state: msg.state, step: msg.step, message: msg.message ?? null });
        break;
      case "config":
        this.emit("config", { config: msg.config, rebuilt: Boolean(msg.rebuilt) });
        break;
      case "error":
        this.emit("error", { code: msg.code, message: msg.message, field: msg.field ?? null });
        break;
      default:
        break;
    }
  }

  /** Every frame: its step and losses (the numbers of the loss chart). */
  frame(header) {
    this.emit("frame", { step: header.step, epoch: header.epoch ?? null, train_loss: header.train_loss ?? null,
      test_loss: header.test_loss ?? null });
  }
}

/** The scene a `goto` names: `scene` (a name of the lecture's order) or `position` (1-based in it). */
function tourStop(msg, order) {
  const known = `the lecture's scenes are ${order.join(", ")}`;
  if ("position" in msg) {
    const p = msg.position;
    if (!Number.isInteger(p) || p < 1 || p > order.length) {
      throw new ActionError("position", `goto: position must be an integer from 1 to ${order.length} (${known}), `
        + `got ${JSON.stringify(p)}`);
    }
    return order[p - 1];
  }
  if (!("scene" in msg)) {
    throw new ActionError("scene", 'goto: give a scene name ({"scene": "depth"}) or a 1-based position '
      + '({"position": 4})');
  }
  if (typeof msg.scene !== "string" || !order.includes(msg.scene)) {
    throw new ActionError("scene", `goto: scene must be one of the lecture's scenes, got ${JSON.stringify(msg.scene)}; `
      + known);
  }
  return msg.scene;
}

/** The origin of the page that embeds `win`: Chromium and Safari list it in location.ancestorOrigins; other
 * browsers send it as the referrer of the frame's document (unless the host's referrer policy says none). */
export function hostOriginOf(win = window) {
  const ancestors = win.location.ancestorOrigins;
  if (ancestors && ancestors.length) return ancestors[0];
  try {
    return win.document.referrer ? new URL(win.document.referrer).origin : null;
  } catch {
    return null;
  }
}

/** The API when the page runs inside a frame, listening for messages; null on a top-level page. */
export function installEmbed(actions, win = window) {
  if (win.parent === win) return null;
  const api = new EmbedApi({ allowed: allowedOrigins(win.document), self: win.location.origin, host: win.parent,
    hostOrigin: hostOriginOf(win), actions });
  win.addEventListener("message", api.onEvent);
  return api;
}
