/* The export page (no inline script; strict CSP).
   - While the export runs: polls the job's status, updates the DKFDS spinner's status text and
     reloads the page when the file is ready. Without JavaScript the "Opdater" button does the same.
   - When the file is ready: the download can be fetched once (the server deletes it), so after the
     click the button is replaced by "Filen er hentet kl. …" and a link to a new export. */
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) { return; }

  var download = document.getElementById("export-download");
  if (download) {
    download.addEventListener("click", function () {
      var now = new Date();
      var time = ("0" + now.getHours()).slice(-2) + "." + ("0" + now.getMinutes()).slice(-2);
      window.setTimeout(function () {
        document.getElementById("export-actions").hidden = true;
        document.getElementById("export-fetched-text").textContent = "Filen er hentet kl. " + time + ".";
        document.getElementById("export-fetched").hidden = false;
      }, 0);
    });
  }

  if (box.getAttribute("data-status") !== "running" || !window.fetch) { return; }
  var text = document.getElementById("export-text");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) { throw new Error("status"); }
        return response.json();
      })
      .then(function (state) {
        text.textContent = state.text + " (" + state.percent + " %)";
        if (state.status === "running") { window.setTimeout(poll, 1500); } else { window.location.reload(); }
      })
      .catch(function () { /* the "Opdater" button still works */ });
  }
  window.setTimeout(poll, 1000);
}());
