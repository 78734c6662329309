// The caseworker survey form in the browser: Enter, autosave, two-tab conflicts and the warning
// before leaving come from core/autosave.js (shared with the SKP report form). The server decides
// everything; without JavaScript "Gem kladde" and "Tjek dine svar" do the same.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form || !window.Autosave) { return; }
  var saver = window.Autosave.attach(form);
  // A pending autosave must not race the caseworker's own save or review.
  form.addEventListener("submit", function () { saver.stop(); });
})();
