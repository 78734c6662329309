// What every questionnaire form does in the browser (the SKP report and the caseworker survey);
// the server decides everything, and without JavaScript the forms' buttons do the same.
// - Enter in a text, number or date field never submits the form.
// - Autosave posts the whole form (action=autosave, answered with JSON) after typing pauses; the
//   reply's version goes into the form, so the next save is checked against it. A change in another
//   tab (409 conflict) offers "Behold mine svar" (save over it) or "Hent de gemte svar" (reload).
// - Leaving with changes that are not saved asks first.
// Usage: var saver = Autosave.attach(form, { savedText: function (time) { ... } });
//        saver.stop() when the form is submitted by its own buttons.
(function (root) {
  "use strict";

  function attach(form, options) {
    options = options || {};
    var statusLine = document.getElementById("autosave-status");
    var versionInput = form.querySelector("input[name=version]");
    var dirty = false, leaving = false, timer = null, inFlight = false;

    function say(text) { if (statusLine) { statusLine.textContent = text; } }
    function stop() { leaving = true; clearTimeout(timer); inFlight = true; }

    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key === "Enter" && target.tagName === "INPUT" && target.type !== "submit" &&
          target.type !== "button" && target.type !== "radio" && target.type !== "checkbox") {
        event.preventDefault();
      }
    });
    root.addEventListener("beforeunload", function (event) {
      if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
    });
    if (form.dataset.autosave !== "on" || !root.fetch) {
      form.addEventListener("input", function () { dirty = true; });
      form.addEventListener("change", function () { dirty = true; });
      return { stop: stop };
    }

    function conflict(data) {
      say("");
      if (!statusLine) { return; }
      var keep = document.createElement("button");
      keep.type = "button"; keep.className = "button button-secondary"; keep.textContent = "Behold mine svar";
      keep.addEventListener("click", function () { versionInput.value = data.version; autosave(); });
      var reload = document.createElement("button");
      reload.type = "button"; reload.className = "button button-tertiary"; reload.textContent = "Hent de gemte svar";
      reload.addEventListener("click", function () { leaving = true; root.location.reload(); });
      var differing = (data.differing || []).slice(0, 5).join("; ");
      statusLine.textContent = data.message + (differing ? " Forskelle: " + differing + "." : "") + " ";
      statusLine.appendChild(keep);
      statusLine.appendChild(reload);
    }

    function savedText(time) {
      return options.savedText ? options.savedText(time) : "Kladden er gemt automatisk kl. " + time + ".";
    }

    function autosave() {
      if (inFlight) { timer = setTimeout(autosave, 1000); return; }
      inFlight = true;
      var body = new FormData(form);
      body.set("action", "autosave");
      root.fetch(root.location.pathname, { method: "POST", body: body, credentials: "same-origin",
                                           headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (result.ok && result.data.status === "saved") {
            versionInput.value = result.data.version;
            dirty = false;
            say(savedText(new Date().toLocaleTimeString("da-DK", { hour: "2-digit", minute: "2-digit" })));
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
    return { stop: stop };
  }

  root.Autosave = { attach: attach };
})(window);
