// The "Share and embed" panel: the link to exactly what is on screen, the iframe snippet, the copy button and
// the exports. Other controls (the presenter's "Present to the room") attach themselves with addControl.

import { grouped } from "../format.js";
import { readable } from "../state.js";

const $ = (id) => document.getElementById(id);

export class ShareView {
  /** @param {{onExport: (format: string) => void}} cb */
  constructor(cb) {
    this.panel = document.querySelector("details.share");
    this.link = "";
    $("copy-link").addEventListener("click", () => this.copy());
    $("export-json").addEventListener("click", () => cb.onExport("json"));
    $("export-csv").addEventListener("click", () => cb.onExport("csv"));
    $("share-export").addEventListener("click", () => cb.onExport("json"));
  }

  /**
   * Show the links of `href` (the page's address): the full page without embed/hide, and the iframe snippet.
   * When the link lacks the uploaded points (`leftOut` of them: too many for an address), the panel says so
   * and offers the JSON export in place of a link that would open other data.
   * @param {string} href @param {number} leftOut
   */
  update(href, leftOut = 0) {
    $("share-too-long").hidden = !leftOut;
    $("share-too-long-text").textContent = leftOut
      ? `A link cannot carry your ${grouped(leftOut)} uploaded points (too long for an address). Share the `
        + "network as a file instead: it holds the points, and \u201cLoad data or a saved network\u2026\u201d opens it."
      : "";
    for (const id of ["copy-link", "embed-snippet"]) $(id).disabled = Boolean(leftOut);
    const full = new URL(href);
    full.searchParams.delete("embed");
    full.searchParams.delete("hide");
    const embedUrl = new URL(href);
    embedUrl.searchParams.set("embed", "1");
    this.link = readable(full.href);
    $("open-full").href = this.link;
    $("embed-snippet").value =
      `<iframe src="${readable(embedUrl.href)}" width="960" height="540" style="border:0" title="MLP Playground" loading="lazy"></iframe>`;
  }

  /**
   * Add a control to the panel (before the exports), e.g. the presenter's room button.
   * @param {HTMLElement} el @returns {HTMLElement} el
   */
  addControl(el) {
    this.panel.insertBefore(el, this.panel.querySelector(".exports"));
    return el;
  }

  /** Save an `export` answer (docs/protocol.md) as a file download. */
  download(msg) {
    const type = msg.format === "csv" ? "text/csv" : "application/json";
    const url = URL.createObjectURL(new Blob([msg.content], { type }));
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async copy() {
    const button = $("copy-link");
    try {
      await navigator.clipboard.writeText(this.link);
      button.textContent = "Link copied";
    } catch {
      // no clipboard permission (plain http, iframes): select the link so the user can copy it by hand
      $("embed-snippet").value = this.link;
      $("embed-snippet").select();
      button.textContent = "Copy the selected link";
    }
    setTimeout(() => (button.textContent = "Copy link"), 2000);
  }
}
