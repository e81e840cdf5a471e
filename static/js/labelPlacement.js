// Where to put the text label of each marker of a small scatter plot (Plotly's textposition) so that no
// label is cut off at the plot's edge or drawn over another label or marker: the first of a few positions
// around the marker that is free, else the one that overlaps least. For plots of a handful of points (the
// hidden space of "XOR by hand"), where Plotly's own fixed position runs labels off the plot.

const POSITIONS = ["top right", "top left", "bottom right", "bottom left", "top center", "bottom center"];

/** The label's box [x0, y0, x1, y1] in pixels (y down) for a marker at (px, py). */
function box(position, px, py, w, h, gap) {
  const [vertical, horizontal] = position.split(" ");
  const x0 = horizontal === "right" ? px + gap : horizontal === "left" ? px - gap - w : px - w / 2;
  const y0 = vertical === "top" ? py - gap - h : py + gap;
  return [x0, y0, x0 + w, y0 + h];
}

function overlap(a, b) {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * @param {number[]} xs marker x in data units
 * @param {number[]} ys marker y in data units
 * @param {string[]} texts the labels ("" = none)
 * @param {{x: number[], y: number[], width: number, height: number, charPx?: number, linePx?: number,
 *   markerPx?: number}} plot the axes' ranges and the plotting area's size in pixels
 * @returns {string[]} one Plotly textposition per marker
 */
export function placeLabels(xs, ys, texts, plot) {
  const { charPx = 6.2, linePx = 14, markerPx = 7 } = plot;
  const X = (v) => ((v - plot.x[0]) / (plot.x[1] - plot.x[0])) * plot.width;
  const Y = (v) => ((plot.y[1] - v) / (plot.y[1] - plot.y[0])) * plot.height;
  const area = [0, 0, plot.width, plot.height];
  const taken = xs.map((x, i) => [X(x) - markerPx, Y(ys[i]) - markerPx, X(x) + markerPx, Y(ys[i]) + markerPx]);
  return texts.map((text, i) => {
    if (!text) return POSITIONS[0];
    const w = text.length * charPx;
    let best = POSITIONS[0];
    let bestCost = Infinity;
    for (const position of POSITIONS) {
      const b = box(position, X(xs[i]), Y(ys[i]), w, linePx, markerPx * 0.6);
      const outside = w * linePx - overlap(b, area);
      const covered = taken.reduce((sum, t, k) => sum + (k === i ? 0 : overlap(b, t)), 0);
      const cost = 4 * outside + covered;
      if (cost < bestCost) {
        best = position;
        bestCost = cost;
      }
      if (cost === 0) break;
    }
    taken.push(box(best, X(xs[i]), Y(ys[i]), w, linePx, markerPx * 0.6));
    return best;
  });
}
