// The page's one element builder: views that make their DOM in code (lecture panels, the presenter dialog)
// describe each element in one call instead of a createElement and a line per attribute.

/**
 * `el("p", { id: "x", class: "hint", text: "Hi", onclick: f, hidden: true }, child, ...)`: "class" sets the
 * class name, "text" the text, on* adds a listener, `true` sets a boolean attribute, `false`/null leave it
 * out, anything else is an attribute. Children that are null are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
