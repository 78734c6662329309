// The report form in the browser. The server decides everything; without JavaScript the buttons
// do the same (a closing report then gets a confirmation page instead of the dialog).
// - Enter, autosave, two-tab conflicts and the warning before leaving come from core/autosave.js
//   (shared with the caseworker survey); Enter in a field never submits, and the form's first
//   submit button is "save" anyway.
// - "Afsluttes forløbet?" shows the closing parts' table-of-contents entries and note; a closing
//   report asks for confirmation, naming the client and month, before it is submitted.
// - The closing totals (Q47-Q49) follow this month's Q26 counts until the worker changes them.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var editing = form.dataset.editing === "1";
  var saver = window.Autosave ? window.Autosave.attach(form, {
    savedText: function (time) {
      return editing ? "Rettelserne er gemt automatisk kl. " + time + ". Husk at indsende dem."
        : "Kladden er gemt automatisk kl. " + time + ".";
    }
  }) : { stop: function () {} };

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
    saver.stop();  // a pending autosave must not race the worker's own save or submit
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
        // Hidden by the skip logic itself or inside a hidden container: read from attributes, not
        // from layout (offsetParent would lay out the whole long form again on every keystroke).
        return el.parentElement.closest("[data-key]") === section && !el.closest("[hidden]");
      });
      var done = questions.filter(answered).length;
      // The page reserves the note's line, so filling it in moves nothing (no layout shift).
      var note = link.parentElement.querySelector(".toc-progress");
      if (note) { note.textContent = done + " af " + questions.length + " besvaret"; }
    });
  }
  // After the skip logic (listening on the document) has shown or hidden questions.
  function progressSoon() { setTimeout(updateProgress, 0); }
  form.addEventListener("change", progressSoon);
  form.addEventListener("input", progressSoon);
  window.addEventListener("load", progressSoon);

})();
