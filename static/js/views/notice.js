// The page's one notice line (under the top bar): what was ignored, refused or restored, in words.

const $ = (id) => document.getElementById(id);

/** Show `text` (an empty text hides the notice). */
export function notice(text) {
  $("notice-text").textContent = text;
  $("notice").hidden = !text;
}

export function installNotice() {
  $("notice-close").addEventListener("click", () => notice(""));
}
