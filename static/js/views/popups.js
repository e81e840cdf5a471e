// The page's one tooltip and one number editor, positioned next to what the pointer or focus is on.

import { formatNumber } from "../format.js";

// (output.js reads the formatter from here: one formatter, two import paths)
export { formatNumber };

const tooltip = () => document.getElementById("tooltip");

export function showTooltip(text, x, y) {
  const el = tooltip();
  el.textContent = text;
  el.hidden = false;
  const w = el.offsetWidth;
  el.style.left = `${Math.min(window.innerWidth - w - 4, x + 12)}px`;
  el.style.top = `${Math.max(4, y - 30)}px`;
}

export function hideTooltip() {
  tooltip().hidden = true;
}

let submitHandler = null;
let returnFocus = null;

/**
 * Open the number editor.
 * @param {{key: string, label: string, value: number}[]} fields
 * @param {number} x @param {number} y where to put it (viewport pixels)
 * @param {(changed: {key: string, value: number}[]) => void} onSubmit gets only the fields the user changed
 */
export function openEditor(fields, x, y, onSubmit) {
  const box = document.getElementById("editor");
  const list = document.getElementById("editor-fields");
  list.replaceChildren();
  fields.forEach((f, n) => {
    const row = document.createElement("div");
    row.className = "row";
    const id = `edit-${n}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = f.label;
    const input = document.createElement("input");
    input.type = "number";
    input.step = "any";
    input.id = id;
    input.dataset.key = f.key;
    input.dataset.initial = formatNumber(f.value);
    input.value = formatNumber(f.value);
    row.append(label, input);
    list.append(row);
  });
  submitHandler = onSubmit;
  returnFocus = document.activeElement;
  box.hidden = false;
  const w = box.offsetWidth;
  const h = box.offsetHeight;
  box.style.left = `${Math.max(4, Math.min(window.innerWidth - w - 4, x))}px`;
  box.style.top = `${Math.max(4, Math.min(window.innerHeight - h - 4, y))}px`;
  const first = list.querySelector("input");
  if (first) {
    first.focus();
    first.select();
  }
}

export function closeEditor() {
  const box = document.getElementById("editor");
  if (box.hidden) return;
  box.hidden = true;
  submitHandler = null;
  if (returnFocus && returnFocus.isConnected) returnFocus.focus();
}

export function installEditor() {
  const form = document.getElementById("editor-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changed = [];
    for (const input of form.querySelectorAll("input")) {
      const v = Number(input.value);
      if (input.value !== input.dataset.initial && input.value.trim() !== "" && Number.isFinite(v)) {
        changed.push({ key: input.dataset.key, value: v });
      }
    }
    const handler = submitHandler;
    closeEditor();
    if (handler && changed.length) handler(changed);
  });
  document.getElementById("editor-cancel").addEventListener("click", closeEditor);
  document.getElementById("editor").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeEditor();
    event.stopPropagation(); // typing a number must not trigger the page's shortcuts
  });
}
