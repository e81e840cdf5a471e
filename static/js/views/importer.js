// Bring your data, the page's part: the "Load data or a saved network…" button of the data column (a file
// picker) and the drop overlay that covers the page while a file is dragged over it. This view only takes a
// file from the user and says when it is busy; importing.js decides how it is sent, the controller sends it.

const $ = (id) => document.getElementById(id);

export class ImporterView {
  /**
   * @param {{onFile: (file: File) => void, onRefused: (why: string) => void, canDrop: () => boolean}} cb
   *   `onFile` gets the one chosen or dropped file; `onRefused` why a drop could not be taken (several
   *   files, a folder); `canDrop` whether the page takes a file now (a room's viewer or an embedded
   *   slide does not: the overlay stays away).
   */
  constructor(cb) {
    this.cb = cb;
    this.button = $("import-file");
    this.input = $("import-input");
    this.overlay = $("drop-overlay");
    this.busy = false;
    this.depth = 0; // dragenter/dragleave pairs: leaving a child element is not leaving the page
    this.button.addEventListener("click", () => {
      if (!this.busy) this.input.click();
    });
    this.input.addEventListener("change", () => {
      const file = this.input.files && this.input.files[0];
      this.input.value = ""; // choosing the same file again (after fixing it) fires change again
      if (file) this.cb.onFile(file);
    });
    const carriesFiles = (e) => Boolean(e.dataTransfer) && [...e.dataTransfer.types].includes("Files");
    document.addEventListener("dragenter", (e) => {
      if (!carriesFiles(e) || !this.cb.canDrop()) return;
      e.preventDefault();
      this.depth += 1;
      this.showOverlay(true);
    });
    document.addEventListener("dragover", (e) => {
      if (!carriesFiles(e)) return;
      // taken over even where no file is taken (a slide): the browser would open the file in place of the page
      e.preventDefault();
      e.dataTransfer.dropEffect = this.cb.canDrop() ? "copy" : "none";
    });
    document.addEventListener("dragleave", (e) => {
      if (!carriesFiles(e)) return;
      this.depth = Math.max(0, this.depth - 1);
      if (this.depth === 0) this.showOverlay(false);
    });
    document.addEventListener("drop", (e) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      this.depth = 0;
      this.showOverlay(false);
      if (!this.cb.canDrop()) return;
      const files = [...e.dataTransfer.files];
      if (files.length !== 1) {
        this.cb.onRefused(files.length ? `drop one file at a time (${files.length} were dropped)` : "no file was dropped");
        return;
      }
      this.cb.onFile(files[0]);
    });
  }

  showOverlay(on) {
    this.overlay.hidden = !on;
    document.body.classList.toggle("dropping", on);
  }

  /** While a file is on its way the button says so and takes no second file. */
  setBusy(name) {
    this.busy = Boolean(name);
    this.button.setAttribute("aria-busy", String(this.busy));
    // a long file name would stretch the data column: the notice says it whole
    const short = name && name.length > 24 ? name.slice(0, 23) : name;
    this.button.textContent = name ? `Loading ${short}\u2026` : "Load data or a saved network\u2026";
  }
}
