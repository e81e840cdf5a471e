// The hidden units the engine offers, grouped as in the lecture (app/engine/activations.py is the source of
// the names, labels and groups). The formulas here only draw the small g / g' plots of the picker; training
// never uses them.

const sig = (z) => 1 / (1 + Math.exp(-z));
const C = Math.sqrt(2 / Math.PI);

/** name -> [label, group, g(z), g'(z), one-line note] */
export const UNITS = {
  relu: ["ReLU", "rectifier", (z) => Math.max(0, z), (z) => (z > 0 ? 1 : 0), "Gradient 1 where active; units can die."],
  leaky_relu: ["Leaky ReLU", "rectifier", (z) => (z > 0 ? z : 0.01 * z), (z) => (z > 0 ? 1 : 0.01), "Small slope for z < 0: never fully dead."],
  prelu: ["Parametric ReLU", "rectifier", (z) => (z > 0 ? z : 0.25 * z), (z) => (z > 0 ? 1 : 0.25), "Slope for z < 0 learned per unit (starts at 0.25)."],
  rrelu: ["Randomized ReLU", "rectifier", (z) => (z > 0 ? z : (11 / 48) * z), (z) => (z > 0 ? 1 : 11 / 48), "Random slope in training, its mean at evaluation."],
  abs: ["Absolute value", "rectifier", (z) => Math.abs(z), (z) => Math.sign(z), "Symmetric rectification |z|."],
  elu: ["ELU", "rectifier", (z) => (z > 0 ? z : Math.expm1(z)), (z) => (z > 0 ? 1 : Math.exp(z)), "Smooth for z < 0, saturates at -1."],
  maxout: ["Maxout", "rectifier", (z) => Math.max(0, z), (z) => (z > 0 ? 1 : 0), "Max of k affine pieces (drawn: k = 2, max(z, 0))."],
  sigmoid: ["Sigmoid", "saturating", sig, (z) => sig(z) * (1 - sig(z)), "Saturates at both ends; not zero-centred."],
  tanh: ["Tanh", "saturating", Math.tanh, (z) => 1 - Math.tanh(z) ** 2, "Zero-centred; identity-like near 0."],
  hard_tanh: ["Hard tanh", "saturating", (z) => Math.max(-1, Math.min(1, z)), (z) => (Math.abs(z) < 1 ? 1 : 0), "clip(z, -1, 1)."],
  linear: ["Linear", "other", (z) => z, () => 1, "No non-linearity: the whole net stays linear."],
  softplus: ["Softplus", "other", (z) => Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0), sig, "Smooth ReLU."],
  rbf: ["Radial basis", "other", (z) => Math.exp(-z * z), (z) => -2 * z * Math.exp(-z * z), "Gaussian bump around a learned template."],
  swish: ["Swish", "other", (z) => z * sig(z), (z) => sig(z) + z * sig(z) * (1 - sig(z)), "z sigmoid(z): non-monotonic near 0."],
  gelu: ["GELU", "other", (z) => 0.5 * z * (1 + Math.tanh(C * (z + 0.044715 * z ** 3))),
    (z) => {
      const t = Math.tanh(C * (z + 0.044715 * z ** 3));
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * 0.044715 * z * z);
    }, "Smooth gate z Phi(z)."],
  sine: ["Sine", "other", Math.sin, Math.cos, "Periodic unit."],
};

export const GROUPS = [
  ["rectifier", "Rectifiers"],
  ["saturating", "Saturating"],
  ["other", "Others"],
];

export const label = (name) => (UNITS[name] ? UNITS[name][0] : name);

/** The names the server accepts, grouped; names this table does not know land in "Others". */
export function grouped(names) {
  const out = GROUPS.map(([key, title]) => ({ key, title, names: [] }));
  for (const name of names) {
    const group = UNITS[name] ? UNITS[name][1] : "other";
    out.find((g) => g.key === group).names.push(name);
  }
  return out.filter((g) => g.names.length);
}

/** Draw g (solid) and g' (dashed) over z in [-4, 4] on a small canvas. */
export function plotUnit(canvas, name) {
  const ctx = canvas.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 180;
  const h = canvas.clientHeight || 110;
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const unit = UNITS[name];
  if (!unit) return;
  const [lo, hi, ylo, yhi] = [-4, 4, -1.5, 2.5];
  const X = (z) => ((z - lo) / (hi - lo)) * w;
  const Y = (v) => h - ((v - ylo) / (yhi - ylo)) * h;
  ctx.strokeStyle = "#bbb";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, Y(0));
  ctx.lineTo(w, Y(0));
  ctx.moveTo(X(0), 0);
  ctx.lineTo(X(0), h);
  ctx.stroke();
  const curve = (fn, color, dash) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash);
    ctx.beginPath();
    for (let px = 0; px <= w; px += 1) {
      const z = lo + (px / w) * (hi - lo);
      const v = Math.max(ylo - 1, Math.min(yhi + 1, fn(z)));
      if (px === 0) ctx.moveTo(px, Y(v));
      else ctx.lineTo(px, Y(v));
    }
    ctx.stroke();
    ctx.setLineDash([]);
  };
  curve(unit[3], "#f59322", [4, 3]);
  curve(unit[2], "#0877bd", []);
}
