// Rewind (issue 12): the loss chart is the scrubber. A click or a drag on it asks the server for the network
// at that step (the server keeps a checkpoint every k steps and answers with the kept step at or before it,
// `rewound`); the chart keeps the whole curve with a line at the shown step, and play or step continues the
// run from there, exactly as it went the first time. The chart is also a keyboard slider: arrows move one kept
// step, Home goes to the start, End back to the latest.

import { el } from "../dom.js";
import { grouped } from "../format.js";

const DRAG_MS = 90; // at most one rewind request in this interval while dragging

export class RewindView {
  /** `chartEl`: the loss chart's element; `chart`: its LossChart; `send(msg)`: a protocol message;
   * `onContinue()`: plays on from the shown step. */
  constructor(chartEl, { chart, send, onContinue }) {
    this.el = chartEl;
    this.chart = chart;
    this.send = send;
    this.shown = null; // {step, latest, every} of the last `rewound` answer while rewound, else null
    this.pending = null;
    this.target = null; // the step of the last request not yet answered
    this.outstanding = 0; // requests sent and not answered yet
    this.lastSent = 0;
    this.dragging = false;
    Object.assign(chartEl, { tabIndex: 0 });
    chartEl.setAttribute("role", "slider");
    chartEl.setAttribute("aria-label", "Loss over steps; rewind to a step");
    for (const [name, value] of [["aria-valuemin", "0"], ["aria-valuemax", "0"], ["aria-valuenow", "0"], ["aria-valuetext", "step 0"]]) {
      chartEl.setAttribute(name, value);
    }
    this.badge = el("div", { class: "rewind-badge", id: "rewind-badge", hidden: "" },
      el("span", { class: "rewind-text" }),
      el("button", { type: "button", class: "rewind-continue", text: "Continue", title: "Train on from this step",
        onclick: () => onContinue() }),
      el("button", { type: "button", class: "rewind-latest", text: "Latest", title: "Back to the latest kept step",
        onclick: () => this.ask(Infinity) }));
    chartEl.insertAdjacentElement("afterend", this.badge);
    chartEl.addEventListener("pointerdown", (e) => this.down(e));
    chartEl.addEventListener("pointermove", (e) => this.move(e));
    chartEl.addEventListener("pointerup", () => this.up());
    chartEl.addEventListener("pointercancel", () => this.up());
    chartEl.addEventListener("keydown", (e) => this.key(e));
  }

  /** The step under a pointer event, from the chart's own axis (null outside the plotting area). */
  stepAt(e) {
    const layout = this.el._fullLayout;
    if (!layout || !layout.xaxis || !this.chart.lastStep) return null;
    const xa = layout.xaxis;
    const r = this.el.getBoundingClientRect();
    const px = e.clientX - r.left - xa._offset;
    if (px < -4 || px > xa._length + 4) return null;
    const step = Math.round(xa.p2l(Math.max(0, Math.min(xa._length, px))));
    return Math.max(0, Math.min(this.chart.lastStep, step));
  }

  down(e) {
    const step = this.stepAt(e);
    if (step === null || e.button !== 0) return;
    this.dragging = true;
    this.el.setPointerCapture?.(e.pointerId);
    this.ask(step);
  }

  move(e) {
    if (!this.dragging) return;
    const step = this.stepAt(e);
    if (step !== null) this.ask(step, true);
  }

  up() {
    if (!this.dragging) return;
    this.dragging = false;
    if (this.pending !== null) this.flush();
  }

  key(e) {
    // the step last asked for counts, so quick presses add up before the answers arrive
    const now = this.target ?? (this.shown ? this.shown.step : this.chart.lastStep);
    const every = this.shown ? this.shown.every : 1;
    // PageUp / PageDown are left to the page: in lecture mode they turn the page, whatever has the focus
    const target = { ArrowLeft: now - every, ArrowDown: now - every, ArrowRight: now + every, ArrowUp: now + every,
      Home: 0, End: Infinity }[e.key];
    if (target === undefined) return;
    e.preventDefault();
    e.stopPropagation(); // the page's own keys (space, arrows for a step) do not also fire
    this.ask(Math.max(0, target));
  }

  /** Ask for the network at `step` (Infinity: the latest kept); while dragging, at a bounded rate. */
  ask(step, throttled = false) {
    const latest = this.shown ? this.shown.latest : this.chart.lastStep;
    this.pending = Math.min(step, latest);
    this.target = this.pending;
    if (throttled && performance.now() - this.lastSent < DRAG_MS) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), DRAG_MS);
      return;
    }
    this.flush();
  }

  flush() {
    clearTimeout(this.timer);
    if (this.pending === null) return;
    this.send({ type: "rewind", step: this.pending });
    this.outstanding += 1;
    this.lastSent = performance.now();
    this.pending = null;
  }

  /** The server's `rewound` answer. */
  onRewound(msg) {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (this.pending === null && this.outstanding === 0) this.target = null; // every request answered
    this.chart.rewindTo(msg.step); // also at the latest step: the curve stays whole either way
    this.lastStep = null; // the next frame past the rewound step writes the slider's values again
    const back = msg.step < msg.latest;
    this.shown = back ? { step: msg.step, latest: msg.latest, every: msg.every } : null;
    this.el.setAttribute("aria-valuenow", String(msg.step));
    this.el.setAttribute("aria-valuemax", String(msg.latest));
    this.el.setAttribute("aria-valuetext", `step ${grouped(msg.step)} of ${grouped(msg.latest)}`);
    this.badge.hidden = !back;
    const text = this.badge.querySelector(".rewind-text");
    text.textContent = `Step ${grouped(msg.step)} of ${grouped(msg.latest)}`;
    text.title = `A checkpoint is kept every ${grouped(msg.every)} steps (${grouped(msg.kept)} kept, `
      + `${grouped(Math.round(msg.bytes / 1024))} KiB)`;
    this.badge.dataset.step = String(msg.step);
  }

  /** Every frame: once training went on past the shown step (or the run was reset), rewinding is over. */
  onFrame(step) {
    if (this.shown && step !== this.shown.step) {
      this.shown = null;
      this.badge.hidden = true;
    }
    // every frame passes here: the slider's values are written only when the step moved
    if (!this.shown && step !== this.lastStep) {
      this.lastStep = step;
      this.el.setAttribute("aria-valuenow", String(step));
      this.el.setAttribute("aria-valuemax", String(Math.max(step, this.chart.lastStep)));
      this.el.setAttribute("aria-valuetext", `step ${grouped(step)}`);
    }
  }
}
