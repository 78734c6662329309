// Autosave for the report form: posts the whole form as a draft after typing pauses, and tells
// the worker when it was saved. The server decides everything; without JavaScript the
// "Gem kladde" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || form.dataset.autosave !== "on" || !window.fetch) { return; }
  var statusLine = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=version]");
  var timer = null;
  var inFlight = false;

  function say(text) { if (statusLine) { statusLine.textContent = text; } }

  function autosave() {
    if (inFlight) { timer = setTimeout(autosave, 1000); return; }
    inFlight = true;
    var body = new FormData(form);
    body.set("action", "autosave");
    fetch(window.location.pathname, { method: "POST", body: body, credentials: "same-origin",
                                      headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (result.ok && result.data.status === "saved") {
          versionInput.value = result.data.version;
          var time = new Date().toLocaleTimeString("da-DK", { hour: "2-digit", minute: "2-digit" });
          say("Kladden er gemt automatisk kl. " + time + ".");
        } else {
          say(result.data.message || "Kladden kunne ikke gemmes automatisk. Brug knappen Gem kladde.");
        }
      })
      .catch(function () { say("Kladden kunne ikke gemmes automatisk. Tjek forbindelsen, og brug Gem kladde."); })
      .then(function () { inFlight = false; });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(autosave, 2000);
  }

  // A pending autosave must not race the worker's own save or submit (it would bump the version).
  form.addEventListener("submit", function () { clearTimeout(timer); inFlight = true; });
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
