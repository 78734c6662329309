// The caseworker survey form in the browser (the same pattern as skp/report-form.js). The server
// decides everything; without JavaScript "Gem kladde" and "Tjek dine svar" do the same.
// - Enter in a field never submits.
// - Autosave posts the whole form as a draft (action=autosave, answered with JSON) after typing
//   pauses; the reply's version goes into the form, so the next save is checked against it.
//   A change in another tab (409 conflict) offers "Behold mine svar" or "Hent de gemte svar".
// - Leaving with changes that are not saved asks first.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) { return; }
  var statusLine = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=version]");
  var dirty = false;
  var leaving = false;
  var timer = null;
  var inFlight = false;

  function say(text) { if (statusLine) { statusLine.textContent = text; } }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.tagName === "INPUT" && target.type !== "submit" &&
        target.type !== "button" && target.type !== "radio" && target.type !== "checkbox") {
      event.preventDefault();
    }
  });

  form.addEventListener("submit", function () {
    leaving = true;
    clearTimeout(timer);
    inFlight = true;  // a pending autosave must not race the caseworker's own save or review
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });

  if (form.dataset.autosave !== "on" || !window.fetch) {
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    return;
  }

  function conflict(data) {
    say("");
    if (!statusLine) { return; }
    var keep = document.createElement("button");
    keep.type = "button"; keep.className = "button button-secondary"; keep.textContent = "Behold mine svar";
    keep.addEventListener("click", function () { versionInput.value = data.version; autosave(); });
    var reload = document.createElement("button");
    reload.type = "button"; reload.className = "button button-tertiary"; reload.textContent = "Hent de gemte svar";
    reload.addEventListener("click", function () { leaving = true; window.location.reload(); });
    statusLine.textContent = data.message + " ";
    statusLine.appendChild(keep);
    statusLine.appendChild(reload);
  }

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
          dirty = false;
          var time = new Date().toLocaleTimeString("da-DK", { hour: "2-digit", minute: "2-digit" });
          say("Kladden er gemt automatisk kl. " + time + ".");
        } else if (result.data.status === "conflict") {
          conflict(result.data);
        } else {
          say(result.data.message || "Kladden kunne ikke gemmes automatisk. Brug knappen Gem kladde.");
        }
      })
      .catch(function () { say("Kladden kunne ikke gemmes automatisk. Tjek forbindelsen, og brug Gem kladde."); })
      .then(function () { if (!leaving) { inFlight = false; } });
  }

  function schedule() {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(autosave, 2000);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
