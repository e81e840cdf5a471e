// The reduced-maps notice: under overload the server makes a playing network's maps coarser and the frame
// header says so (`reduced`, docs/protocol.md); the plot says it in words, and the notice goes with the
// first frame at full resolution again.

/** "half", "3/4", or the two sides, for maps of side `grid` where the config asks for `full`. */
export function resolutionWords(grid, full) {
  if (grid * 2 === full) return "half resolution";
  if (grid * 4 === full * 3) return "3/4 resolution";
  return `${grid} \u00d7 ${grid} instead of ${full} \u00d7 ${full}`;
}

/** The notice's text and its longer explanation for a frame header's `reduced` ({grid, full, reason}). */
export function describeReduced(reduced) {
  const what = `Maps at ${resolutionWords(reduced.grid, reduced.full)}`;
  const busy = reduced.reason === "server busy";
  return {
    text: busy ? `${what}: the server is busy` : `${what} (${reduced.reason})`,
    title: `${busy ? "The server is busy: while" : "A server setting: while"} the network plays, its maps are ` +
      `computed on a ${reduced.grid} \u00d7 ${reduced.grid} grid instead of ${reduced.full} \u00d7 ` +
      `${reduced.full}${busy ? ", until the load drops" : ""}. Training, losses and weights are not ` +
      "affected; a paused network gets its full maps.",
  };
}

export class ResolutionNotice {
  constructor(el) {
    this.el = el;
    this.shown = "";
  }

  /** Show or hide the notice for one painted frame's header. */
  update(header) {
    const r = header.reduced;
    const { text, title } = r ? describeReduced(r) : { text: "", title: "" };
    if (text === this.shown) return;
    this.shown = text;
    this.el.textContent = text;
    this.el.title = title;
    this.el.hidden = !text;
  }
}
