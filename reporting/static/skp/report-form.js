// The report form in the browser. The server decides everything; without JavaScript the buttons
// do the same (a closing report then gets a confirmation page instead of the dialog).
// - Enter in a field never submits (the first submit button in the form is "save" anyway).
// - "Afsluttes forløbet?" shows the closing parts' table-of-contents entries and note; a closing
//   report asks for confirmation, naming the client and month, before it is submitted.
// - Autosave posts the whole form as a draft (or as unsent corrections) after typing pauses; a
//   two-tab conflict offers "Behold mine svar" or "Hent de gemte svar".
// - Leaving with changes that are not saved asks first.
// - The closing totals (Q47-Q49) follow this month's Q26 counts until the worker changes them.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var statusLine = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=version]");
  var dirty = false;
  var leaving = false;

  function say(text) { if (statusLine) { statusLine.textContent = text; } }

  // --- Enter never submits from a text, number or date field ---
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.tagName === "INPUT" && target.type !== "submit" &&
        target.type !== "button" && target.type !== "radio" && target.type !== "checkbox") {
      event.preventDefault();
    }
  });

  // --- Closing (D21) ---
  function closingChosen() {
    var yes = form.querySelector("input[name=closing][value='1']");
    if (yes && yes.type === "radio") { return yes.checked; }
    var hidden = form.querySelector("input[name=closing]");
    return !!hidden && hidden.value === "1";
  }
  function showClosingParts() {
    var on = closingChosen();
    Array.prototype.forEach.call(document.querySelectorAll("[data-closing-part]"), function (el) { el.hidden = !on; });
  }
  form.addEventListener("change", function (event) { if (event.target.name === "closing") { showClosingParts(); } });
  showClosingParts();

  var dialog = document.getElementById("closing-dialog");
  var submitButton = document.getElementById("submit-report");
  var askedRadio = form.querySelector("input[name=closing][type=radio]");
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "discard" &&
        !window.confirm(form.dataset.editing === "1" ? "Vil du slette dine rettelser?" : "Vil du slette kladden?")) {
      event.preventDefault();
      return;
    }
    if (submitter === submitButton && askedRadio && closingChosen() && dialog && dialog.showModal &&
        !form.querySelector("input[name=confirm_closing]")) {
      event.preventDefault();
      dialog.showModal();
      return;
    }
    leaving = true;
    clearTimeout(timer);
    inFlight = true;  // a pending autosave must not race the worker's own save or submit
  });
  if (dialog) {
    document.getElementById("closing-cancel").addEventListener("click", function () { dialog.close(); });
    document.getElementById("closing-confirm").addEventListener("click", function () {
      var confirmed = document.createElement("input");
      confirmed.type = "hidden"; confirmed.name = "confirm_closing"; confirmed.value = "1";
      form.appendChild(confirmed);
      dialog.close();
      form.requestSubmit(submitButton);
    });
  }

  // --- Closing totals follow this month's counts until edited ---
  var note = document.getElementById("closing-totals-note");
  var totals = { q47: "q26_tlf", q48: "q26_moeder", q49: "q26_forgaeves" };
  var edited = {};
  function number(name) {
    var input = form.querySelector("input[name=" + name + "]");
    var value = input ? parseInt(input.value, 10) : NaN;
    return isNaN(value) ? 0 : value;
  }
  function updateTotals() {
    if (!note) { return; }
    Object.keys(totals).forEach(function (total) {
      var input = form.querySelector("input[name=" + total + "]");
      if (!input || edited[total]) { return; }
      input.value = String((parseInt(note.dataset[total], 10) || 0) + number(totals[total]));
    });
  }
  form.addEventListener("input", function (event) {
    if (totals[event.target.name]) { edited[event.target.name] = true; }
    var counts = Object.keys(totals).map(function (k) { return totals[k]; });
    if (counts.indexOf(event.target.name) !== -1) { updateTotals(); }
  });

  // --- Progress per part in the table of contents ("3 af 11 besvaret") ---
  function answered(container) {
    return Array.prototype.some.call(container.querySelectorAll("input, textarea"), function (input) {
      if (input.type === "radio" || input.type === "checkbox") { return input.checked; }
      return input.type !== "hidden" && input.value.trim() !== "";
    });
  }
  function updateProgress() {
    Array.prototype.forEach.call(document.querySelectorAll(".report-toc a[href$='-heading']"), function (link) {
      var key = link.getAttribute("href").slice(1).replace(/-heading$/, "");
      var section = form.querySelector("section[data-key='" + key + "']");
      if (!section) { return; }
      var questions = Array.prototype.filter.call(section.querySelectorAll("[data-key]"), function (el) {
        return !el.hidden && el.parentElement.closest("[data-key]") === section && el.offsetParent !== null;
      });
      var done = questions.filter(answered).length;
      var note = link.parentElement.querySelector(".toc-progress");
      if (!note) {
        note = document.createElement("span");
        note.className = "toc-progress form-hint";
        link.parentElement.appendChild(note);
      }
      note.textContent = " – " + done + " af " + questions.length + " besvaret";
    });
  }
  // After the skip logic (listening on the document) has shown or hidden questions.
  function progressSoon() { setTimeout(updateProgress, 0); }
  form.addEventListener("change", progressSoon);
  form.addEventListener("input", progressSoon);
  window.addEventListener("load", progressSoon);

  // --- Leaving with unsaved changes ---
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });

  // --- Autosave ---
  var timer = null;
  var inFlight = false;
  if (form.dataset.autosave !== "on" || !window.fetch) {
    form.addEventListener("input", function () { dirty = true; });
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
    var differing = (data.differing || []).slice(0, 5).join("; ");
    statusLine.textContent = data.message + (differing ? " Forskelle: " + differing + "." : "") + " ";
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
          say((form.dataset.editing === "1" ? "Rettelserne er gemt automatisk kl. " : "Kladden er gemt automatisk kl. ") +
              time + (form.dataset.editing === "1" ? ". Husk at indsende dem." : "."));
        } else if (result.data.status === "conflict") {
          conflict(result.data);
        } else {
          say(result.data.message || "Kladden kunne ikke gemmes automatisk. Brug knappen Gem kladde.");
        }
      })
      .catch(function () { say("Kladden kunne ikke gemmes automatisk. Tjek forbindelsen, og brug Gem kladde."); })
      .then(function () { inFlight = false; });
  }

  function schedule() {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(autosave, 2000);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
