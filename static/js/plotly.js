// Plotly, loaded once for the whole page from the copy the server ships (never a CDN). It is megabytes to
// parse, so it loads after the page is up and every chart waits on the same promise.

const PLOTLY_URL = "/static/vendor/plotly.min.js";

let loading = null;

/** @returns {Promise<object>} window.Plotly once loaded; rejects if the script cannot load. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = PLOTLY_URL;
      script.addEventListener("load", () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("Plotly did not load"))));
      script.addEventListener("error", () => reject(new Error("Plotly did not load")));
      document.head.append(script);
    });
  }
  return loading;
}
