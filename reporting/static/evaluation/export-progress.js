/* Polls the export job's status and reloads the page when the file is ready (no inline script; strict CSP).
   Without JavaScript the page's "Opdater" link does the same. */
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box || box.getAttribute("data-status") !== "running" || !window.fetch) { return; }
  var bar = document.getElementById("export-progress");
  var text = document.getElementById("export-text");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) { throw new Error("status"); }
        return response.json();
      })
      .then(function (state) {
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        text.textContent = state.text;
        if (state.status === "running") { window.setTimeout(poll, 1500); } else { window.location.reload(); }
      })
      .catch(function () { /* the "Opdater" link still works */ });
  }
  window.setTimeout(poll, 1000);
}());
